"""Limits that protect a live meeting, attacked on a real server (issue 15 items 3 and 5).

One ``uvicorn`` process as ``floorcast serve`` runs it (``service.http_limits`` protocol, no uvicorn
proxy headers) with small limits: a 2 s header timeout, 40 connections, 3 websockets per client
address, 2 live sessions per token, proxy headers believed from 127.0.0.3 only, no metrics token.
Clients connect from distinct loopback addresses (127.0.x.y), as distinct machines would.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time

import httpx
import pytest

from security_support import fresh_address, http_client, ws_outcome
from support import ServerProcess

pytestmark = [pytest.mark.model]

HEADER_TIMEOUT_S = 2
MAX_CONNECTIONS = 40
SOCKETS_PER_CLIENT = 3
SESSIONS_PER_TOKEN = 2
PROXY = "127.0.0.3"
FAILURES = 3


@pytest.fixture(scope="module")
def limited(base_model, data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("limited")
    env = {"FLOORCAST_DATABASE_URL": f"sqlite:///{root / 'limited.db'}", "FLOORCAST_TRANSLATION": "false",
           "FLOORCAST_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S), "FLOORCAST_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
           "FLOORCAST_MAX_SOCKETS_PER_CLIENT": str(SOCKETS_PER_CLIENT),
           "FLOORCAST_MAX_LIVE_SESSIONS_PER_TOKEN": str(SESSIONS_PER_TOKEN),
           "FLOORCAST_TRUSTED_PROXIES": PROXY, "FLOORCAST_AUTH_FAILURES_PER_MINUTE": str(FAILURES),
           "FLOORCAST_METRICS_TOKEN": ""}
    with ServerProcess(data_dir, root / "server.log", env=env) as process:
        yield process.live


def _port(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _slow_socket(server, address: str) -> socket.socket:
    """A slowloris client: connects and sends the start of a request line, never the end of its headers."""
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=10, source_address=(address, 0))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def _guess(client: httpx.Client, forwarded_for: str) -> int:
    headers = {"Authorization": f"Bearer fc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}",
               "X-Forwarded-For": forwarded_for}
    return client.get("/v1/sessions", headers=headers).status_code


def test_slow_headers_are_answered_408_and_closed_while_the_server_serves_others(limited):
    address = fresh_address()
    sockets = [_slow_socket(limited, address) for _ in range(20)]
    started = time.monotonic()
    try:
        with http_client(limited) as client:  # served meanwhile
            assert client.get("/healthz").status_code == 200
        for sock in sockets:
            sock.sendall(b"X-Slow: 1\r\n")  # a header line now and then does not buy time
        answers = [_read_all(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    waited_s = time.monotonic() - started
    assert all(a.startswith(b"HTTP/1.1 408 ") and b'"detail"' in a for a in answers), answers[0]
    assert HEADER_TIMEOUT_S - 0.5 <= waited_s <= HEADER_TIMEOUT_S + 3, waited_s


def test_a_keep_alive_connection_gets_the_same_timeout_for_its_next_request(limited):
    sock = socket.create_connection(("127.0.0.1", _port(limited)), timeout=10, source_address=(fresh_address(), 0))
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(4096)
        time.sleep(0.5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next request, never finished
        answers = first + _read_all(sock)
    finally:
        sock.close()
    assert answers.startswith(b"HTTP/1.1 200 ") and answers.count(b"HTTP/1.1 ") == 2
    assert b"HTTP/1.1 408 " in answers


def test_an_instance_full_of_connections_answers_503_and_recovers(limited):
    held = []
    try:
        for _ in range(MAX_CONNECTIONS + 5):
            held.append(_slow_socket(limited, fresh_address()))
        with http_client(limited, address=fresh_address()) as client:
            refused = client.get("/healthz")
        assert refused.status_code == 503 and "retry" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "5"
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while True:
        with http_client(limited, address=fresh_address()) as client:
            if client.get("/healthz").status_code == 200:
                break
        assert time.monotonic() < deadline, "the instance did not take connections again"
        time.sleep(0.2)


def test_websockets_per_client_address_are_capped_with_1013(limited):
    session = limited.create_session(title="Capped", public=True)
    url = f"{limited.ws_url}/v1/sessions/{session['id']}/captions"
    crowded, elsewhere = fresh_address(), fresh_address()

    async def main() -> None:
        import websockets

        opened = [await websockets.connect(url, open_timeout=30, local_addr=(crowded, 0))
                  for _ in range(SOCKETS_PER_CLIENT)]
        try:
            one_more = await ws_outcome(url, address=crowded)
            assert one_more.code == 1013 and "from this address" in one_more.reason
            other = await ws_outcome(url, address=elsewhere, exchange=[{"type": "ping"}])
            assert other.code is None and other.messages[-1]["type"] == "pong"
        finally:
            for ws in opened:
                await ws.close()
        await asyncio.sleep(0.3)
        again = await ws_outcome(url, address=crowded, exchange=[{"type": "ping"}])
        assert again.code is None, "a closed socket frees its place"

    asyncio.run(main())


def test_live_sessions_per_token_are_capped_with_409_until_one_ends(limited):
    with http_client(limited, limited.token) as admin:
        issued = admin.post("/v1/tokens", json={"role": "captioner", "label": "busy"}).json()
    with http_client(limited, issued["token"]) as captioner:
        made = [captioner.post("/v1/sessions", json={"title": f"Room {n}"}) for n in range(SESSIONS_PER_TOKEN)]
        assert [m.status_code for m in made] == [201] * SESSIONS_PER_TOKEN
        refused = captioner.post("/v1/sessions", json={"title": "One too many"})
        assert refused.status_code == 409 and "end one first" in refused.json()["detail"]
        assert captioner.post(f"/v1/sessions/{made[0].json()['id']}/end").status_code == 200
        assert captioner.post("/v1/sessions", json={"title": "Now there is room"}).status_code == 201
    with http_client(limited, limited.token) as admin:  # the operator's own token is not capped
        made = [admin.post("/v1/sessions", json={"title": f"Admin's {n}"}) for n in range(SESSIONS_PER_TOKEN + 1)]
        assert [m.status_code for m in made] == [201] * (SESSIONS_PER_TOKEN + 1)


def test_forwarded_for_is_believed_from_the_trusted_proxy_only(limited):
    with http_client(limited, address=fresh_address()) as direct:  # not the proxy: its X-Forwarded-For is ignored
        statuses = [_guess(direct, f"192.0.2.{n}") for n in range(1, FAILURES + 2)]
    assert statuses == [401] * FAILURES + [429], "forged addresses gave no fresh counts"
    with http_client(limited, address=PROXY) as proxy:  # the proxy: each forwarded client counts on its own
        statuses = [_guess(proxy, f"198.51.100.{n}") for n in range(1, 3 * FAILURES)]
        assert set(statuses) == {401}, statuses
        same = [_guess(proxy, "198.51.100.200") for _ in range(FAILURES + 1)]
        assert same[-1] == 429, same


def test_metrics_without_a_token_answer_loopback_clients_only(limited):
    with http_client(limited, address=fresh_address()) as local:
        assert local.get("/metrics").status_code == 200
    with http_client(limited, address=PROXY) as proxy:  # a scraper outside, through the proxy
        refused = proxy.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert refused.status_code == 403 and "FLOORCAST_METRICS_TOKEN" in refused.json()["detail"]
