"""Socket counts shared across instances through Redis (issue 16 item 6, issue 19): the total, per-participant and
per-address caps hold for the whole deployment, at one Redis call per handshake and one per close, never per frame.

Each instance keeps its own counts in a hash `{prefix:sockets}:i:<instance>` (fields `t` total, `p:<hash>`
participant, `a:<hash>` address, `c:<hash>` cookieless sockets of an address; hashes keyed by FLOOR_SECRET_KEY, so
no key names a participant or an address) and registers itself in the sorted set `{prefix:sockets}:live` with an
expiry a heartbeat renews. A handshake sums the live instances' counts in one script and takes its place only if
every cap holds; an instance that died stops counting once its expiry passes. Without Redis (or while it does not
answer) each instance counts for itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

log = logging.getLogger("floor.sockets")
TTL_MS = 15_000
HEARTBEAT_SECONDS = 5.0

# KEYS[1] the live set; ARGV: key base, instance, now is Redis's clock, ttl ms, then field/limit pairs.
_ACQUIRE = """
local live, base, me, ttl = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', live, '-inf', now)) do
  redis.call('UNLINK', base .. gone)
  redis.call('ZREM', live, gone)
end
local instances = redis.call('ZRANGE', live, 0, -1)
for i = 4, #ARGV, 2 do
  local field, limit, total = ARGV[i], tonumber(ARGV[i + 1]), 0
  for _, inst in ipairs(instances) do total = total + (tonumber(redis.call('HGET', base .. inst, field)) or 0) end
  if total >= limit then return field end
end
for i = 4, #ARGV, 2 do redis.call('HINCRBY', base .. me, ARGV[i], 1) end
redis.call('PEXPIRE', base .. me, ttl)
redis.call('ZADD', live, now + ttl, me)
return false
"""

_RELEASE = """
local base, me = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  if redis.call('HINCRBY', base .. me, ARGV[i], -1) <= 0 then redis.call('HDEL', base .. me, ARGV[i]) end
end
return 0
"""

_HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', ARGV[1] .. ARGV[2]) == 1 then redis.call('PEXPIRE', ARGV[1] .. ARGV[2], ARGV[3]) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
return 0
"""


class SharedSocketCounts:
    def __init__(self, client: Any, prefix: str, instance: str) -> None:
        self.base = f"{{{prefix}:sockets}}:i:"
        self.live = f"{{{prefix}:sockets}}:live"
        self.instance = instance
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._beat: asyncio.Task[None] | None = None
        self._releasing: set[asyncio.Task[None]] = set()

    async def acquire(self, caps: list[tuple[str, int]]) -> str | bool | None:
        """Take one place under every (field, limit); the field whose cap is full, None when taken, or False when
        Redis did not answer (the caller falls back to this instance's own counts)."""
        from redis.exceptions import RedisError

        if self._beat is None:
            self._beat = asyncio.create_task(self._beating())
        args: list[Any] = [self.base, self.instance, TTL_MS]
        for name, limit in caps:
            args += [name, limit]
        try:
            full = await self._acquire(keys=[self.live], args=args)
        except (RedisError, OSError) as exc:
            log.warning("shared socket counts unavailable (%s): counting on this instance", exc.__class__.__name__)
            return False
        return full.decode() if isinstance(full, bytes) else None

    def release_soon(self, fields: list[str]) -> None:
        """Give the places back in a task of its own: a socket's task may be cancelled at its end (shutdown, a
        test client), and the release must still happen."""
        task = asyncio.create_task(self.release(fields))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def release(self, fields: list[str]) -> None:
        from redis.exceptions import RedisError

        with contextlib.suppress(RedisError, OSError):
            await self._release(keys=[self.live], args=[self.base, self.instance, *fields])

    async def _beating(self) -> None:
        from redis.exceptions import RedisError

        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with contextlib.suppress(RedisError, OSError):
                await self._heartbeat(keys=[self.live], args=[self.base, self.instance, TTL_MS])

    async def close(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
            self._beat = None
