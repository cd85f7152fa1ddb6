"""Real HTTP servers that stand where Zoom, YouTube Live and a webhook receiver stand, on loopback.

Each records every request it gets (path, query, headers, body) and answers as
the platform documents: 200 with the server's time as the body (YouTube and
Zoom both return a timestamp). ``fail_first`` makes the first requests fail
(503), ``status`` makes every answer that code, and :class:`BlackHole` accepts
connections and never answers, like a destination that hangs.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["Received", "CaptionReceiver", "BlackHole", "assert_seq_discipline", "wait_until"]


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    answered: int
    at: float

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class CaptionReceiver:
    fail_first: int = 0
    status: int = 200
    clock_skew_s: float = 0.0  # answer with a clock this far from ours
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                failing = len(receiver.requests) < receiver.fail_first
                code = 503 if failing else receiver.status
                parts = urlsplit(self.path)
                receiver.requests.append(Received(parts.path, parse_qs(parts.query, keep_blank_values=True),
                                                  {k.lower(): v for k, v in self.headers.items()}, body, code,
                                                  time.time()))
                now = datetime.fromtimestamp(time.time() + receiver.clock_skew_s, timezone.utc)
                answer = (now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}\n").encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]

    def __enter__(self) -> "CaptionReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


class BlackHole:
    """Accepts TCP connections and never answers."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> "BlackHole":
        return self

    def __exit__(self, *exc) -> None:
        self._socket.close()


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def assert_seq_discipline(requests: list[Received]) -> list[Received]:
    """seq starts at 1 and grows by one per new post; a retry repeats its seq and its body exactly."""
    seqs = [int(r.param("seq")) for r in requests]
    assert seqs and seqs[0] == 1, seqs
    for before, after in zip(requests, requests[1:]):
        step = int(after.param("seq")) - int(before.param("seq"))
        assert step in (0, 1), seqs
        if step == 0:
            assert before.answered != 200 and before.body == after.body, "a retry must repeat the post unchanged"
    accepted = [r for r in requests if r.answered == 200]
    assert [int(r.param("seq")) for r in accepted] == list(range(1, len(accepted) + 1)), seqs
    return accepted
