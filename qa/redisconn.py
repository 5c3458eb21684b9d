"""Reaching Redis, for the store, the broker and the rate limiter alike: standalone or Cluster, no hidden retries.

A failed call fails at once as qa.domain.errors.Unavailable (503 with Retry-After at the edge): redis-py's own
retries would stall requests for seconds during an outage, and a retried script could apply a change twice.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ClusterDownError, OutOfMemoryError, ReadOnlyError, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError

from qa.domain.errors import Unavailable

log = logging.getLogger("floor.redis")
CONNECT_TIMEOUT = 1.0  # seconds to open a connection; an unreachable Redis fails fast
COMMAND_TIMEOUT = 3.0  # seconds for one command or script, far above any script's run time
# Connections per instance. A burst of requests beyond it waits (up to COMMAND_TIMEOUT) for a free one
# instead of failing: redis-py's default pool refuses the 101st concurrent command outright
# (MaxConnectionsError), which turned every burst of votes or reconnects into 503s.
MAX_CONNECTIONS = 100
ERRORS = (RedisError, OSError)  # OSError covers TimeoutError and refused or reset sockets


def _options() -> dict[str, Any]:
    return {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": COMMAND_TIMEOUT,
            "retry": Retry(NoBackoff(), 0), "decode_responses": False, "health_check_interval": 0}


async def connect(url: str) -> tuple[Any, bool]:
    """A client for `url` and whether the server is a Redis Cluster (detected with INFO cluster).

    If Redis cannot be reached now, the client is a standalone one and a warning is logged: an instance of a
    Cluster deployment must start while the cluster answers.
    """
    pool = BlockingConnectionPool.from_url(url, max_connections=MAX_CONNECTIONS, timeout=COMMAND_TIMEOUT,
                                           **_options())
    client: Any = Redis.from_pool(pool)
    try:
        info = await client.info("cluster")
    except ERRORS as exc:
        log.warning("Redis at %s does not answer yet (%s); assuming a standalone server", _safe(url),
                    exc.__class__.__name__)
        return client, False
    if int(info.get("cluster_enabled", 0)) != 1:
        return client, False
    await client.aclose()
    options = _options()
    options.pop("health_check_interval")
    cluster = RedisCluster.from_url(url, **options)
    await cluster.initialize()  # learn the slot map now: sharded pub/sub needs it before any command
    return cluster, True


def unavailable(exc: BaseException, what: str = "Storage") -> Unavailable:
    """The one translation of a Redis failure. Expected ones (down, loading, read-only replica during a failover,
    out of memory, cluster resharding) are the operator's to fix; anything else is logged loudly: it is our bug."""
    expected = (RedisConnectionError, ReadOnlyError, OutOfMemoryError, TryAgainError, ClusterDownError, OSError)
    if not isinstance(exc, expected) and not str(exc).startswith(("MISCONF", "MASTERDOWN")):
        log.error("Redis refused a command: %s: %s", exc.__class__.__name__, exc)
    return Unavailable(f"{what} is unreachable ({exc.__class__.__name__}); nothing was written. "
                       "Try again shortly.")


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
