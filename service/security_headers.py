"""Headers every HTTP response carries, so that no answer of floorcast's can be sniffed, framed or scripted.

Pages (:mod:`service.routes_pages`) send their own Content-Security-Policy;
every other response — API JSON, exports, static files, errors — gets
``default-src 'none'; frame-ancestors 'none'`` unless its route set one, and
every response gets ``X-Content-Type-Options: nosniff``. A pure ASGI
middleware: websockets pass untouched and bodies are not buffered.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "API_CSP"]

API_CSP = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = API_CSP
            await send(message)

        await self.app(scope, receive, with_headers)
