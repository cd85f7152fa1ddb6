"""``since=<seq>``: every event after the one a viewer saw last, before it goes live again.

Recent events come from the bus (memory, or the Redis stream when several
instances share sessions); older ones are rebuilt from the store — the
segment as it reads now (edits included) and each of its translations at the
``seq`` it was published with. Partials are never replayed: a later partial
or the final supersedes them.
"""

from __future__ import annotations

import asyncio

from captions_store.store import Store
from service import wire_events

__all__ = ["events_after"]

MAX_REPLAY = 5000


async def events_after(bus, store: Store, session_id: str, since: int) -> list[dict]:
    """Events with ``seq > since`` in seq order: the bus's, preceded by the store's where the bus has forgotten."""
    recent, oldest_held = await bus.replay(session_id, since)
    if oldest_held is not None and oldest_held <= since + 1:
        return recent[:MAX_REPLAY]
    before = oldest_held if oldest_held is not None else None
    stored = await asyncio.to_thread(store.captions_after, session_id, since, before=before, limit=MAX_REPLAY)
    events = [wire_events.wire(wire_events.stored(r)) for r in stored]
    seen = {e["seq"] for e in events}
    return (events + [e for e in recent if e["seq"] not in seen])[:MAX_REPLAY]
