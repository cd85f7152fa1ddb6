"""Client of a live session: PCM in over the ingest websocket, caption events out of the captions websocket.

:func:`stream` is what ``floorcast stream`` and the benchmarks run: it takes an
async iterator of 16 kHz mono s16le bytes and calls ``on_event(event,
received_at)`` for every caption event of its channel, ``received_at`` being
seconds (monotonic clock) since the first audio frame was sent.

Sequence: captions websocket first (so no event is missed), then ingest
``start`` → ``ready`` → frames paced at real time / ``speed`` → ``stop`` →
``stopped``; then captions are read until the session's ``last_seq`` (read
over HTTP after ``stopped``) has arrived, or ``quiet_s`` passed without one.

With ``reconnect_s`` > 0 a lost connection is reopened (:mod:`service.terminal.stream_retry`):
the ingest side sends ``start`` again and goes on with the next frame (audio
in flight when the connection broke is lost; a file source waits meanwhile
and is then sent as fast as the server takes it until the pace is caught up);
the captions side reconnects with ``since=`` the last ``seq`` it saw, so no
event is missed or repeated. Errors: :mod:`service.terminal.stream_errors`.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator, Awaitable, Callable, Union
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from service.protocol import (ChannelSpec, CloseCode, FinalEvent, PartialEvent, ReadyEvent, SessionCreate,
                              SessionEndedEvent, SessionPublic, StartMessage, StopMessage, StoppedEvent,
                              caption_event_adapter)
from service.terminal.stream_errors import (AuthError, ClosedError, ConnectError, NotFoundError, RefusedError, StreamError,
                                   closed_error, http_error, translated)
from service.terminal.stream_retry import Reconnect

__all__ = ["StreamError", "ConnectError", "AuthError", "NotFoundError", "RefusedError", "ClosedError", "Server",
           "StreamResult", "Caption", "EventCallback", "channel_spec", "create_session", "get_session",
           "open_session", "participant_url", "default_server_url", "stream"]

Caption = Union[PartialEvent, FinalEvent, SessionEndedEvent]
EventCallback = Callable[[Caption, float], Union[Awaitable[None], None]]


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
    audio_s: float  # seconds of audio the server recognised (from ``stopped``; after a reconnect, since it)
    events: int
    session_ended: bool = False
    reconnects: int = 0


def channel_spec(name: str) -> ChannelSpec:
    """``booth-fr`` is an interpretation booth with its language fixed to ``fr``; anything else floats."""
    prefix, _, lang = name.partition("-")
    fixed = prefix == "booth" and 2 <= len(lang) <= 3 and lang.isalpha() and lang.islower()
    return ChannelSpec(name=name, language=lang if fixed else None)


# -- HTTP ------------------------------------------------------------------------------
async def _request(server: Server, method: str, path: str, body: dict | None = None) -> dict:
    with translated(server.url, "HTTP"):
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0,
                                     headers={"Authorization": f"Bearer {server.token}"}) as client:
            response = await client.request(method, path, json=body)
    if response.is_error:
        raise http_error(response)
    return response.json()


async def create_session(server: Server, *, title: str = "Untitled session", channels: tuple[str, ...] = ("floor",),
                         languages: tuple[str, ...] = ()) -> SessionPublic:
    """``languages``: what may be spoken (recognition is limited to them); empty: the server's default."""
    try:
        spec = SessionCreate(title=title, channels=[channel_spec(c) for c in channels],
                             allowed_languages=list(languages) or None)
    except ValidationError as exc:
        raise StreamError(f"invalid session: {exc.errors()[0]['msg']}") from None
    return SessionPublic.model_validate(await _request(server, "POST", "/v1/sessions", spec.model_dump()))


async def get_session(server: Server, session_id: str) -> SessionPublic:
    return SessionPublic.model_validate(await _request(server, "GET", f"/v1/sessions/{quote(session_id, safe='')}"))


async def open_session(server: Server, session_id: str | None, *, channel: str = "floor",
                       title: str = "Untitled session", languages: tuple[str, ...] = ()) -> SessionPublic:
    """The given session, checked to be open with ``channel``; or, without an id, a new session with that channel.

    An ``interrupted`` session (its server stopped) is open: streaming into it continues it.
    """
    if session_id is None:
        return await create_session(server, title=title, channels=(channel,), languages=languages)
    session = await get_session(server, session_id)
    if session.status == "ended":
        raise StreamError(f"session {session_id!r} has ended")
    if channel not in {c.name for c in session.channels}:
        names = ", ".join(c.name for c in session.channels)
        raise NotFoundError(f"session {session_id!r} has no channel {channel!r}; channels: {names}")
    return session


def participant_url(server: Server, session: SessionPublic) -> str:
    """The link participants open (with the join code of a private session), or the bare viewer page."""
    return server.url.rstrip("/") + (session.participant_link or f"/s/{quote(session.id, safe='')}")


def default_server_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to ``host:port``."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


# -- captions --------------------------------------------------------------------------
class _CaptionReader:
    """Reads the captions websocket in a task, reconnecting with ``since=``; remembers the highest ``seq`` seen."""

    def __init__(self, ws: ClientConnection, reopen: Callable[[int], Awaitable[ClientConnection]], channel: str,
                 on_event: EventCallback, clock: Callable[[], float], reconnect: Reconnect) -> None:
        self.ws, self.reopen, self.channel, self.on_event, self.clock = ws, reopen, channel, on_event, clock
        self.reconnect = reconnect
        self.max_seq = 0
        self.events = 0
        self.ended = False
        self.progress = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while not await self._read(self.ws):
                error = (closed_error("captions", self._closed) if self._closed is not None
                         else ClosedError(f"captions websocket closed by server: {self.ws.close_code}",
                                          self.ws.close_code))
                self.ws = await self.reconnect.again(error, lambda: self.reopen(self.max_seq))
        finally:
            self.progress.set()

    async def _read(self, ws: ClientConnection) -> bool:
        """Deliver events until the socket closes; True when that is the end (session ended, or 1000)."""
        self._closed: ConnectionClosed | None = None
        try:
            async for raw in ws:  # ends quietly on close code 1000/1001
                try:
                    event = caption_event_adapter.validate_json(raw)
                except ValueError:
                    raise StreamError(f"unexpected message on captions websocket: {str(raw)[:120]}") from None
                if event.seq <= self.max_seq and not isinstance(event, SessionEndedEvent):
                    continue  # already delivered before a reconnect
                self.max_seq = max(self.max_seq, event.seq)
                if isinstance(event, SessionEndedEvent) or event.channel == self.channel:
                    self.events += 1
                    outcome = self.on_event(event, self.clock())
                    if inspect.isawaitable(outcome):
                        await outcome
                self.progress.set()
                if isinstance(event, SessionEndedEvent):
                    self.ended = True
                    return True
        except ConnectionClosed as exc:
            self._closed = exc
            return False
        return ws.close_code == CloseCode.NORMAL

    def failed_with(self, exc: BaseException) -> bool:
        return self.task.done() and not self.task.cancelled() and self.task.exception() is exc

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

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.ws.close()


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


class _Ingest:
    """The audio side of a stream: opens (and reopens) the ingest websocket and sends paced frames."""

    def __init__(self, server: Server, session_id: str, channel: str, sample_rate_hz: int,
                 reconnect: Reconnect) -> None:
        self.server, self.session_id, self.channel = server, session_id, channel
        self.sample_rate_hz = sample_rate_hz
        self.reconnect = reconnect
        self.first_ready: ReadyEvent | None = None
        self.last_ready: ReadyEvent | None = None
        self.sent = 0  # bytes of audio sent

    async def open(self) -> ClientConnection:
        """Connect, ``start`` and wait for ``ready``."""
        url = self.server.ws(f"/v1/sessions/{quote(self.session_id, safe='')}/audio", channel=self.channel)
        with translated(self.server.url, "ingest"):
            ws = await connect(url, compression=None, additional_headers={"Authorization": f"Bearer {self.server.token}"})
            try:
                # on a reconnect, the key lets the server drop the connection it may still hold for us
                resume_key = self.last_ready.resume_key if self.last_ready else None
                await ws.send(StartMessage(type="start", sample_rate=self.sample_rate_hz,
                                           resume_key=resume_key).model_dump_json(exclude_none=True))
                ready = await _expect(ws, ReadyEvent, 90.0)  # a reconnect waits while the last audio is captioned
            except BaseException:
                await ws.close()
                raise
        assert isinstance(ready, ReadyEvent)
        self.first_ready = self.first_ready or ready
        self.last_ready = ready
        return ws

    async def _still_open(self) -> None:
        """Before a reconnect: an ended session will not take audio again (its close code, 4409, is retryable)."""
        if (await get_session(self.server, self.session_id)).status == "ended":
            raise StreamError(f"session {self.session_id!r} has ended")

    async def run(self, pcm: AsyncIterable[bytes], reader: _CaptionReader, clock: _Clock, *, speed: float,
                  stop_timeout_s: float | None) -> StoppedEvent:
        """Send every frame, then ``stop``; reconnect as :class:`Reconnect` allows. Returns ``stopped``."""
        frames: AsyncIterator[bytes] = aiter(pcm)
        pending: bytes | None = None  # the next frame to send, kept across a reconnect
        ws = await self.open()
        while True:
            try:
                try:
                    with translated(self.server.url, "ingest"):
                        while True:
                            if pending is None and (pending := await anext(frames, None)) is None:
                                break
                            reader.check()
                            if reader.ended:
                                break
                            await self._pace(clock, speed)
                            await ws.send(pending)
                            self.sent += len(pending)
                            pending = None
                        await ws.send(StopMessage(type="stop").model_dump_json())
                        stopped = await _expect(ws, StoppedEvent, stop_timeout_s)
                        assert isinstance(stopped, StoppedEvent)
                        return stopped
                finally:
                    await ws.close()
            except StreamError as exc:
                if reader.failed_with(exc):
                    raise
                ws = await self.reconnect.again(exc, self.open, before_each=self._still_open)

    async def _pace(self, clock: _Clock, speed: float) -> None:
        """A frame leaves at t0 + (audio before it) / speed on the monotonic clock (speed 0: at once)."""
        due = clock.start() + (self.sent / (2 * self.sample_rate_hz) / speed if speed > 0 else 0.0)
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)


async def stream(pcm: AsyncIterable[bytes], *, server: Server, session_id: str, on_event: EventCallback,
                 channel: str = "floor", speed: float = 1.0, sample_rate_hz: int = 16_000, quiet_s: float = 2.0,
                 stop_timeout_s: float | None = 600.0, reconnect_s: float = 0.0,
                 on_notice: Callable[[str], None] | None = None) -> StreamResult:
    """Stream mono s16le PCM into a session's channel; report its caption events until the last final.

    ``reconnect_s`` > 0: after a lost connection keep reconnecting for that long (``on_notice`` hears of it).
    """
    if speed < 0 or not math.isfinite(speed):
        raise ValueError("speed must be 0 (as fast as possible) or positive")
    clock = _Clock()
    reconnect = Reconnect(reconnect_s, on_notice)
    sid = quote(session_id, safe="")

    async def open_captions(since: int) -> ClientConnection:
        query = {"since": str(since)} if since else {"recent": "0"}
        with translated(server.url, "captions"):
            return await connect(server.ws(f"/v1/sessions/{sid}/captions", token=server.token, **query))

    ingest = _Ingest(server, session_id, channel, sample_rate_hz, reconnect)
    reader = _CaptionReader(await open_captions(0), open_captions, channel, on_event, clock, reconnect)
    try:
        stopped = await ingest.run(pcm, reader, clock, speed=speed, stop_timeout_s=stop_timeout_s)
        try:
            target: float = (await get_session(server, session_id)).last_seq
        except StreamError:
            target = math.inf  # fall back on quiet_s
        await reader.drain(target, quiet_s)
        reader.check()
    finally:
        await reader.close()
    assert ingest.first_ready is not None
    return StreamResult(session_id=session_id, channel=channel, offset_s=ingest.first_ready.offset_s,
                        sent_s=ingest.sent / (2 * sample_rate_hz), audio_s=stopped.audio_s, events=reader.events,
                        session_ended=reader.ended, reconnects=reconnect.count)
