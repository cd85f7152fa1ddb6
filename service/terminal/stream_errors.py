"""What can end a client stream, as one line for a human, and whether trying again may help.

Foreign exceptions (OS, httpx, websockets) are translated here, once::

    StreamError            one line for a human; base of the others
    ├── ConnectError       the server cannot be reached
    ├── AuthError          HTTP 401 / close code 4401
    ├── NotFoundError      HTTP 404 / close code 4404 (session or channel)
    ├── RefusedError       a websocket upgrade answered with another HTTP status
    └── ClosedError        a websocket closed by the server with another code, or lost
"""

from __future__ import annotations

import contextlib
import json
from typing import Iterator

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from service.protocol import CloseCode

__all__ = ["StreamError", "ConnectError", "AuthError", "NotFoundError", "RefusedError", "ClosedError",
           "closed_error", "http_error", "translated", "worth_retrying"]

CLOSE_NAMES = {value: name.lower().replace("_", " ") for name, value in vars(CloseCode).items() if name.isupper()}
GOING_AWAY, ABNORMAL, SERVICE_RESTART = 1001, 1006, 1012
# Close codes after which the same stream may go on: the server went away or restarts, the recogniser failed
# ("reconnect to continue"), the session is recorded elsewhere for now (1013), or the channel is still held
# by the connection that was lost (4409; an ended session is checked for separately).
RETRYABLE_CLOSE_CODES = frozenset({GOING_AWAY, ABNORMAL, CloseCode.INTERNAL_ERROR, SERVICE_RESTART,
                                   CloseCode.TRY_AGAIN_LATER, CloseCode.CONFLICT})


class StreamError(Exception):
    """Anything that ends a stream early; ``str()`` is one line for a human."""


class ConnectError(StreamError):
    """The server cannot be reached."""


class AuthError(StreamError):
    """HTTP 401 or close code 4401: missing or wrong token."""


class NotFoundError(StreamError):
    """HTTP 404 or close code 4404: unknown session or channel."""


class RefusedError(StreamError):
    """A websocket upgrade refused with HTTP ``status`` (a proxy's 502 while the service restarts, ...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ClosedError(StreamError):
    """A websocket closed by the server with any other code (``code``; None when the connection was lost)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def worth_retrying(exc: StreamError) -> bool:
    """Whether reconnecting may continue the stream (never for a wrong token or an unknown session)."""
    if isinstance(exc, ConnectError):
        return True
    if isinstance(exc, RefusedError):
        return exc.status >= 500 or exc.status == 429
    if isinstance(exc, ClosedError):
        return exc.code is None or exc.code in RETRYABLE_CLOSE_CODES
    return False


def closed_error(which: str, exc: ConnectionClosed) -> StreamError:
    if exc.rcvd is None:
        return ClosedError(f"{which} websocket: connection lost", None)
    code, reason = exc.rcvd.code, exc.rcvd.reason or CLOSE_NAMES.get(exc.rcvd.code, "")
    message = f"{which} websocket closed by server: {code} {reason}".rstrip()
    if code == CloseCode.UNAUTHORIZED:
        return AuthError(message)
    if code == CloseCode.NOT_FOUND:
        return NotFoundError(message)
    return ClosedError(message, code)


def http_error(response: httpx.Response) -> StreamError:
    try:
        data = response.json()
        detail = data.get("detail", data) if isinstance(data, dict) else data
    except ValueError:
        detail = response.text
    detail = detail if isinstance(detail, str) else json.dumps(detail)
    message = f"server answered {response.status_code} on {response.request.url.path}: {detail}"
    return {401: AuthError, 404: NotFoundError}.get(response.status_code, StreamError)(message)


def _os_reason(exc: BaseException) -> str:
    """The innermost OS error's words ("Connection refused"), not the wrapper's."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.strerror and seen.errno:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    return str(exc)


@contextlib.contextmanager
def translated(url: str, which: str) -> Iterator[None]:
    """Raise a :class:`StreamError` for whatever talking to the server at ``url`` raised."""
    try:
        yield
    except ConnectionClosed as exc:
        raise closed_error(which, exc) from None
    except InvalidStatus as exc:
        status = exc.response.status_code
        message = f"{which} websocket refused with HTTP {status} by {url}"
        if status in (401, 404):
            raise (AuthError if status == 401 else NotFoundError)(message) from None
        raise RefusedError(message, status) from None
    except (httpx.TimeoutException, TimeoutError):  # before OSError, of which TimeoutError is one
        raise ConnectError(f"{url} did not answer in time ({which})") from None
    except (httpx.ConnectError, OSError) as exc:
        raise ConnectError(f"cannot connect to {url}: {_os_reason(exc)}") from None
    except (InvalidURI, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise StreamError(f"bad server URL {url!r}: {exc}") from None
