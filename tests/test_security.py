"""Roles, tokens and limits, against a real server: every route refuses what it must, with a JSON reason.

Every HTTP route of the app's OpenAPI document and both websockets are tried
without a token, with an unknown, an expired and a revoked token (401 / close
4401), and with a token of every role the route does not admit (403 / 4403);
the roles it admits get through. A route added to the app without an entry in
:data:`POLICY` fails here until someone decides who may call it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import sqlite3

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute

from security_support import (ALLOWED_ORIGIN, AUTH_FAILURES_PER_MINUTE, JOIN_CODE_FAILURES_PER_SESSION,
                              SEARCH_PER_MINUTE, WHO, SecureServer,
                              fresh_address, http_client, secure_server, ws_outcome)  # noqa: F401  (fixture)

pytestmark = [pytest.mark.model]

ALL = frozenset(WHO)
ADMIN = frozenset({"admin"})
RUNS_A = frozenset({"admin", "captioner", "captioner_a"})  # may run session A
WATCHES_A = RUNS_A | {"staff", "viewer_a"}  # may read session A's captions
STAFF = frozenset({"admin", "staff"})

# Who may call each route (on session A, which is private). Open routes need no token at all.
POLICY: dict[str, frozenset[str]] = {
    "POST /v1/tokens": ADMIN,
    "GET /v1/tokens": ADMIN,
    "GET /v1/tokens/{token_id}": ADMIN,
    "DELETE /v1/tokens/{token_id}": ADMIN,
    "POST /v1/sessions": frozenset({"admin", "captioner"}),
    "GET /v1/sessions": frozenset({"admin", "captioner", "captioner_a", "captioner_b", "staff"}),
    "GET /v1/sessions/{session_id}": WATCHES_A,
    "PATCH /v1/sessions/{session_id}": RUNS_A,
    "DELETE /v1/sessions/{session_id}": ADMIN,
    "POST /v1/sessions/{session_id}/end": RUNS_A,
    "GET /v1/sessions/{session_id}/qr.svg": RUNS_A,
    "POST /v1/sessions/{session_id}/channels/{channel}/disconnect": RUNS_A | STAFF,  # 404 here: no ingest  # the link in it carries the join code
    "GET /v1/sessions/{session_id}/transcript": WATCHES_A,  # participants read back the meeting (issue 12)
    "GET /v1/search": STAFF,
    "GET /v1/segments/{segment_id}": STAFF,
    "PATCH /v1/segments/{segment_id}": STAFF | {"captioner", "captioner_a", "captioner_b"},  # b: see below
    "GET /v1/segments/{segment_id}/revisions": STAFF,
    "GET /v1/translation/status": STAFF,
    "POST /v1/sessions/{session_id}/outputs": STAFF,
    "GET /v1/sessions/{session_id}/outputs": RUNS_A | STAFF,  # the console shows their delivery
    "DELETE /v1/sessions/{session_id}/outputs/{output_id}": STAFF,  # 404 here: an unknown output
    "GET /v1/sessions/{session_id}/live/{lang}.m3u8": WATCHES_A,
    "GET /v1/sessions/{session_id}/live/{lang}/{number}.vtt": WATCHES_A,
    "WS /v1/sessions/{session_id}/audio": RUNS_A,
    "WS /v1/sessions/{session_id}/captions": WATCHES_A,
}
OPEN = {"GET /healthz", "GET /readyz", "GET /metrics"}  # /metrics has a token of its own when one is set
BODIES = {"POST /v1/tokens": {"role": "staff", "label": "matrix"}, "POST /v1/sessions": {"title": "matrix"},
          "PATCH /v1/sessions/{session_id}": {"title": "Session A"},
          "PATCH /v1/segments/{segment_id}": {"text": "Corrected.", "editor": "matrix"},
          "POST /v1/sessions/{session_id}/outputs": {"kind": "webhook", "url": "http://127.0.0.1:9/matrix",
                                                     "language": "en"}}
DESTRUCTIVE = {"DELETE /v1/sessions/{session_id}", "POST /v1/sessions/{session_id}/end", "DELETE /v1/tokens/{token_id}"}


def _app_routes() -> tuple[list[str], list[str], list[str]]:
    """The app's routes, built in this process at collection time: schema routes, websockets, pages."""
    from service.app import create_app
    from service.settings import Settings

    def flat(routes):  # FastAPI keeps an included router as one entry (original_router) on the app
        for route in routes:
            inner = getattr(route, "original_router", None)
            yield from flat(inner.routes) if inner is not None else (route,)

    app = create_app(Settings(admin_token="collection-only-token"))
    routes = list(flat(app.routes))
    http = [f"{method.upper()} {path}" for path, operations in app.openapi()["paths"].items()
            for method in operations]
    websockets_ = [f"WS {route.path}" for route in routes if isinstance(route, APIWebSocketRoute)]
    hidden = [route.path for route in routes if isinstance(route, APIRoute) and not route.include_in_schema]
    assert len(websockets_) >= 2 and hidden, "the app's routes could not be listed"
    return http, websockets_, hidden


HTTP_ROUTES, WS_ROUTES, PAGE_ROUTES = _app_routes()
PROTECTED_HTTP = [route for route in HTTP_ROUTES if route not in OPEN]


def _request(server: SecureServer, route: str, *, session: str | None = None, token_id: str | None = None):
    """method, URL and JSON body of a harmless, valid call of ``route`` (on session A unless told)."""
    method, path = route.split(" ", 1)
    url = path.format(session_id=session or server.sessions["A"], token_id=token_id or server.token_ids["expired"],
                      segment_id=f"{server.sessions['A']}.floor.999", lang="en", number=0, channel="floor",
                      output_id="out-unknown")
    if route == "GET /v1/search":
        url += "?q=order"
    return method, url, BODIES.get(route)


def _call(server: SecureServer, route: str, token: str | None, *, address: str | None = None, **target):
    method, url, body = _request(server, route, **target)
    with http_client(server.live, token, address=address) as client:
        return client.request(method, url, json=body)


def _ws_url(server: SecureServer, route: str, session: str = "A", query: str = "") -> str:
    path = route.split(" ", 1)[1].format(session_id=server.sessions[session])
    return f"{server.live.ws_url}{path}{'?' + query if query else ''}"


def _ws_exchange(route: str) -> list[dict]:
    return [{"type": "start", "sample_rate": 16000}, {"type": "stop"}] if route.endswith("/audio") else [
        {"type": "ping"}]


def assert_refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.request.method, response.request.url.path, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


# -- every route has a policy, and the server serves these routes -----------------------------
def test_every_route_of_the_app_has_a_policy():
    assert sorted(set(HTTP_ROUTES) - OPEN - set(POLICY)) == [], "decide who may call these routes: add to POLICY"
    assert sorted(set(WS_ROUTES) - set(POLICY)) == [], "decide who may open these websockets: add to POLICY"
    assert sorted(set(POLICY) - set(HTTP_ROUTES) - set(WS_ROUTES)) == [], "POLICY names routes the app lacks"
    assert set(PAGE_ROUTES) == {"/", "/s/{session_id}", "/console", "/staff", "/staff/sessions/{session_id}",
                                "/overlay/{session_id}", "/docs"}, "pages hold no data and need no token; anything else must"


def test_the_server_serves_the_routes_tested_here(secure_server):
    served = httpx.get(f"{secure_server.live.base_url}/openapi.json", timeout=10).json()["paths"]
    assert sorted(f"{m.upper()} {p}" for p, ops in served.items() for m in ops) == sorted(HTTP_ROUTES)


@pytest.mark.parametrize("route", sorted(OPEN))
def test_open_routes_need_no_token(secure_server, route):
    assert _call(secure_server, route, None).status_code == 200


# -- 401: no token, an unknown one, an expired one, a revoked one -------------------------------
BAD_CREDENTIALS = ["none", "unknown", "expired", "revoked"]


def _bad_token(server: SecureServer, case: str) -> str | None:
    return {"none": None, "unknown": f"fc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}",
            "expired": server.token("expired"), "revoked": server.token("revoked")}[case]


@pytest.mark.parametrize("case", BAD_CREDENTIALS)
@pytest.mark.parametrize("route", PROTECTED_HTTP)
def test_every_route_refuses_a_missing_or_dead_token_with_401(secure_server, route, case):
    response = _call(secure_server, route, _bad_token(secure_server, case), address=fresh_address())
    assert_refused(response, 401)
    if case in ("expired", "revoked"):
        assert case in response.json()["detail"]


@pytest.mark.parametrize("case", BAD_CREDENTIALS)
@pytest.mark.parametrize("route", WS_ROUTES)
def test_every_websocket_refuses_a_missing_or_dead_token_with_4401(secure_server, route, case):
    outcome = asyncio.run(ws_outcome(_ws_url(secure_server, route), token=_bad_token(secure_server, case),
                                     address=fresh_address()))
    assert (outcome.code, bool(outcome.reason)) == (4401, True), outcome


# -- 403: a good token of a role (or session) the route does not admit ----------------------------
@pytest.mark.parametrize("route", PROTECTED_HTTP)
def test_every_route_refuses_the_wrong_role_with_403(secure_server, route):
    for who in sorted(ALL - POLICY[route]):
        assert_refused(_call(secure_server, route, secure_server.token(who)), 403)


@pytest.mark.parametrize("route", WS_ROUTES)
def test_every_websocket_refuses_the_wrong_role_with_4403(secure_server, route):
    for who in sorted(ALL - POLICY[route]):
        outcome = asyncio.run(ws_outcome(_ws_url(secure_server, route), token=secure_server.token(who)))
        assert (outcome.code, bool(outcome.reason)) == (4403, True), (who, outcome)


def test_refused_requests_changed_nothing(secure_server):
    with secure_server.admin() as client:
        session = client.get(f"/v1/sessions/{secure_server.sessions['A']}").json()
        assert (session["status"], session["title"]) == ("live", "Session A")
        assert client.get(f"/v1/tokens/{secure_server.token_ids['expired']}").json()["state"] == "expired"


# -- the roles a route admits get through ---------------------------------------------------------
def _throwaway(server: SecureServer, route: str) -> dict:
    if route == "DELETE /v1/tokens/{token_id}":
        return {"token_id": server.issue("staff", label="throwaway")["id"]}
    if route in DESTRUCTIVE:
        return {"session": server.live.create_session(title="throwaway")["id"]}
    return {}


def _token_for(server: SecureServer, who: str, target: dict) -> str:
    """``who``'s token; a captioner of session A gets one for the throwaway session it acts on instead."""
    if who == "captioner_a" and "session" in target:
        with server.admin() as admin:
            return admin.post("/v1/tokens", json={"role": "captioner", "session_id": target["session"]}).json()["token"]
    return server.token(who)


@pytest.mark.parametrize("route", PROTECTED_HTTP)
def test_the_roles_a_route_admits_get_through(secure_server, route):
    for who in sorted(POLICY[route]):
        target = _throwaway(secure_server, route)
        response = _call(secure_server, route, _token_for(secure_server, who, target), **target)
        assert response.status_code not in (401, 403, 429), (who, response.status_code, response.text)
        assert response.status_code < 500, (who, response.text)


@pytest.mark.parametrize("route", WS_ROUTES)
def test_the_roles_a_websocket_admits_get_through(secure_server, route):
    for who in sorted(POLICY[route]):
        outcome = asyncio.run(ws_outcome(_ws_url(secure_server, route), token=secure_server.token(who),
                                         exchange=_ws_exchange(route)))
        assert outcome.code in (None, 1000), (who, outcome)
        assert outcome.messages[-1]["type"] in ("pong", "stopped"), (who, outcome)


# -- one session's token is not another's -----------------------------------------------------------
def test_a_viewer_token_for_session_a_cannot_read_session_b(secure_server):
    viewer_a, b = secure_server.token("viewer_a"), secure_server.sessions["B"]
    with http_client(secure_server.live, viewer_a) as client:
        assert client.get(f"/v1/sessions/{secure_server.sessions['A']}").status_code == 200
        for path in (f"/v1/sessions/{b}", f"/v1/sessions/{b}/live/en.m3u8", f"/v1/sessions/{b}/live/en/0.vtt",
                     f"/v1/sessions/{b}/transcript", "/v1/sessions"):
            assert_refused(client.get(path), 403)
    with http_client(secure_server.live) as client:  # the token in the query, as a player sends it
        assert_refused(client.get(f"/v1/sessions/{b}/live/en.m3u8", params={"token": viewer_a}), 403)
    outcome = asyncio.run(ws_outcome(_ws_url(secure_server, "WS /v1/sessions/{session_id}/captions", "B",
                                             f"token={viewer_a}")))
    assert outcome.code == 4403 and "cannot read" in outcome.reason


def test_a_captioner_token_for_one_session_sends_audio_there_only(secure_server):
    audio = "WS /v1/sessions/{session_id}/audio"
    refused = asyncio.run(ws_outcome(_ws_url(secure_server, audio, "B"), token=secure_server.token("captioner_a")))
    assert refused.code == 4403
    with http_client(secure_server.live, secure_server.token("captioner_a")) as client:
        listed = client.get("/v1/sessions").json()
        assert [s["id"] for s in listed] == [secure_server.sessions["A"]]  # it lists its own session only
        assert listed[0]["join_code"] == secure_server.join_codes["A"]  # and may share its join code
        assert_refused(client.post("/v1/sessions", json={"title": "not mine to create"}), 403)


def test_a_captioner_corrects_the_segments_of_its_own_session_only(secure_server, clip):
    from support import LiveServer, load_audio, pcm16, stream_pcm

    live = secure_server.live
    captioner_a = LiveServer(live.base_url, secure_server.token("captioner_a"), live.data_dir, live.log_path)
    session_id = secure_server.sessions["A"]
    asyncio.run(stream_pcm(captioner_a, session_id, pcm16(load_audio(clip("asr/en/whisper_jfk/jfk.flac")))))
    with secure_server.admin() as client:
        segment_id = client.get(f"/v1/sessions/{session_id}/transcript").json()["lines"][0]["segment_id"]
    edit = {"text": "And so, my fellow Americans.", "editor": "captioner"}
    with http_client(live, secure_server.token("captioner_b")) as client:
        assert_refused(client.patch(f"/v1/segments/{segment_id}", json=edit), 403)
    with http_client(live, secure_server.token("viewer_a")) as client:
        assert_refused(client.get(f"/v1/segments/{segment_id}"), 403)
    with http_client(live, secure_server.token("captioner_a")) as client:
        response = client.patch(f"/v1/segments/{segment_id}", json=edit)
    assert response.status_code == 200 and response.json()["text"] == edit["text"], response.text


# -- public sessions and join codes -------------------------------------------------------------------
def test_a_public_session_is_readable_without_a_token_and_nothing_else_is(secure_server):
    p = secure_server.sessions["P"]
    with http_client(secure_server.live) as client:
        session = client.get(f"/v1/sessions/{p}")
        assert session.status_code == 200 and session.json()["public"] is True
        assert session.json()["join_code"] is None  # only those who run a session see its code
        assert client.get(f"/v1/sessions/{p}/live/en.m3u8").status_code == 200
        assert client.get(f"/v1/sessions/{p}/transcript").status_code == 200  # its record, read back
        for path in (f"/v1/segments/{p}.floor.1", "/v1/sessions"):
            assert_refused(client.get(path), 401)
        assert_refused(client.post(f"/v1/sessions/{p}/end"), 401)
    captions = "WS /v1/sessions/{session_id}/captions"
    opened = asyncio.run(ws_outcome(_ws_url(secure_server, captions, "P"), exchange=[{"type": "ping"}]))
    assert opened.code is None and opened.messages[-1]["type"] == "pong"
    dead = asyncio.run(ws_outcome(_ws_url(secure_server, captions, "P"), token=secure_server.token("revoked")))
    assert dead.code == 4401, "a dead token is refused even where none is needed"
    audio = asyncio.run(ws_outcome(_ws_url(secure_server, "WS /v1/sessions/{session_id}/audio", "P")))
    assert audio.code == 4401


def test_the_join_code_opens_its_own_private_session_only(secure_server):
    a, b, code = secure_server.sessions["A"], secure_server.sessions["B"], secure_server.join_codes["A"]
    address = fresh_address()
    with http_client(secure_server.live, address=address) as client:
        typed = f"{code[:4].lower()}-{code[4:]}"  # as a person may type it
        session = client.get(f"/v1/sessions/{a}", params={"code": typed})
        assert session.status_code == 200 and session.json()["join_code"] is None
        playlist = client.get(f"/v1/sessions/{a}/live/en.m3u8", params={"code": code})
        assert playlist.status_code == 200 and f"code={code}" in playlist.text  # players carry it along
        assert client.get(f"/v1/sessions/{a}/transcript", params={"code": code, "format": "txt"}).status_code == 200
        assert_refused(client.get(f"/v1/sessions/{b}", params={"code": code}), 401)
        assert_refused(client.get(f"/v1/sessions/{b}/transcript", params={"code": code}), 401)
    captions = "WS /v1/sessions/{session_id}/captions"
    opened = asyncio.run(ws_outcome(_ws_url(secure_server, captions, "A", f"code={code}"), address=address,
                                    exchange=[{"type": "ping"}]))
    assert opened.code is None and opened.messages[-1]["type"] == "pong"
    refused = asyncio.run(ws_outcome(_ws_url(secure_server, captions, "B", f"code={code}"), address=address))
    assert refused.code == 4401 and "join code" in refused.reason


def test_wrong_join_codes_lock_that_session_from_that_address_only(secure_server):
    """One guesser behind a venue's NAT: the session it guesses at is locked from there, nothing else is."""
    a, b, code = secure_server.sessions["A"], secure_server.sessions["B"], secure_server.join_codes["A"]
    address = fresh_address()
    with http_client(secure_server.live, address=address) as client:
        for n in range(AUTH_FAILURES_PER_MINUTE):
            wrong = client.get(f"/v1/sessions/{a}", params={"code": f"WRONG{n:03d}"})
            assert_refused(wrong, 401)
        locked = client.get(f"/v1/sessions/{a}", params={"code": code})  # even the right code, for this session
        assert_refused(locked, 429)
        assert 1 <= int(locked.headers["retry-after"]) <= 60
        # valid credentials from the same address are never locked out by the guesser's failures
        assert client.get("/v1/sessions", headers={"Authorization": f"Bearer {secure_server.live.token}"}
                          ).status_code == 200
        viewer = {"Authorization": f"Bearer {secure_server.tokens['viewer_a']}"}
        assert client.get(f"/v1/sessions/{a}", headers=viewer).status_code == 200
        assert client.get(f"/v1/sessions/{b}", params={"code": secure_server.join_codes["B"]}).status_code == 200
    captions = "WS /v1/sessions/{session_id}/captions"
    outcome = asyncio.run(ws_outcome(_ws_url(secure_server, captions, "A", f"code={code}"), address=address))
    assert outcome.code == 4429 and "retry" in outcome.reason
    with_token = asyncio.run(ws_outcome(_ws_url(secure_server, captions, "A"), address=address,
                                        token=secure_server.tokens["viewer_a"], exchange=[{"type": "ping"}]))
    assert with_token.code is None and with_token.messages[-1]["type"] == "pong"
    with http_client(secure_server.live, address=fresh_address()) as elsewhere:  # another address is not locked
        assert elsewhere.get(f"/v1/sessions/{a}", params={"code": code}).status_code == 200
    with http_client(secure_server.live, address=address) as client:  # no credential is no guess: still answered
        assert_refused(client.get(f"/v1/sessions/{a}"), 401)


def test_unknown_tokens_are_limited_per_address_and_known_ones_never(secure_server):
    guesser = fresh_address()
    with http_client(secure_server.live, address=guesser) as client:
        for _ in range(AUTH_FAILURES_PER_MINUTE):
            unknown = f"fc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
            assert_refused(client.get("/v1/sessions", headers={"Authorization": f"Bearer {unknown}"}), 401)
        unknown = f"fc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
        assert_refused(client.get("/v1/sessions", headers={"Authorization": f"Bearer {unknown}"}), 429)
        for who in ("admin", "staff", "captioner"):
            headers = {"Authorization": f"Bearer {secure_server.tokens[who]}"}
            assert client.get("/v1/sessions", headers=headers).status_code == 200, who
        code = secure_server.join_codes["A"]  # wrong tokens are no guesses at a join code
        assert client.get(f"/v1/sessions/{secure_server.sessions['A']}", params={"code": code}).status_code == 200


def test_a_guesser_spread_over_addresses_meets_the_sessions_ceiling(secure_server):
    """Many addresses, each under its own figure: the session's join code closes, its tokens and others do not."""
    target = secure_server.live.create_session(title="Guessed at")
    other = secure_server.live.create_session(title="Not guessed at")
    guesses = iter(range(10_000))
    refused_at = None
    for _ in range(JOIN_CODE_FAILURES_PER_SESSION // (AUTH_FAILURES_PER_MINUTE - 1) + 2):
        with http_client(secure_server.live, address=fresh_address()) as client:
            for _ in range(AUTH_FAILURES_PER_MINUTE - 1):
                answer = client.get(f"/v1/sessions/{target['id']}", params={"code": f"G{next(guesses):05d}"})
                if answer.status_code == 429:
                    refused_at = refused_at or answer
                else:
                    assert_refused(answer, 401)
    assert refused_at is not None and "viewer token" in refused_at.json()["detail"]
    with http_client(secure_server.live, address=fresh_address()) as newcomer:
        assert_refused(newcomer.get(f"/v1/sessions/{target['id']}", params={"code": target["join_code"]}), 429)
        assert newcomer.get(f"/v1/sessions/{other['id']}", params={"code": other["join_code"]}).status_code == 200
        viewer = secure_server.issue("viewer", None, session_id=target["id"])["token"]
        assert newcomer.get(f"/v1/sessions/{target['id']}",
                            headers={"Authorization": f"Bearer {viewer}"}).status_code == 200


def test_the_same_wrong_token_again_is_no_new_guess(secure_server):
    stale = f"fc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"  # a page retrying with a token that is gone
    with http_client(secure_server.live, address=fresh_address()) as client:
        for _ in range(3 * AUTH_FAILURES_PER_MINUTE):
            assert_refused(client.get("/v1/sessions", headers={"Authorization": f"Bearer {stale}"}), 401)
        good = client.get("/v1/sessions", headers={"Authorization": f"Bearer {secure_server.live.token}"})
    assert good.status_code == 200, "the address is not locked out"


def test_search_is_limited_per_token(secure_server):
    heavy, other = secure_server.issue("staff", label="heavy")["token"], secure_server.issue("staff")["token"]
    with http_client(secure_server.live, heavy) as client:
        for _ in range(SEARCH_PER_MINUTE):
            assert client.get("/v1/search", params={"q": "order"}).status_code == 200
        limited = client.get("/v1/search", params={"q": "order"})
        assert_refused(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.get("/v1/sessions").status_code == 200  # only search is limited
    with http_client(secure_server.live, other) as client:
        assert client.get("/v1/search", params={"q": "order"}).status_code == 200


# -- request size, CORS and websocket origins ------------------------------------------------------------
def test_an_oversized_body_is_413_json_before_it_is_read(secure_server):
    huge = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    with http_client(secure_server.live, secure_server.live.token) as client:
        declared = client.post("/v1/sessions", content=huge, headers={"content-type": "application/json"})
        streamed = client.post("/v1/sessions", content=(huge[i:i + 65536] for i in range(0, len(huge), 65536)),
                               headers={"content-type": "application/json"})  # chunked: no Content-Length
    for response in (declared, streamed):
        assert response.status_code == 413 and "body over" in response.json()["detail"], response.text
    with http_client(secure_server.live) as client:  # refused before anyone asks who is sending it
        assert client.post("/v1/tokens", content=huge, headers={"content-type": "application/json"}).status_code == 413


def test_cors_allows_the_configured_origin_only(secure_server):
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    with http_client(secure_server.live) as client:
        allowed = client.options("/v1/sessions", headers={"Origin": ALLOWED_ORIGIN, **preflight})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        other = client.options("/v1/sessions", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
    with http_client(secure_server.live, secure_server.live.token) as client:
        assert client.get("/v1/sessions", headers={"Origin": ALLOWED_ORIGIN}).headers[
            "access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "access-control-allow-origin" not in client.get("/v1/sessions",
                                                               headers={"Origin": "https://evil.example"}).headers


def test_cors_headers_are_absent_when_no_origin_is_configured(server):
    response = httpx.get(f"{server.base_url}/v1/sessions", headers={**server.headers, "Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


def test_websockets_refuse_pages_of_other_origins(secure_server):
    url = _ws_url(secure_server, "WS /v1/sessions/{session_id}/captions", "P")
    evil = asyncio.run(ws_outcome(url, origin="https://evil.example"))
    assert evil.code == 4403 and "origin" in evil.reason
    for origin in (ALLOWED_ORIGIN, secure_server.live.base_url):  # configured, and the server's own pages
        opened = asyncio.run(ws_outcome(url, origin=origin, exchange=[{"type": "ping"}]))
        assert opened.code is None, (origin, opened)


# -- the tokens API ----------------------------------------------------------------------------------------
def test_a_token_is_shown_once_and_works_until_revoked(secure_server):
    created = secure_server.issue("staff", label="desk 3")
    assert created["token"].startswith(f"fc_{created['id']}_") and created["state"] == "active"
    with http_client(secure_server.live, created["token"]) as client:
        assert client.get("/v1/search", params={"q": "order"}).status_code == 200
    with secure_server.admin() as admin:
        shown = admin.get(f"/v1/tokens/{created['id']}").json()
        assert "token" not in shown and shown["last_used_at"] is not None
        revoked = admin.delete(f"/v1/tokens/{created['id']}").json()
        assert revoked["state"] == "revoked" and admin.delete(f"/v1/tokens/{created['id']}").json() == revoked
    with http_client(secure_server.live, created["token"]) as client:
        refused = client.get("/v1/search", params={"q": "order"})
    assert_refused(refused, 401)
    assert refused.json()["detail"] == "token revoked"


@pytest.mark.parametrize("body", [{"role": "viewer"}, {"role": "staff", "session_id": "A"}, {"role": "owner"},
                                  {"role": "viewer", "session_id": "no-such-session"},
                                  {"role": "staff", "expires_in_s": 0}, {"role": "staff", "secret": "mine"}],
                         ids=["viewer-without-session", "staff-with-session", "unknown-role", "unknown-session",
                              "expires-now", "unknown-field"])
def test_tokens_the_api_refuses_with_422(secure_server, body):
    if body.get("session_id") == "A":
        body = {**body, "session_id": secure_server.sessions["A"]}
    with secure_server.admin() as admin:
        response = admin.post("/v1/tokens", json=body)
    assert response.status_code == 422 and response.json()["detail"], response.text


def test_token_lists_never_hold_a_secret_and_the_database_holds_only_digests(secure_server):
    with secure_server.admin() as admin:
        listed = admin.get("/v1/tokens", params={"limit": 1000})
    assert listed.status_code == 200
    body = listed.text
    assert {t["id"] for t in listed.json()} >= set(secure_server.token_ids.values())
    secrets_ = {who: token.split("_", 2)[2] for who, token in secure_server.tokens.items()}
    assert not any(secret in body for secret in secrets_.values())
    assert all(set(t) == {"id", "role", "session_id", "label", "state", "created_at", "expires_at", "revoked_at",
                          "last_used_at"} for t in listed.json())

    with sqlite3.connect(f"file:{secure_server.database}?mode=ro", uri=True) as db:
        rows = {row[0]: row for row in db.execute("SELECT * FROM access_tokens")}
    dump = repr(rows)
    assert not any(secret in dump for secret in secrets_.values())
    for who, secret in secrets_.items():
        assert hashlib.sha256(secret.encode()).hexdigest() in rows[secure_server.token_ids[who]]


def test_no_token_or_join_code_reaches_the_server_log(secure_server):
    logged = secure_server.live.log_path.read_text(errors="replace")
    for token in secure_server.tokens.values():
        assert token.split("_", 2)[2] not in logged
    for code in secure_server.join_codes.values():
        assert code not in logged


# -- floorcast tokens create|list|revoke, on the server's database --------------------------------------
def test_the_cli_manages_tokens_the_server_honours(secure_server, monkeypatch):
    from typer.testing import CliRunner

    from service.cli_tokens import tokens_app

    monkeypatch.setenv("FLOORCAST_DATABASE_URL", f"sqlite:///{secure_server.database}")
    runner = CliRunner()
    created = runner.invoke(tokens_app, ["create", "--role", "viewer", "--session", secure_server.sessions["B"],
                                         "--expires", "7d", "--label", "lobby screen", "--json"])
    assert created.exit_code == 0, created.output
    issued = json.loads(created.stdout)
    token = issued["token"]
    assert issued["role"] == "viewer" and issued["expires_at"] is not None
    with http_client(secure_server.live, token) as client:
        assert client.get(f"/v1/sessions/{secure_server.sessions['B']}").status_code == 200
    listed = runner.invoke(tokens_app, ["list", "--json"])
    assert listed.exit_code == 0 and issued["id"] in listed.stdout and token.split("_", 2)[2] not in listed.stdout
    assert runner.invoke(tokens_app, ["revoke", issued["id"]]).exit_code == 0
    with http_client(secure_server.live, token) as client:
        assert_refused(client.get(f"/v1/sessions/{secure_server.sessions['B']}"), 401)
    refused = runner.invoke(tokens_app, ["create", "--role", "viewer"])
    assert refused.exit_code == 1 and "one session" in refused.output
    bad = runner.invoke(tokens_app, ["create", "--role", "staff", "--expires", "soon"])
    assert bad.exit_code == 2 and "duration" in bad.output


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("12h", 43200), ("7d", 604800),
                                           ("2w", 1209600), (" 3D ", 259200)])
def test_token_lifetimes_read_as_people_write_them(text, seconds):
    from service.cli_tokens import parse_duration

    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "1y", "1.5h", "-3d", "7 days"])
def test_token_lifetimes_that_are_not_durations(text):
    from service.cli_tokens import parse_duration

    with pytest.raises(ValueError):
        parse_duration(text)
