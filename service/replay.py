"""``since=<seq>``: every event after the one a viewer saw last, before it goes live again.

Recent events come from the bus (memory, or the Redis stream when several
instances share sessions); older ones are rebuilt from the store — the
segment as it reads now (edits included) and each of its translations at the
``seq`` it was published with. Partials are never replayed: a later partial
or the final supersedes them.
"""

from __future__ import annotations

import asyncio

from captions_store.records import CaptionRecord
from captions_store.store import Store

__all__ = ["events_after", "stored_event"]

MAX_REPLAY = 5000


def stored_event(record: CaptionRecord) -> dict:
    segment = record.segment
    event = {"type": "final", "seq": record.seq, "session_id": segment.session_id, "channel": segment.channel,
             "segment_id": segment.id, "start": segment.start_s, "end": segment.end_s, "speaker": segment.speaker}
    if record.lang is None:
        return {**event, "lang": segment.lang, "text": segment.text, "words": list(segment.words)}
    translation = segment.translations[record.lang]
    return {**event, "lang": record.lang, "text": translation.text, "words": [], "source_lang": segment.lang,
            "translated": True, "engine": translation.engine}


async def events_after(bus, store: Store, session_id: str, since: int) -> list[dict]:
    """Events with ``seq > since`` in seq order: the bus's, preceded by the store's where the bus has forgotten."""
    recent, oldest_held = await bus.replay(session_id, since)
    if oldest_held is not None and oldest_held <= since + 1:
        return recent[:MAX_REPLAY]
    before = oldest_held if oldest_held is not None else None
    stored = await asyncio.to_thread(store.captions_after, session_id, since, before=before, limit=MAX_REPLAY)
    events = [stored_event(r) for r in stored]
    seen = {e["seq"] for e in events}
    return (events + [e for e in recent if e["seq"] not in seen])[:MAX_REPLAY]
