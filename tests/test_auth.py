"""Who may do what, as pure rules: principals, their scope, and what a refusal says."""

from __future__ import annotations

import pytest

from service.auth import Forbidden, Principal, TooManyAttempts, Unauthorized, bearer


@pytest.mark.parametrize("principal, watches_a, watches_b", [
    (Principal("admin"), True, True), (Principal("staff"), True, True), (Principal("captioner"), True, True),
    (Principal("captioner", "A"), True, False), (Principal("viewer", "A"), True, False),
    (Principal("viewer", "B", via="join_code"), False, True),
])
def test_who_may_watch_which_session(principal, watches_a, watches_b):
    assert (principal.may_watch("A"), principal.may_watch("B")) == (watches_a, watches_b)


def test_admin_may_do_what_any_role_may_and_roles_do_not_stack():
    assert Principal("admin").may("staff") and Principal("admin").may()
    assert Principal("staff").may("staff", "captioner") and not Principal("staff").may("captioner")
    assert not Principal("viewer", "A").may("staff", "captioner")


def test_per_caller_keys_tell_callers_apart():
    keys = {Principal("staff", token_id="t1").key, Principal("staff", token_id="t2").key, Principal("admin",
            via="admin_token").key, Principal("viewer", "A", via="join_code").key}
    assert len(keys) == 4


def test_refusals_carry_their_status_and_headers():
    assert Unauthorized("unknown token").http().headers == {"WWW-Authenticate": "Bearer"}
    assert Forbidden("no").http().status_code == 403 and Forbidden("no").http().headers is None
    limited = TooManyAttempts("slow down", retry_after_s=12).http()
    assert (limited.status_code, limited.headers) == (429, {"Retry-After": "12"})
    assert (Unauthorized.close_code, Forbidden.close_code, TooManyAttempts.close_code) == (4401, 4403, 4429)


@pytest.mark.parametrize("header, token", [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Bearer ", None),
                                           ("Bearer", None), ("Basic abc", None), ("abc", None), (None, None)])
def test_bearer_header(header, token):
    assert bearer(header) == token


@pytest.mark.parametrize("module_name", ["service.auth", "service.ws_common", "service.rate_limit",
                                         "service.body_limit", "service.routes_tokens", "service.cli_tokens",
                                         "captions_store.tokens_store"])
def test_access_modules_export_what_they_declare(module_name):
    import importlib

    module = importlib.import_module(module_name)
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__), module_name
