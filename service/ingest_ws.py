"""Ingest websocket: ``start`` → binary PCM frames → ``stop``, one client per channel.

An explicit state machine (awaiting start → streaming → done). A disconnect is
the normal end of the receive loop; whatever audio the client had sent is
still recognised and finalised in ``finally``. Every protocol error closes this
websocket with a code and a reason and touches no other session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from service.audio_in import BadAudio, PcmConverter
from service.logging_setup import set_log_context
from service.open_sockets import OpenSocket
from service.protocol import (CloseCode, ReadyEvent, SpeakerMessage, StartMessage, StopMessage, StoppedEvent,
                              ingest_message_adapter)
from service.channel_state import ChannelState
from service.ingest_control import wait_until_not_streaming
from service.session_errors import SessionElsewhere, SessionError, UnknownChannel, close_code
from service.sessions import LiveSession
from service.session_access import live_for_ingest, release_if_idle
from service.ws_common import accept_for, close

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()
MAX_TEXT_BYTES = 4096


class ProtocolError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ClientGone(Exception):
    """The connection closed under a send: the client left, or the protocol layer closed it."""


def parse_message(text: str) -> StartMessage | StopMessage | SpeakerMessage:
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise ProtocolError(CloseCode.TOO_BIG, f"text message over {MAX_TEXT_BYTES} bytes")
    try:
        data = json.loads(text)
    except ValueError:
        raise ProtocolError(CloseCode.INVALID_PAYLOAD, "message is not valid JSON") from None
    try:
        return ingest_message_adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise ProtocolError(CloseCode.INVALID_PAYLOAD, f"invalid {where}: {first['msg']}") from None


class IngestConnection:
    def __init__(self, websocket: WebSocket, session: LiveSession, channel_name: str, max_frame_bytes: int,
                 tracked: OpenSocket) -> None:
        self.ws = websocket
        self.tracked = tracked
        self.session = session
        self.channel_name = channel_name
        self.max_frame_bytes = max_frame_bytes
        self.channel: ChannelState | None = None
        self.converter: PcmConverter | None = None
        self.failed: BaseException | None = None

    async def run(self) -> None:
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    log.info("ingest client disconnected")
                    return
                if self.failed is not None:
                    raise ProtocolError(CloseCode.INTERNAL_ERROR, "recogniser failed; reconnect to continue")
                if message.get("bytes") is not None:
                    await self._audio(message["bytes"])
                elif message.get("text") is not None:
                    if await self._control(parse_message(message["text"])):
                        return
        except ClientGone:
            log.info("ingest client left before the server's answer was sent")
        except ProtocolError as exc:
            log.info("ingest closed with %d: %s", exc.code, exc.reason)
            await self._finish()  # release the channel (and the lease) first, so a client told why may
            await release_if_idle(self.ws.app, self.session)  # reconnect at once, here or on another instance
            await close(self.ws, exc.code, exc.reason)
        finally:
            await self._finish()
            await release_if_idle(self.ws.app, self.session)

    async def _control(self, message: StartMessage | StopMessage | SpeakerMessage) -> bool:
        if isinstance(message, SpeakerMessage):
            self.session.set_speaker(self.channel_name, message.label)
            return False
        if isinstance(message, StartMessage):
            if self.channel is not None:
                raise ProtocolError(CloseCode.INVALID_PAYLOAD, "start sent twice")
            await self._hand_over(message.resume_key)
            try:
                self.channel = self.session.open_channel(self.channel_name, self._on_failure)
            except SessionError as exc:  # unknown channel 4404, ended or busy 4409
                raise ProtocolError(close_code(exc), str(exc)) from None
            self.channel.holder, self.channel.resume_key = self.tracked, secrets.token_urlsafe(18)
            leases = self.ws.app.state.leases  # the connection finished meanwhile may have let the lease go
            if leases is not None and await leases.claim(self.session.id) is None:
                exc = SessionElsewhere(self.session.id)
                raise ProtocolError(close_code(exc), str(exc))
            self.converter = PcmConverter(message.sample_rate, message.channels)
            ready = ReadyEvent(session_id=self.session.id, channel=self.channel_name, offset_s=self.channel.offset_s,
                               resume_key=self.channel.resume_key)
            await self._send(ready.model_dump_json())
            log.info("ingest started: %d Hz, %d channel(s), at %.3f s", message.sample_rate, message.channels,
                     self.channel.offset_s)
            return False
        if self.channel is None:
            raise ProtocolError(CloseCode.INVALID_PAYLOAD, "stop before start")
        audio_s = await self._finish()
        log.info("ingest stopped after %.1f s of audio", audio_s)
        await release_if_idle(self.ws.app, self.session)  # told "stopped", it may start again on another instance
        await self._send(StoppedEvent(audio_s=round(audio_s, 3)).model_dump_json())
        await close(self.ws, CloseCode.NORMAL, "stopped")
        return True

    async def _hand_over(self, resume_key: str | None) -> None:
        """The channel's holder has gone (or this is it, reconnecting with its resume_key after the network
        dropped unseen): let it go, wait while its last audio is captioned, then take the channel."""
        held = self.session.channels.get(self.channel_name)
        if held is None or not held.held_by_gone_client(resume_key):
            return  # free, or another live client holds it: open_channel answers
        if held.holder is not None and not held.finishing:
            self.ws.app.state.sockets.cut(held.holder, CloseCode.CONFLICT, "replaced by the same client's reconnect")
        log.info("ingest waits for the channel's previous connection to finish")
        if await wait_until_not_streaming(self.session, timeout_s=self.ws.app.state.settings.ingest_handover_s,
                                          channel=self.channel_name):
            with contextlib.suppress(asyncio.TimeoutError):
                await self.session.published()  # its last finals reach viewers before this client's ready

    async def _send(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError):  # RuntimeError: the protocol layer had already closed it
            raise ClientGone from None

    async def _audio(self, data: bytes) -> None:
        if len(data) > self.max_frame_bytes:
            raise ProtocolError(CloseCode.TOO_BIG, f"frame of {len(data)} bytes exceeds {self.max_frame_bytes}")
        if self.channel is None or self.converter is None:
            raise ProtocolError(CloseCode.UNSUPPORTED_DATA, "audio before start")
        if self.session.status != "live":
            raise ProtocolError(CloseCode.CONFLICT, "session has ended")
        self.session.audio_at = self.tracked.last_audio = time.monotonic()
        leases = self.ws.app.state.leases
        if leases is not None and not leases.holds(self.session.id):
            raise ProtocolError(CloseCode.CONFLICT, "recording of this session moved to another instance")
        try:
            samples = self.converter.convert(data)
        except BadAudio as exc:
            raise ProtocolError(CloseCode.INVALID_PAYLOAD, str(exc)) from None
        if self.channel.worker is not None:
            await self._offer_to(self.channel.worker, samples)

    def _on_failure(self, exc: BaseException) -> None:
        self.failed = exc
        log.error("recogniser failed: %r", exc, extra={"session_id": self.session.id, "channel": self.channel_name})
        asyncio.ensure_future(close(self.ws, CloseCode.INTERNAL_ERROR, "recogniser failed; reconnect to continue"))

    async def _finish(self) -> float:
        """Recognise and finalise everything received, then release the channel."""
        channel, self.channel = self.channel, None
        if channel is None or channel.worker is None:
            return channel.end_s - channel.offset_s if channel else 0.0
        worker = channel.worker
        channel.finishing = True  # a client reconnecting meanwhile waits for the channel instead of 4409
        if self.converter is not None and self.failed is None:
            await self._offer_to(worker, self.converter.finish())
        worker.flush()
        while not await asyncio.to_thread(worker.wait_idle, 1.0):
            if worker.failed is not None:  # its thread has exited: it would never become idle
                break
        audio_s = worker.decoded_s
        self.session.close_channel(channel)
        with contextlib.suppress(asyncio.TimeoutError):
            await self.session.published()  # the last finals are stored and sent before ``stopped``
        return audio_s

    async def _offer_to(self, worker, samples) -> None:
        """Hand audio to the recogniser; while its queue is full, stop reading the socket (back-pressure)."""
        while len(samples) and not worker.offer(samples):
            if self.failed is not None:
                return
            await asyncio.sleep(0.05)


@router.websocket("/v1/sessions/{session_id}/audio")
async def ingest(websocket: WebSocket, session_id: str, channel: str = "floor") -> None:
    principal = await accept_for(websocket, session_id, "audio")
    if principal is None:
        return
    try:
        session = await live_for_ingest(websocket.app, session_id)
        if channel not in session.channels:
            raise UnknownChannel(channel)
    except SessionError as exc:  # unknown 4404, ended 4409, recorded by another instance 1013 (retry)
        await close(websocket, close_code(exc), str(exc))
        return
    set_log_context(session_id=session.id, channel=channel)
    settings = websocket.app.state.settings
    session.ingests += 1
    try:
        with websocket.app.state.sockets.track(websocket, principal, session.id, "audio", channel) as tracked:
            await IngestConnection(websocket, session, channel, settings.max_frame_bytes, tracked).run()
    finally:
        session.ingests -= 1
        if not session.ingests:
            session.idle_since = time.monotonic()  # the grace period before the session ends starts now
