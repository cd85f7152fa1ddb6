"""A session's outbox releases events in ``seq`` order, holding everything behind an uncommitted final."""

from __future__ import annotations

import asyncio

from service.outbox import Outbox


def test_events_wait_behind_a_pending_final_and_keep_their_order():
    published: list[int] = []
    outbox = Outbox(lambda event: published.append(event["seq"]))
    outbox.put({"seq": 1})
    final = outbox.put({"seq": 2}, pending=True)
    outbox.put({"seq": 3})
    second = outbox.put({"seq": 4}, pending=True)
    assert published == [1] and len(outbox) == 3
    outbox.release(second)  # committed out of order: still waits for the first
    assert published == [1]
    outbox.release(final)
    assert published == [1, 2, 3, 4] and len(outbox) == 0


def test_drained_waits_for_the_last_release():
    async def run() -> list[str]:
        order: list[str] = []
        outbox = Outbox(lambda event: order.append("published"))
        entry = outbox.put({"seq": 1}, pending=True)
        asyncio.get_running_loop().call_later(0.05, outbox.release, entry)
        await asyncio.wait_for(outbox.drained(), 2)
        order.append("drained")
        return order

    assert asyncio.run(run()) == ["published", "drained"]
