"""Who is asking, and may they: roles, tokens and join codes for the HTTP routes and both websockets.

Roles (``admin`` may do everything)::

    admin      sessions, tokens (``/v1/tokens``), deleting sessions; the bootstrap
               ``FLOORCAST_ADMIN_TOKEN`` is an admin credential
    captioner  create, list, read, change and end sessions; send audio; read
               captions; correct segments. A token may be limited to one session.
    staff      read sessions, transcripts, search, segments (and edit them),
               translation status; read the captions of any session
    viewer     read the captions of one session (the token names it)

A session's captions (websocket, ``GET /v1/sessions/{id}``, live WebVTT) may
also be read with no token when the session is ``public``, or with the
session's join code (``?code=``).

Refusals: **401** (websocket close 4401) for a missing, unknown, expired or
revoked token or a wrong join code, with ``WWW-Authenticate: Bearer``; **403**
(4403) for a good token whose role or session does not allow the request;
**429** (4429) for an unknown token from an address that presented too many, or
a join code for a session with too many wrong guesses (:mod:`service.rate_limit`:
a known token is never refused for anyone's failures). Bodies are ``{"detail": "..."}``; no refusal
repeats what was presented.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from starlette.requests import HTTPConnection

from captions_store.records import SessionAccess
from captions_store.store import NotFound
from captions_store.tokens_store import join_code_matches, normalise_join_code
from service.protocol import CloseCode
from service.rate_limit import GuessLimit, RateLimited, RateLimits, WindowLimit

__all__ = ["Principal", "AccessDenied", "Unauthorized", "Forbidden", "TooManyAttempts", "token_ok", "bearer",
           "client_address", "identify", "watch_access", "session_access", "Requires", "SessionWatcher",
           "PlayerWatcher", "take_or_429", "SEES_JOIN_CODE", "LAST_USED_EVERY_S"]

SEES_JOIN_CODE = ("admin", "captioner")  # the people who run a session share its join code
LAST_USED_EVERY_S = 60.0  # a token's last_used_at is written at most this often


@dataclass(frozen=True)
class Principal:
    """The caller, once identified. ``session_id`` set: the caller may act on that session only."""

    role: str
    session_id: str | None = None
    token_id: str | None = None
    via: str = "token"  # token | admin_token | join_code | public

    @property
    def key(self) -> str:
        """Names the caller for per-caller limits."""
        return self.token_id or (self.via if self.session_id is None else f"{self.via}:{self.session_id}")

    def covers(self, session_id: str) -> bool:
        return self.session_id is None or self.session_id == session_id

    def may(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles

    def may_watch(self, session_id: str) -> bool:
        return self.may("staff") or (self.role in ("captioner", "viewer") and self.covers(session_id))


class AccessDenied(Exception):
    status_code = status.HTTP_401_UNAUTHORIZED
    close_code = CloseCode.UNAUTHORIZED

    def __init__(self, detail: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = retry_after_s

    def http(self) -> HTTPException:
        headers = {"WWW-Authenticate": "Bearer"} if self.status_code == 401 else {}
        if self.retry_after_s is not None:
            headers["Retry-After"] = str(self.retry_after_s)
        return HTTPException(self.status_code, self.detail, headers=headers or None)


class Unauthorized(AccessDenied):
    """No credential where one is needed, or one that is not (or no longer) good: 401 / 4401."""


class Forbidden(AccessDenied):
    """A good credential that does not allow this: 403 / 4403."""

    status_code = status.HTTP_403_FORBIDDEN
    close_code = CloseCode.FORBIDDEN


class TooManyAttempts(AccessDenied):
    """Too many wrong credentials from this address: 429 / 4429 with Retry-After."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    close_code = CloseCode.TOO_MANY_REQUESTS


def token_ok(presented: str | None, expected: str) -> bool:
    return bool(presented) and bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def _limits(app: FastAPI) -> RateLimits:
    return app.state.rate_limits


def _refuse_if_over(*checks: tuple[GuessLimit, str]) -> None:
    try:
        for limit, key in checks:
            limit.check(key)
    except RateLimited as exc:
        raise TooManyAttempts(str(exc), retry_after_s=exc.retry_after_s) from None


async def identify(app: FastAPI, presented: str | None, client: str) -> Principal | None:
    """The principal a presented token stands for; None when none was presented.

    A known token is never refused for failures (its own address's or anyone's):
    only unknown tokens count, and only they are refused once the address is over.
    """
    if not presented:
        return None
    if token_ok(presented, app.state.settings.admin_token):
        return Principal("admin", via="admin_token")
    record = await asyncio.to_thread(app.state.store.token_for, presented)
    if record is None:
        failures = _limits(app).token_failures
        _refuse_if_over((failures, client))
        failures.failed(client, presented)
        raise Unauthorized("unknown token")
    now = datetime.now(timezone.utc)
    state = record.state(now)
    if state != "active":
        raise Unauthorized(f"token {state}")
    if record.last_used_at is None or now - record.last_used_at > timedelta(seconds=LAST_USED_EVERY_S):
        await asyncio.to_thread(app.state.store.touch_token, record.id, now)
    return Principal(record.role, record.session_id, record.id)


def _try_join_code(app: FastAPI, access: SessionAccess | None, session_id: str, code: str, client: str) -> bool:
    """Whether ``code`` is the session's join code, counting a wrong one against this address and the session."""
    limits = _limits(app)
    target = f"{client} {session_id}"  # the guess's target: this session, from this address
    _refuse_if_over((limits.code_failures, target), (limits.session_code_failures, session_id))
    if access is not None and join_code_matches(code, access.join_code):
        return True
    guess = normalise_join_code(code)
    limits.code_failures.failed(target, guess)
    limits.session_code_failures.failed(session_id, guess)
    return False


async def session_access(app: FastAPI, session_id: str) -> SessionAccess | None:
    """Whether the session is public and its join code: from the live session here, else the store."""
    live = app.state.registry.get(session_id)
    if live is not None:
        return SessionAccess(session_id, live.spec.public, live.join_code)
    try:
        return await asyncio.to_thread(app.state.store.session_access, session_id)
    except NotFound:
        return None


async def watch_access(app: FastAPI, principal: Principal | None, session_id: str, code: str | None,
                       client: str) -> Principal:
    """May this caller read the session's captions? The principal it reads them as, or AccessDenied."""
    if principal is not None and principal.may_watch(session_id):
        return principal
    access = await session_access(app, session_id)
    if access is not None and access.public:
        return principal or Principal("viewer", session_id, via="public")
    if code:
        if _try_join_code(app, access, session_id, code, client):
            return Principal("viewer", session_id, via="join_code")
        raise Unauthorized("wrong join code")
    if principal is None:
        raise Unauthorized("this session needs a token or its join code")
    raise Forbidden(f"a {principal.role} token for {_scope(principal)} cannot read this session")


def _scope(principal: Principal) -> str:
    return "every session" if principal.session_id is None else "another session"


def take_or_429(limit: WindowLimit, key: str) -> None:
    try:
        limit.take(key)
    except RateLimited as exc:
        raise TooManyAttempts(str(exc), retry_after_s=exc.retry_after_s).http() from None


# -- HTTP dependencies ----------------------------------------------------------------------
class Requires:
    """A dependency: the caller holds one of ``roles`` (admin always does).

    A token limited to one session may act only on the path's ``{session_id}``;
    with ``every_session``, such a token is refused (creating sessions, say).
    """

    def __init__(self, *roles: str, every_session: bool = False) -> None:
        self.roles = roles
        self.every_session = every_session

    async def __call__(self, request: Request) -> Principal:
        try:
            principal = await identify(request.app, bearer(request.headers.get("authorization")),
                                       client_address(request))
            if principal is None:
                raise Unauthorized("missing bearer token")
            if not principal.may(*self.roles):
                raise Forbidden(f"a {principal.role} token may not do this")
            session_id = request.path_params.get("session_id")
            if principal.session_id is not None:
                if self.every_session:
                    raise Forbidden("this token is for one session only")
                if session_id is not None and session_id != principal.session_id:
                    raise Forbidden("this token is for another session")
        except AccessDenied as exc:
            raise exc.http() from None
        return principal


CodeQuery = Annotated[str | None, Query(max_length=64, description="The session's join code (private sessions)")]
TokenQuery = Annotated[str | None, Query(max_length=256, description="Access token, for players that cannot "
                                                                      "send an Authorization header")]


async def _watcher(request: Request, session_id: str, code: str | None, token: str | None) -> Principal:
    try:
        presented = bearer(request.headers.get("authorization")) or token
        principal = await identify(request.app, presented, client_address(request))
        return await watch_access(request.app, principal, session_id, code, client_address(request))
    except AccessDenied as exc:
        raise exc.http() from None


async def _session_watcher(request: Request, session_id: Annotated[str, Path()], code: CodeQuery = None) -> Principal:
    return await _watcher(request, session_id, code, None)


async def _player_watcher(request: Request, session_id: Annotated[str, Path()], code: CodeQuery = None,
                          token: TokenQuery = None) -> Principal:
    return await _watcher(request, session_id, code, token)


SessionWatcher = Annotated[Principal, Depends(_session_watcher)]  # Bearer header, or ?code=, or a public session
PlayerWatcher = Annotated[Principal, Depends(_player_watcher)]  # the same, and ?token= for HLS players
