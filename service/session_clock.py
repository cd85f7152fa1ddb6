"""The session's audio clock for viewers that ask for it (``?clock=1`` on the captions websocket).

Every :data:`CLOCK_EVERY_S` such a viewer gets a ``clock`` event (no ``seq``: it
is not part of the record and is never replayed) saying how far the audio has
come (``audio_s``), how far recognition has got (``decoded_s``) and where the
newest final ends (``speech_s``), all on the session timeline. From these a
viewer can say "Captions delayed N s" (``audio_s - decoded_s``) and "No speech
for N s" (``audio_s - speech_s``). Only the instance that records the session
knows its clock; viewers elsewhere get none.
"""

from __future__ import annotations

import asyncio
import contextlib

from service import wire_events
from service.fanout import Broker, Outgoing, Viewer
from service.sessions import LiveSession

__all__ = ["CLOCK_EVERY_S", "clock_event", "send_clock"]

CLOCK_EVERY_S = 2.0


def clock_event(session: LiveSession, speech_s: float | None) -> dict:
    """A ``clock`` event of this session now (read on the event loop; worker counters are plain floats).

    ``speech_s``: where the newest final as spoken ends (what the broker has delivered of the session)."""
    audio_s = decoded_s = max([c.end_s for c in session.channels.values()] + [0.0])
    streaming = False
    for channel in session.channels.values():
        worker = channel.worker
        if worker is None:
            continue
        streaming = True
        done = channel.offset_s + worker.decoded_s
        decoded_s = max(decoded_s, done)
        audio_s = max(audio_s, done + worker.queued_s)
    return wire_events.wire(wire_events.clock(session_id=session.id, audio_s=audio_s, decoded_s=decoded_s,
                                              speech_s=speech_s, streaming=streaming))


async def send_clock(session: LiveSession, viewer: Viewer, broker: Broker) -> None:
    """Queue a clock event for this viewer every few seconds while the session is live (until cancelled)."""
    while True:
        if session.status == "live":
            with contextlib.suppress(asyncio.QueueFull):
                event = clock_event(session, broker.delivered(session.id).speech_end_s)
                viewer.queue.put_nowait(Outgoing.of(event))
        await asyncio.sleep(CLOCK_EVERY_S)
