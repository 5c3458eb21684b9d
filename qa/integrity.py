"""Trustworthy counts without accounts: a bucket of new participants per client address, proof-of-work
challenges (ALTCHA v2, PBKDF2) that are single use, and hashed event passcodes.

Client addresses are only ever seen as a keyed hash, kept in memory or in Redis with a short TTL: never in
the database, never in a log.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from typing import Any

import altcha

from qa.domain.errors import Invalid, RateLimited

POW_ALGORITHM = "PBKDF2/SHA-256"


def address_key(secret: str, address: str) -> str:
    """The address as a keyed hash: enough to count per source, useless to anyone without the key."""
    return hmac.new(secret.encode(), b"floor.mint:" + address.encode(), hashlib.sha256).hexdigest()[:32]


class MintBucket:
    """A token bucket of new participants per source address, in this process (one instance)."""

    def __init__(self, burst: int, per_minute: int) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0  # tokens per second
        self._buckets: dict[str, tuple[float, float]] = {}
        self._sweep_at = 0.0

    @property
    def ttl(self) -> float:
        """Seconds until an idle bucket is full again, after which it is forgotten."""
        return self.burst / self.rate if self.rate > 0 else 3600.0

    async def take(self, key: str) -> float | None:
        """Take one token; None when granted, else seconds until one is free."""
        now = time.monotonic()
        if now > self._sweep_at:
            self._sweep_at = now + 60
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < self.ttl}
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate if self.rate > 0 else 3600.0
        self._buckets[key] = (tokens - 1, now)
        return None


class RedisMintBucket(MintBucket):
    """The same bucket in Redis (the server's clock), so every instance draws from one bucket per address."""

    _SCRIPT = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens < 1 then
  if rate > 0 then wait = math.ceil((1 - tokens) / rate) else wait = 3600000 end
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
return wait
"""

    def __init__(self, client: Any, prefix: str, burst: int, per_minute: int) -> None:
        super().__init__(burst, per_minute)
        self.prefix = prefix
        self._script = client.register_script(self._SCRIPT)

    async def take(self, key: str) -> float | None:
        from redis.exceptions import RedisError

        try:
            wait = int(await self._script(keys=[f"{self.prefix}:mint:{key}"],
                                          args=[self.burst, self.rate / 1000, max(1000, int(self.ttl * 1000))]))
        except (RedisError, OSError):
            return await super().take(key)  # degrade to this instance's bucket, never to none
        return wait / 1000 if wait > 0 else None


def mint_refused(wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    return RateLimited(f"Too many people joined from your network just now; please try again in {seconds} s.",
                       seconds)


class UsedChallenges:
    """Signatures of solved challenges, remembered until they expire, so each is accepted once."""

    def __init__(self) -> None:
        self._used: dict[str, float] = {}

    async def first_use(self, signature: str, expires_at: float) -> bool:
        now = time.time()
        self._used = {s: e for s, e in self._used.items() if e > now}
        if signature in self._used:
            return False
        self._used[signature] = expires_at
        return True


class RedisUsedChallenges(UsedChallenges):
    def __init__(self, client: Any, prefix: str) -> None:
        super().__init__()
        self.client = client
        self.prefix = prefix

    async def first_use(self, signature: str, expires_at: float) -> bool:
        ttl = max(1, math.ceil(expires_at - time.time()))
        return bool(await self.client.set(f"{self.prefix}:pow:{signature[:64]}", b"1", nx=True, ex=ttl))


class ProofOfWork:
    """ALTCHA v2 challenges: PBKDF2-SHA-256 at `cost` iterations per attempt, the answer a counter drawn in
    [0, max_counter] (so the work is bounded), signed with the server key, valid `ttl` seconds, used once."""

    def __init__(self, secret: str, cost: int, max_counter: int, ttl: float, used: UsedChallenges) -> None:
        self.secret = hmac.new(secret.encode(), b"floor.pow", hashlib.sha256).hexdigest()
        self.key_secret = hmac.new(secret.encode(), b"floor.pow.key", hashlib.sha256).hexdigest()
        self.cost = cost
        self.max_counter = max_counter
        self.ttl = ttl
        self.used = used

    def challenge(self, code: str) -> dict[str, Any]:
        made = altcha.v2.create_challenge(
            POW_ALGORITHM, self.cost, counter=secrets.randbelow(self.max_counter + 1), key_length=32,
            key_prefix_length=16, expires_at=int(time.time() + self.ttl), data={"event": code},
            hmac_secret=self.secret, hmac_key_secret=self.key_secret)
        return made.to_dict()  # type: ignore[no-any-return]

    async def verify(self, code: str, payload: object) -> None:
        """Accept a solved challenge for this event once; raise Invalid (`pow_*` codes) otherwise."""
        if not isinstance(payload, dict) or not isinstance(payload.get("challenge"), dict) \
                or not isinstance(payload.get("solution"), dict):
            raise Invalid("solution must be {challenge, solution} as returned by the solver.", "pow_invalid")
        try:
            parsed = altcha.v2.Payload.from_dict(payload)
            counter = parsed.solution.counter
            if not isinstance(counter, int) or isinstance(counter, bool) or not 0 <= counter < 2**32:
                raise ValueError("counter")
            result = altcha.v2.verify_solution(parsed, self.secret, hmac_key_secret=self.key_secret)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise Invalid("The solution is malformed.", "pow_invalid") from None
        if result.expired:
            raise Invalid("This challenge has expired; a new one is being solved.", "pow_expired")
        if not result.verified:
            raise Invalid("The solution is not valid for this challenge.", "pow_invalid")
        data = parsed.challenge.parameters.data or {}
        if data.get("event") != code:
            raise Invalid("This challenge was issued for another event.", "pow_invalid")
        expires = float(parsed.challenge.parameters.expires_at or time.time() + self.ttl)
        if not await self.used.first_use(str(parsed.challenge.signature), expires):
            raise Invalid("This challenge was already used; a new one is being solved.", "pow_reused")


def hash_passcode(passcode: str) -> str:
    """scrypt with a random salt; the stored form is `scrypt$salt$hash` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def passcode_matches(stored: str | None, passcode: str) -> bool:
    if not stored:
        return True
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    candidate = hashlib.scrypt(passcode.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(candidate.hex(), digest)


BUCKET_SECONDS = 300  # participation is counted per 5 minutes: counters only, nobody's identity
ACTIVITY_KINDS = ("joins", "questions", "votes", "refused")


class Activity:
    """Per event and 5-minute bucket: participants joined, questions asked, votes cast, and mints refused by the
    per-address bucket. Counters only; in this process (one instance) unless Redis is configured."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, int]] = {}

    @staticmethod
    def bucket_field(kind: str, at: float | None = None) -> str:
        """The counter of `kind` in the bucket holding `at` (now when None)."""
        bucket = int((time.time() if at is None else at) // BUCKET_SECONDS) * BUCKET_SECONDS
        return f"{kind}:{bucket}"

    async def count(self, code: str | None, kind: str, at: float | None = None) -> None:
        if not code:
            return
        counts = self._counts.setdefault(code, {})
        field = self.bucket_field(kind, at)
        counts[field] = counts.get(field, 0) + 1

    async def of(self, code: str) -> dict[str, dict[int, int]]:
        """{kind: {bucket start (unix seconds): count}} for one event."""
        return _by_kind(self._counts.get(code, {}))

    async def forget(self, code: str) -> None:
        self._counts.pop(code, None)


class RedisActivity(Activity):
    def __init__(self, client: Any, prefix: str, keep_seconds: float) -> None:
        super().__init__()
        self.client = client
        self.prefix = prefix
        self.keep = int(keep_seconds)

    def key(self, code: str) -> str:
        """Tagged with the event code: in the event's Cluster slot, so a vote's one script may count it."""
        return f"{self.prefix}:activity:{{{code}}}"

    async def count(self, code: str | None, kind: str, at: float | None = None) -> None:
        from redis.exceptions import RedisError

        if not code:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hincrby(self.key(code), self.bucket_field(kind, at), 1)
            pipe.expire(self.key(code), self.keep)
            await pipe.execute()
        except (RedisError, OSError):
            await super().count(code, kind, at)  # counted here rather than lost

    async def of(self, code: str) -> dict[str, dict[int, int]]:
        raw = await self.client.hgetall(self.key(code))
        counts = {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}
        local = await super().of(code)
        merged = _by_kind(counts)
        for kind, buckets in local.items():
            for bucket, n in buckets.items():
                merged.setdefault(kind, {})[bucket] = merged.get(kind, {}).get(bucket, 0) + n
        return merged

    async def forget(self, code: str) -> None:
        await super().forget(code)
        await self.client.delete(self.key(code))


def _by_kind(counts: dict[str, int]) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {kind: {} for kind in ACTIVITY_KINDS}
    for field, n in counts.items():
        kind, _, bucket = field.partition(":")
        if kind in out and bucket.isdigit():
            out[kind][int(bucket)] = n
    return out


def recent(activity: dict[str, dict[int, int]], kind: str, minutes: int, now: float | None = None) -> int:
    """The count of `kind` in the buckets overlapping the last `minutes`."""
    start = (time.time() if now is None else now) - minutes * 60
    return sum(n for bucket, n in activity.get(kind, {}).items() if bucket + BUCKET_SECONDS > start)
