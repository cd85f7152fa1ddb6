"""A real server configured for the security tests, the tokens they use, and clients from chosen addresses.

The server runs with low rate limits, one allowed CORS origin and a database
file of its own (the tests read it to see what is stored). Each test that
counts failed attempts per client address connects from an address of its
own on the loopback network (127.0.0.2, 127.0.0.3, ...), so the limits one
test trips never touch another test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from support import LiveServer, ServerProcess

__all__ = ["ALLOWED_ORIGIN", "AUTH_FAILURES_PER_MINUTE", "SEARCH_PER_MINUTE", "JOIN_CODE_FAILURES_PER_SESSION", "WHO", "SecureServer", "secure_server",
           "fresh_address", "http_client", "ws_outcome", "WsOutcome"]

ALLOWED_ORIGIN = "https://captions.example.org"
AUTH_FAILURES_PER_MINUTE = 5
SEARCH_PER_MINUTE = 5
JOIN_CODE_FAILURES_PER_SESSION = 12
_addresses = (f"127.0.{n // 250}.{2 + n % 250}" for n in itertools.count())


def fresh_address() -> str:
    """A loopback address no other test has connected from."""
    return next(_addresses)


def http_client(server: LiveServer, token: str | None = None, *, address: str | None = None,
                headers: dict[str, str] | None = None) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address or "127.0.0.1")
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.base_url, transport=transport, headers={**auth, **(headers or {})},
                        timeout=30.0)


@dataclass
class WsOutcome:
    code: int | None  # None: the server had not closed it
    reason: str
    messages: list[dict] = field(default_factory=list)


ANSWERS = ("pong", "ready", "stopped")


async def ws_outcome(url: str, *, token: str | None = None, address: str | None = None, origin: str | None = None,
                     exchange: list[dict] | None = None, wait_s: float = 3.0) -> WsOutcome:
    """Open; send each message of ``exchange`` and read up to its answer (pong, ready, stopped); with no
    exchange, wait ``wait_s`` for the server to close it. Then report the close code (None: still open)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    messages: list[dict] = []
    async with websockets.connect(url, additional_headers=headers, origin=origin, open_timeout=30,
                                  local_addr=(address or "127.0.0.1", 0)) as ws:
        try:
            for message in exchange or []:
                await ws.send(json.dumps(message))
                async with asyncio.timeout(60):
                    while True:
                        messages.append(json.loads(await ws.recv()))
                        if messages[-1].get("type") in ANSWERS:
                            break
            if not exchange:
                async with asyncio.timeout(wait_s):
                    messages.append(json.loads(await ws.recv()))
            async with asyncio.timeout(0.5):  # a close that follows the last answer (ingest: "stopped")
                await ws.recv()
        except ConnectionClosed:
            return WsOutcome(ws.close_code, ws.close_reason or "", messages)
        except TimeoutError:
            pass
        return WsOutcome(None, "", messages)


@dataclass
class SecureServer:
    live: LiveServer
    database: Path
    sessions: dict[str, str]  # A, B (private), P (public) -> session id
    join_codes: dict[str, str]  # A, B, P -> join code
    tokens: dict[str, str]  # who -> bearer token
    token_ids: dict[str, str]  # who -> token id

    def token(self, who: str) -> str:
        return self.tokens[who]

    def admin(self) -> httpx.Client:
        return http_client(self.live, self.live.token)

    def issue(self, role: str, session: str | None = None, **fields) -> dict:
        """A new token (role, the session's letter or None): the API's answer, ``token`` included."""
        body = {"role": role, **({"session_id": self.sessions[session]} if session else {}), **fields}
        with self.admin() as client:
            response = client.post("/v1/tokens", json=body)
        assert response.status_code == 201, response.text
        return response.json()


WHO = {"admin": ("admin", None), "captioner": ("captioner", None), "captioner_a": ("captioner", "A"),
       "captioner_b": ("captioner", "B"), "staff": ("staff", None), "viewer_a": ("viewer", "A"),
       "viewer_b": ("viewer", "B")}


@pytest.fixture(scope="session")
def secure_server(base_model, data_dir, tmp_path_factory) -> SecureServer:
    root = tmp_path_factory.mktemp("security")
    database = root / "secure.db"
    env = {"FLOORCAST_DATABASE_URL": f"sqlite:///{database}", "FLOORCAST_TRANSLATION": "false",
           "FLOORCAST_ALLOWED_ORIGINS": json.dumps([ALLOWED_ORIGIN]),
           "FLOORCAST_AUTH_FAILURES_PER_MINUTE": str(AUTH_FAILURES_PER_MINUTE),
           "FLOORCAST_SEARCH_PER_MINUTE": str(SEARCH_PER_MINUTE),
           "FLOORCAST_JOIN_CODE_FAILURES_PER_SESSION_PER_MINUTE": str(JOIN_CODE_FAILURES_PER_SESSION)}
    with ServerProcess(data_dir, root / "server.log", env=env) as process:
        live = process.live
        created = {name: live.create_session(title=f"Session {name}", public=name == "P") for name in "ABP"}
        server = SecureServer(live, database, {n: s["id"] for n, s in created.items()},
                              {n: s["join_code"] for n, s in created.items()}, {}, {})
        for who, (role, session) in WHO.items():
            issued = server.issue(role, session, label=who)
            server.tokens[who], server.token_ids[who] = issued["token"], issued["id"]
        expiring = server.issue("admin", label="expired", expires_in_s=1)
        revoked = server.issue("admin", label="revoked")
        with server.admin() as client:
            assert client.delete(f"/v1/tokens/{revoked['id']}").json()["state"] == "revoked"
        server.tokens["expired"], server.tokens["revoked"] = expiring["token"], revoked["token"]
        server.token_ids["expired"], server.token_ids["revoked"] = expiring["id"], revoked["id"]
        time.sleep(1.2)  # the expiring token has expired
        yield server
