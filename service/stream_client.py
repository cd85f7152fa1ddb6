"""Client of a live session: PCM in over the ingest websocket, caption events out of the captions websocket.

:func:`stream` is what ``floorcast stream`` and the benchmarks run: it takes an
async iterator of 16 kHz mono s16le bytes and calls ``on_event(event,
received_at)`` for every caption event of its channel, ``received_at`` being
seconds (monotonic clock) since the first audio frame was sent.

Sequence: captions websocket first (so no event is missed), then ingest
``start`` → ``ready`` → frames paced at real time / ``speed`` → ``stop`` →
``stopped``; then captions are read until the session's ``last_seq`` (read
over HTTP after ``stopped``) has arrived, or ``quiet_s`` passed without one.

Foreign exceptions (OS, httpx, websockets) are translated here, once::

    StreamError            one line for a human; base of the others
    ├── ConnectError       the server cannot be reached
    ├── AuthError          HTTP 401 / close code 4401
    ├── NotFoundError      HTTP 404 / close code 4404 (session or channel)
    └── ClosedError        a websocket closed by the server with another code
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import time
from dataclasses import dataclass
from typing import AsyncIterable, Awaitable, Callable, Iterator, Union
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from service.protocol import (ChannelSpec, CloseCode, FinalEvent, PartialEvent, ReadyEvent, SessionCreate,
                              SessionEndedEvent, SessionPublic, StartMessage, StopMessage, StoppedEvent,
                              caption_event_adapter)

__all__ = ["StreamError", "ConnectError", "AuthError", "NotFoundError", "ClosedError", "Server", "StreamResult",
           "Caption", "EventCallback", "channel_spec", "create_session", "get_session", "open_session",
           "default_server_url", "stream"]

Caption = Union[PartialEvent, FinalEvent, SessionEndedEvent]
EventCallback = Callable[[Caption, float], Union[Awaitable[None], None]]
CLOSE_NAMES = {value: name.lower().replace("_", " ") for name, value in vars(CloseCode).items() if name.isupper()}


class StreamError(Exception):
    """Anything that ends a stream early; ``str()`` is one line for a human."""


class ConnectError(StreamError):
    """The server cannot be reached."""


class AuthError(StreamError):
    """HTTP 401 or close code 4401: missing or wrong token."""


class NotFoundError(StreamError):
    """HTTP 404 or close code 4404: unknown session or channel."""


class ClosedError(StreamError):
    """A websocket closed by the server with any other code (``code``; None when the connection was lost)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Server:
    url: str  # http://host:port
    token: str

    def ws(self, path: str, **query: str) -> str:
        parts = urlsplit(self.url.rstrip("/"))
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return urlunsplit((scheme, parts.netloc, parts.path + path, qs, ""))


@dataclass
class StreamResult:
    session_id: str
    channel: str
    offset_s: float  # session time at which this stream's audio begins (from ``ready``)
    sent_s: float  # seconds of audio sent
    audio_s: float  # seconds of audio the server recognised (from ``stopped``)
    events: int
    session_ended: bool = False


def channel_spec(name: str) -> ChannelSpec:
    """``booth-fr`` is an interpretation booth with its language fixed to ``fr``; anything else floats."""
    prefix, _, lang = name.partition("-")
    fixed = prefix == "booth" and 2 <= len(lang) <= 3 and lang.isalpha() and lang.islower()
    return ChannelSpec(name=name, language=lang if fixed else None)


# -- error translation ---------------------------------------------------------------
def _closed(which: str, exc: ConnectionClosed) -> StreamError:
    if exc.rcvd is None:
        return ClosedError(f"{which} websocket: connection lost", None)
    code, reason = exc.rcvd.code, exc.rcvd.reason or CLOSE_NAMES.get(exc.rcvd.code, "")
    message = f"{which} websocket closed by server: {code} {reason}".rstrip()
    if code == CloseCode.UNAUTHORIZED:
        return AuthError(message)
    if code == CloseCode.NOT_FOUND:
        return NotFoundError(message)
    return ClosedError(message, code)


def _http_error(response: httpx.Response) -> StreamError:
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
def _translated(server: Server, which: str) -> Iterator[None]:
    try:
        yield
    except ConnectionClosed as exc:
        raise _closed(which, exc) from None
    except InvalidStatus as exc:
        status = exc.response.status_code
        cls = AuthError if status == 401 else NotFoundError if status == 404 else StreamError
        raise cls(f"{which} websocket refused with HTTP {status} by {server.url}") from None
    except (httpx.ConnectError, OSError) as exc:
        raise ConnectError(f"cannot connect to {server.url}: {_os_reason(exc)}") from None
    except (httpx.TimeoutException, TimeoutError):
        raise ConnectError(f"{server.url} did not answer in time ({which})") from None
    except (InvalidURI, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise StreamError(f"bad server URL {server.url!r}: {exc}") from None


# -- HTTP ------------------------------------------------------------------------------
async def _request(server: Server, method: str, path: str, body: dict | None = None) -> dict:
    with _translated(server, "HTTP"):
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0,
                                     headers={"Authorization": f"Bearer {server.token}"}) as client:
            response = await client.request(method, path, json=body)
    if response.is_error:
        raise _http_error(response)
    return response.json()


async def create_session(server: Server, *, title: str = "Untitled session",
                         channels: tuple[str, ...] = ("floor",)) -> SessionPublic:
    try:
        spec = SessionCreate(title=title, channels=[channel_spec(c) for c in channels])
    except ValidationError as exc:
        raise StreamError(f"invalid session: {exc.errors()[0]['msg']}") from None
    return SessionPublic.model_validate(await _request(server, "POST", "/v1/sessions", spec.model_dump()))


async def get_session(server: Server, session_id: str) -> SessionPublic:
    return SessionPublic.model_validate(await _request(server, "GET", f"/v1/sessions/{quote(session_id, safe='')}"))


async def open_session(server: Server, session_id: str | None, *, channel: str = "floor",
                       title: str = "Untitled session") -> SessionPublic:
    """The given session, checked to be live with ``channel``; or, without an id, a new session with that channel."""
    if session_id is None:
        return await create_session(server, title=title, channels=(channel,))
    session = await get_session(server, session_id)
    if session.status != "live":
        raise StreamError(f"session {session_id!r} has ended")
    if channel not in {c.name for c in session.channels}:
        names = ", ".join(c.name for c in session.channels)
        raise NotFoundError(f"session {session_id!r} has no channel {channel!r}; channels: {names}")
    return session


def default_server_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to ``host:port``."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


# -- captions --------------------------------------------------------------------------
class _CaptionReader:
    """Reads the captions websocket in a task; remembers the highest ``seq`` seen."""

    def __init__(self, ws: ClientConnection, channel: str, on_event: EventCallback,
                 clock: Callable[[], float]) -> None:
        self.ws, self.channel, self.on_event, self.clock = ws, channel, on_event, clock
        self.max_seq = 0
        self.events = 0
        self.ended = False
        self.progress = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            async for raw in self.ws:  # ends quietly on close code 1000/1001
                try:
                    event = caption_event_adapter.validate_json(raw)
                except ValueError:
                    raise StreamError(f"unexpected message on captions websocket: {str(raw)[:120]}") from None
                self.max_seq = max(self.max_seq, event.seq)
                if isinstance(event, SessionEndedEvent) or event.channel == self.channel:
                    self.events += 1
                    outcome = self.on_event(event, self.clock())
                    if inspect.isawaitable(outcome):
                        await outcome
                self.progress.set()
                if isinstance(event, SessionEndedEvent):
                    self.ended = True
                    return
        except ConnectionClosed as exc:
            raise _closed("captions", exc) from None
        finally:
            self.progress.set()

    def check(self) -> None:
        """Raise what ended the reader, if it failed."""
        if self.task.done() and not self.task.cancelled() and self.task.exception() is not None:
            raise self.task.exception()  # type: ignore[misc]

    async def drain(self, target_seq: float, quiet_s: float) -> None:
        """Wait until ``target_seq`` arrived, the socket closed, or ``quiet_s`` passed without an event."""
        while not self.task.done():
            self.progress.clear()
            if self.max_seq >= target_seq:
                return
            try:
                await asyncio.wait_for(self.progress.wait(), quiet_s)
            except TimeoutError:
                return


# -- ingest ----------------------------------------------------------------------------
async def _expect(ws: ClientConnection, kind: type, timeout_s: float | None) -> object:
    raw = await asyncio.wait_for(ws.recv(), timeout_s)
    try:
        return kind.model_validate_json(raw)
    except ValueError:
        raise StreamError(f"unexpected message from ingest websocket: {str(raw)[:120]}") from None


class _Clock:
    """Monotonic seconds since the first audio frame was sent (0.0 before it)."""

    def __init__(self) -> None:
        self.t0: float | None = None

    def start(self) -> float:
        if self.t0 is None:
            self.t0 = time.monotonic()
        return self.t0

    def __call__(self) -> float:
        return time.monotonic() - self.t0 if self.t0 is not None else 0.0


async def _send_paced(ws: ClientConnection, pcm: AsyncIterable[bytes], reader: _CaptionReader, clock: _Clock, *,
                      speed: float, bytes_per_s: int) -> int:
    """Send frames; a frame leaves at t0 + (audio before it) / speed on the monotonic clock (speed 0: at once)."""
    sent = 0
    async for frame in pcm:
        reader.check()
        if reader.ended:
            break
        due = clock.start() + (sent / bytes_per_s / speed if speed > 0 else 0.0)
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        await ws.send(frame)
        sent += len(frame)
    return sent


async def stream(pcm: AsyncIterable[bytes], *, server: Server, session_id: str, on_event: EventCallback,
                 channel: str = "floor", speed: float = 1.0, sample_rate_hz: int = 16_000, quiet_s: float = 2.0,
                 stop_timeout_s: float | None = 600.0) -> StreamResult:
    """Stream mono s16le PCM into a session's channel; report its caption events until the last final."""
    if speed < 0 or not math.isfinite(speed):
        raise ValueError("speed must be 0 (as fast as possible) or positive")
    clock = _Clock()
    sid = quote(session_id, safe="")
    with _translated(server, "captions"):
        async with connect(server.ws(f"/v1/sessions/{sid}/captions", token=server.token, recent="0")) as captions:
            reader = _CaptionReader(captions, channel, on_event, clock)
            try:
                with _translated(server, "ingest"):
                    async with connect(server.ws(f"/v1/sessions/{sid}/audio", channel=channel), compression=None,
                                       additional_headers={"Authorization": f"Bearer {server.token}"}) as ingest:
                        await ingest.send(StartMessage(type="start", sample_rate=sample_rate_hz).model_dump_json())
                        ready = await _expect(ingest, ReadyEvent, 30.0)
                        sent = await _send_paced(ingest, pcm, reader, clock, speed=speed,
                                                 bytes_per_s=2 * sample_rate_hz)
                        await ingest.send(StopMessage(type="stop").model_dump_json())
                        stopped = await _expect(ingest, StoppedEvent, stop_timeout_s)
                try:
                    target: float = (await get_session(server, session_id)).last_seq
                except StreamError:
                    target = math.inf  # fall back on quiet_s
                await reader.drain(target, quiet_s)
                reader.check()
            finally:
                reader.task.cancel()
                await asyncio.gather(reader.task, return_exceptions=True)
    assert isinstance(ready, ReadyEvent) and isinstance(stopped, StoppedEvent)
    return StreamResult(session_id=session_id, channel=channel, offset_s=ready.offset_s,
                        sent_s=sent / (2 * sample_rate_hz), audio_s=stopped.audio_s, events=reader.events,
                        session_ended=reader.ended)
