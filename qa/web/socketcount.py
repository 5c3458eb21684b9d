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
from collections import Counter
from typing import Any

log = logging.getLogger("floor.sockets")
TTL_MS = 15_000
HEARTBEAT_SECONDS = 5.0

# KEYS[1] the live set; ARGV: key base, instance, ttl ms, the number of owed pairs, the owed field/count pairs
# (places this instance gave back and has not yet told Redis), then field/limit pairs. Now is Redis's clock.
_ACQUIRE = """
local live, base, me, ttl, owed = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 5, 4 + 2 * owed, 2 do
  local left = redis.call('HINCRBY', base .. me, ARGV[i], -tonumber(ARGV[i + 1]))
  if left <= 0 then redis.call('HDEL', base .. me, ARGV[i]) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', live, '-inf', now)) do
  redis.call('UNLINK', base .. gone)
  redis.call('ZREM', live, gone)
end
local instances = redis.call('ZRANGE', live, 0, -1)
local first = 5 + 2 * owed
for i = first, #ARGV, 2 do
  local field, limit, total = ARGV[i], tonumber(ARGV[i + 1]), 0
  for _, inst in ipairs(instances) do total = total + (tonumber(redis.call('HGET', base .. inst, field)) or 0) end
  if total >= limit then return field end
end
for i = first, #ARGV, 2 do redis.call('HINCRBY', base .. me, ARGV[i], 1) end
redis.call('PEXPIRE', base .. me, ttl)
redis.call('ZADD', live, now + ttl, me)
return false
"""

# ARGV: key base, instance, then field/count pairs given back.
_RELEASE = """
local base, me = ARGV[1], ARGV[2]
for i = 3, #ARGV, 2 do
  local left = redis.call('HINCRBY', base .. me, ARGV[i], -tonumber(ARGV[i + 1]))
  if left <= 0 then redis.call('HDEL', base .. me, ARGV[i]) end
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
    """Places given back are owed to Redis first (a local tally): the next handshake's script settles them before
    it checks the caps, and one task settles what is left. So a reconnect storm (every socket closed and opened again
    at once) never finds its own closed sockets still counted, and 10,000 closes cost a few calls, not 10,000."""

    def __init__(self, client: Any, prefix: str, instance: str) -> None:
        self.base = f"{{{prefix}:sockets}}:i:"
        self.live = f"{{{prefix}:sockets}}:live"
        self.instance = instance
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._beat: asyncio.Task[None] | None = None
        self._owed: Counter[str] = Counter()
        self._settling: asyncio.Task[None] | None = None

    async def acquire(self, caps: list[tuple[str, int]]) -> str | bool | None:
        """Take one place under every (field, limit); the field whose cap is full, None when taken, or False when
        Redis did not answer (the caller falls back to this instance's own counts)."""
        from redis.exceptions import RedisError

        if self._beat is None:
            self._beat = asyncio.create_task(self._beating())
        owed, self._owed = self._owed, Counter()
        args: list[Any] = [self.base, self.instance, TTL_MS, len(owed)]
        for name, count in owed.items():
            args += [name, count]
        for name, limit in caps:
            args += [name, limit]
        try:
            full = await self._acquire(keys=[self.live], args=args)
        except (RedisError, OSError) as exc:
            self._owed.update(owed)  # still owed (if only the answer was lost, HDEL at zero stops a count going below)
            log.warning("shared socket counts unavailable (%s): counting on this instance", exc.__class__.__name__)
            return False
        return full.decode() if isinstance(full, bytes) else None

    def release_soon(self, fields: list[str]) -> None:
        """Give the places back: owed at once (the next handshake settles it), and settled by a task of its own if no
        handshake comes first. Never awaited by the socket, whose task may be cancelled at its end."""
        self._owed.update(fields)
        if self._settling is None or self._settling.done():
            self._settling = asyncio.create_task(self._settle())

    async def release(self, fields: list[str]) -> None:
        self._owed.update(fields)
        await self._settle()

    async def _settle(self) -> None:
        """Tell Redis everything owed, one call per round: places given back while a call is in flight are settled by
        the next round of the same task (release_soon starts no second task while this one runs, so a round that
        stopped early would leave them owed until some later handshake). On an error the places stay owed: the next
        handshake's script or heartbeat settles them, or, if Redis stays away, they expire with this instance's
        counts."""
        from redis.exceptions import RedisError

        await asyncio.sleep(0)  # let the closes of one burst gather into one call
        while self._owed:
            owed, self._owed = self._owed, Counter()
            args: list[Any] = [self.base, self.instance]
            for name, count in owed.items():
                args += [name, count]
            try:
                await self._release(keys=[self.live], args=args)
            except (RedisError, OSError):
                self._owed.update(owed)
                return

    async def _beating(self) -> None:
        from redis.exceptions import RedisError

        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with contextlib.suppress(RedisError, OSError):
                await self._heartbeat(keys=[self.live], args=[self.base, self.instance, TTL_MS])
            if self._owed and (self._settling is None or self._settling.done()):  # left owed by an error
                await self._settle()

    async def close(self) -> None:
        """Settle what is owed (the closing sockets' places), then stop the heartbeat."""
        if self._settling is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._settling
            self._settling = None
        await self._settle()
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
            self._beat = None
