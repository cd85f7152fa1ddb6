"""How a session's events reach viewers on this instance and, with Redis, on every instance.

:class:`LocalBus` (the default): events go straight to this process's
:class:`~service.fanout.Broker`; the last few thousand non-partial events of
each session stay in memory for ``since=`` replay.

:class:`RedisBus` (``FLOORCAST_REDIS_URL``): the recording instance delivers
to its own viewers at once and hands each event to one publisher task, which
``XADD``s it to a capped stream per session (id ``<seq>-0``, partials left
out) and ``PUBLISH``es it on the session's channel. Every instance
pattern-subscribes to those channels and delivers to its own viewers. A
subscriber that sees ``seq`` jump (a lost connection, a Redis restart) fills
the gap from the stream. Both tasks reconnect by themselves with back-off;
while Redis is away the publisher keeps finals queued (partials are dropped)
and sends them in order when it is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict, deque

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from service.fanout import Broker

__all__ = ["LocalBus", "RedisBus", "REPLAY_EVENTS"]

log = logging.getLogger(__name__)
REPLAY_EVENTS = 5000  # per session, in memory or in the Redis stream
STREAM_TTL_S = 24 * 3600  # a session's stream outlives its last event by a day
MAX_QUEUED_PARTIALS = 200  # publisher backlog beyond which partials are dropped while Redis is away


def _stream(session_id: str) -> str:
    return f"fc:ev:{session_id}"


def _channel(session_id: str) -> str:
    return f"fc:ch:{session_id}"


def _payload(fields: dict) -> dict:
    """A stream entry's ``{"origin", "event"}`` (field names come back as bytes unless the client decodes)."""
    return json.loads(fields[b"e"] if b"e" in fields else fields["e"])


class LocalBus:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._recent: dict[str, deque[dict]] = defaultdict(lambda: deque(maxlen=REPLAY_EVENTS))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def publish(self, session_id: str, event: dict) -> None:
        if event.get("type") != "partial":
            self._recent[session_id].append(event)
        self.broker.publish(session_id, event)

    async def replay(self, session_id: str, since: int) -> tuple[list[dict], int | None]:
        """Events after ``since`` that this bus still holds, and the oldest seq it holds (None: nothing)."""
        recent = self._recent.get(session_id)
        if not recent:
            return [], None
        return [e for e in recent if e["seq"] > since], recent[0]["seq"]

    async def last_seq(self, session_id: str) -> int:
        recent = self._recent.get(session_id)
        return recent[-1]["seq"] if recent else 0

    def forget(self, session_id: str) -> None:
        self._recent.pop(session_id, None)
        self.broker.forget(session_id)


class RedisBus:
    def __init__(self, broker: Broker, client: aioredis.Redis, instance_id: str) -> None:
        self.broker = broker
        self._client = client
        self.instance_id = instance_id
        self._outgoing: deque[tuple[str, dict]] = deque()
        self._wake = asyncio.Event()
        self._delivered: dict[str, int] = {}  # session -> last seq delivered to local viewers from Redis
        self._tasks: list[asyncio.Task] = []
        self.connected = False

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._publish_forever(), name="bus-publisher"),
                       asyncio.create_task(self._subscribe_forever(), name="bus-subscriber")]

    async def stop(self) -> None:
        for _ in range(50):  # up to 5 s to send what is queued
            if not self._outgoing:
                break
            await asyncio.sleep(0.1)
        for task in self._tasks:
            task.cancel()

    # -- the recording instance ----------------------------------------------------------
    def publish(self, session_id: str, event: dict) -> None:
        self.broker.publish(session_id, event)
        self._delivered[session_id] = max(self._delivered.get(session_id, 0), event["seq"])
        if event.get("type") == "partial" and len(self._outgoing) > MAX_QUEUED_PARTIALS:
            return  # Redis is behind or away: other instances' viewers lose this partial, never a final
        self._outgoing.append((session_id, event))
        self._wake.set()

    async def _publish_forever(self) -> None:
        delay = 0.1
        while True:
            if not self._outgoing:
                self._wake.clear()
                await self._wake.wait()
            session_id, event = self._outgoing[0]
            message = json.dumps({"origin": self.instance_id, "event": event}, ensure_ascii=False)
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    if event.get("type") != "partial":
                        pipe.xadd(_stream(session_id), {"e": message}, id=f"{event['seq']}-0",
                                  maxlen=REPLAY_EVENTS, approximate=True)
                        pipe.expire(_stream(session_id), STREAM_TTL_S)  # a replay cache: the record is the store
                    pipe.publish(_channel(session_id), message)
                    await pipe.execute(raise_on_error=False)
            except RedisError as exc:
                log.warning("redis publish failed (%s); %d events wait", exc, len(self._outgoing))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.1
            self._outgoing.popleft()

    # -- every instance --------------------------------------------------------------------
    async def _subscribe_forever(self) -> None:
        delay = 0.1
        while True:
            try:
                pubsub = self._client.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe("fc:ch:*")
                self.connected = True
                delay = 0.1
                for session_id in list(self._delivered):  # what was published while we were away
                    await self._fill_gap(session_id, None)
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        await self._receive(message["data"])
            except (RedisError, OSError) as exc:
                self.connected = False
                log.warning("redis subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _receive(self, data: bytes | str) -> None:
        payload = json.loads(data)
        event = payload["event"]
        session_id = event["session_id"]
        if payload.get("origin") == self.instance_id:
            self._delivered[session_id] = max(self._delivered.get(session_id, 0), event["seq"])
            return  # delivered locally when it was published
        last = self._delivered.get(session_id)
        if last is not None and event["seq"] > last + 1:
            await self._fill_gap(session_id, event["seq"])
        if event["seq"] > self._delivered.get(session_id, 0):
            self._delivered[session_id] = event["seq"]
            self.broker.publish(session_id, event)

    async def _fill_gap(self, session_id: str, before: int | None) -> None:
        last = self._delivered.get(session_id, 0)
        upper = f"{before - 1}-0" if before is not None else "+"
        try:
            entries = await self._client.xrange(_stream(session_id), min=f"{last + 1}-0", max=upper)
        except ResponseError:
            return
        for _, fields in entries:
            payload = _payload(fields)
            event = payload["event"]
            if event["seq"] > self._delivered.get(session_id, 0):
                self._delivered[session_id] = event["seq"]
                if payload["origin"] != self.instance_id:
                    self.broker.publish(session_id, event)

    async def replay(self, session_id: str, since: int) -> tuple[list[dict], int | None]:
        entries = await self._client.xrange(_stream(session_id), min=f"{since + 1}-0", max="+")
        oldest = await self._client.xrange(_stream(session_id), min="-", max="+", count=1)
        events = [_payload(fields)["event"] for _, fields in entries]
        first = int(oldest[0][0].split(b"-")[0]) if oldest else None
        return events, first

    async def last_seq(self, session_id: str) -> int:
        newest = await self._client.xrevrange(_stream(session_id), max="+", min="-", count=1)
        return int(newest[0][0].split(b"-")[0]) if newest else 0

    def forget(self, session_id: str) -> None:
        self._delivered.pop(session_id, None)
        self.broker.forget(session_id)
