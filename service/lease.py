"""Which instance records a session: a Redis lease that another instance takes over if its owner dies.

``SET fc:lease:<session> <instance> NX PX <ttl>`` claims it; the owner renews
it every third of the TTL with a compare-and-set script, and releases it the
same way, so an instance can only ever extend or drop its own lease. If the
owner stops renewing (killed, partitioned), the key expires and the next
instance that receives the session's ingest claims it.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["LeaseManager", "LEASE_TTL_S"]

log = logging.getLogger(__name__)
LEASE_TTL_S = 5.0

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _key(session_id: str) -> str:
    return f"fc:lease:{session_id}"


class LeaseManager:
    """The leases this instance holds, renewed in one background task."""

    def __init__(self, client: aioredis.Redis, instance_id: str, *, ttl_s: float = LEASE_TTL_S) -> None:
        self._client = client
        self.instance_id = instance_id
        self._ttl_ms = int(ttl_s * 1000)
        self._held: dict[str, asyncio.Event] = {}  # session -> set when the lease is lost
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._renew_forever(), name="lease-renewal")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for session_id in list(self._held):
            await self.release(session_id)

    async def owner(self, session_id: str) -> str | None:
        value = await self._client.get(_key(session_id))
        return value.decode() if isinstance(value, bytes) else value

    async def claim(self, session_id: str) -> asyncio.Event | None:
        """The lease, or None if another instance holds it. The event is set if the lease is later lost."""
        if session_id in self._held:
            return self._held[session_id]
        claimed = await self._client.set(_key(session_id), self.instance_id, nx=True, px=self._ttl_ms)
        if not claimed:
            if await self.owner(session_id) != self.instance_id:
                return None
        lost = asyncio.Event()
        self._held[session_id] = lost
        return lost

    async def release(self, session_id: str) -> None:
        lost = self._held.pop(session_id, None)
        if lost is None:
            return
        try:
            await self._client.eval(_RELEASE, 1, _key(session_id), self.instance_id)
        except RedisError as exc:  # it will expire on its own
            log.warning("could not release the lease of %s: %s", session_id, exc)

    def holds(self, session_id: str) -> bool:
        return session_id in self._held

    async def _renew_forever(self) -> None:
        interval = self._ttl_ms / 3000
        while True:
            await asyncio.sleep(interval)
            for session_id, lost in list(self._held.items()):
                try:
                    renewed = await self._client.eval(_RENEW, 1, _key(session_id), self.instance_id, self._ttl_ms)
                except RedisError as exc:
                    log.warning("lease renewal of %s failed: %s", session_id, exc)
                    continue  # Redis away: keep trying until the TTL has passed for everyone
                if renewed:
                    continue
                try:  # the key is gone (a Redis restart without persistence): claim it again if nobody has
                    if await self._client.set(_key(session_id), self.instance_id, nx=True, px=self._ttl_ms):
                        continue
                except RedisError:
                    continue
                log.error("lease of %s lost to another instance", session_id)
                self._held.pop(session_id, None)
                lost.set()
