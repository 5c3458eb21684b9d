"""Rate limits: fixed windows per key, in memory for one process or in Redis across instances."""

from __future__ import annotations

import hashlib
import time

from qa.domain.ballots import too_many


class RateLimiter:
    """In-process windows; generous by design so a whole venue behind one NAT is never blocked (keys are
    participants and events, never IP addresses)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._sweep_at = 0.0

    async def hit(self, key: str, limit: int, window: float, tag: str = "") -> float | None:
        """Count one hit; return seconds to wait when over the limit, else None. `tag` (an event code) only
        places the window's Redis key beside the event's keys."""
        now = time.monotonic()
        if now > self._sweep_at:
            self._sweep(now)
        start, count = self._windows.get(key, (now, 0))
        if now - start >= window:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        if count > limit:
            return window - (now - start)
        return None

    def _sweep(self, now: float) -> None:
        self._sweep_at = now + 60
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < 3600}

    async def check(self, key: str, limit: int, window: float, what: str, tag: str = "") -> None:
        retry = await self.hit(key, limit, window, tag)
        if retry is not None:
            raise too_many(what, retry)


class RedisRateLimiter(RateLimiter):
    """The same windows kept in Redis, so limits hold across instances."""

    _SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""

    def __init__(self, client: object, prefix: str) -> None:
        super().__init__()
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(self._SCRIPT)  # type: ignore[attr-defined]

    def redis_key(self, key: str, tag: str = "") -> str:
        """Hashed: a window's key (which names a participant) is never stored in Redis; it expires with its TTL.
        Tagged with an event code, it shares the event's Cluster slot, so a vote's one script may count it."""
        hashed = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        return f"{self.prefix}:rl:{{{tag}}}:{hashed}" if tag else f"{self.prefix}:rl:{hashed}"

    async def hit(self, key: str, limit: int, window: float, tag: str = "") -> float | None:
        from redis.exceptions import RedisError

        try:
            count, ttl = await self._script(keys=[self.redis_key(key, tag)], args=[int(window * 1000)])
        except (RedisError, OSError):
            return await super().hit(key, limit, window)  # degrade to local limits, never to none
        if int(count) > limit:
            return max(int(ttl), 1) / 1000
        return None
