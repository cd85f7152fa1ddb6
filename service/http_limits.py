"""Limits at the connection, before any request reaches the app: a header-read timeout and a connection cap.

uvicorn has a keep-alive timeout (an idle connection between requests is
closed) but no timeout for reading a request's headers: a slowloris client
that opens sockets and sends a header byte now and then holds each one for
good. :class:`LimitedHttpProtocol` is uvicorn's httptools protocol with two
additions, both read from the settings once per process:

* the request line and headers must arrive within
  :data:`Settings.header_timeout_s` of the connection opening (or of the
  first byte of the next request on a keep-alive connection), else the
  server answers **408** with a JSON body and closes the connection;
* an instance holding :data:`Settings.max_connections` connections (HTTP
  and websockets together) answers a new one **503** with ``Retry-After``
  and closes it, instead of running out of file descriptors.

``floorcast serve`` runs uvicorn with it; so does ``uvicorn
service.app:create_app --factory --http service.http_limits:LimitedHttpProtocol``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from functools import lru_cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["LimitedHttpProtocol", "ConnectionLimits", "PROTOCOL"]

PROTOCOL = "service.http_limits:LimitedHttpProtocol"  # uvicorn's --http / http= for this class


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout_s: float
    max_connections: int


@lru_cache(maxsize=1)
def _limits() -> ConnectionLimits:
    from service.settings import get_settings

    settings = get_settings()
    return ConnectionLimits(settings.header_timeout_s, settings.max_connections)


def _answer(status: int, reason: str, detail: str, extra: str = "") -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close\r\n"
            f"content-length: {len(body)}\r\n{extra}\r\n")
    return head.encode("latin-1") + body


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a header-read timeout and a per-instance connection cap."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._connection_limits = _limits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limits = self._connection_limits
        if len(self.connections) > limits.max_connections:
            transport.write(_answer(503, "Service Unavailable",
                                    f"this instance holds {limits.max_connections} connections; retry shortly",
                                    "retry-after: 5\r\n"))
            transport.close()
            return
        self._start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # the next request on a keep-alive connection
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self._connection_limits.header_timeout_s, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            timeout_s = self._connection_limits.header_timeout_s
            self.transport.write(_answer(408, "Request Timeout",
                                         f"the request headers did not arrive within {timeout_s:g} s"))
            self.transport.close()
