"""Reaching Redis, for the store, the broker and the rate limiter alike: standalone, Sentinel or Cluster.

A failed call fails fast as qa.domain.errors.Unavailable (503 with Retry-After at the edge). The one retry is
on a dead pooled connection (a Redis that restarted or failed over since the connection was last used): a
health check (PING) before reusing a connection idle for HEALTH_CHECK_SECONDS, and one immediate retry on a
fresh connection when a command meets a closed one. Time-outs are never retried: a slow Redis would stall
requests for seconds, and a script that timed out may have run.

With Sentinel (`redis+sentinel://host:port,host:port/master-name`, built from FLOOR_REDIS_SENTINELS and
FLOOR_REDIS_MASTER) every new connection asks the Sentinels for the current master; a connection to a master
that was demoted fails (READONLY becomes a connection error) and its replacement reaches the new one.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
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
HEALTH_CHECK_SECONDS = 1  # a pooled connection idle this long is PINGed (and remade if dead) before reuse
SENTINEL_SCHEME = "redis+sentinel://"


def _options() -> dict[str, Any]:
    return {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": COMMAND_TIMEOUT,
            "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)), "decode_responses": False,
            "health_check_interval": HEALTH_CHECK_SECONDS}


def sentinel_url(sentinels: tuple[str, ...], master: str) -> str:
    return f"{SENTINEL_SCHEME}{','.join(sentinels)}/{master}"


def _sentinel_client(url: str) -> Any:
    hosts, _, master = url[len(SENTINEL_SCHEME):].partition("/")
    addresses = []
    for host in hosts.split(","):
        name, _, port = host.strip().rpartition(":")
        addresses.append((name or "127.0.0.1", int(port or 26379)))
    sentinel = Sentinel(addresses, socket_timeout=CONNECT_TIMEOUT, socket_connect_timeout=CONNECT_TIMEOUT)
    client = sentinel.master_for(master or "mymaster", max_connections=MAX_CONNECTIONS, **_options())
    client.floor_sentinel = sentinel  # closed with the client (see close())
    return client


async def close(client: Any) -> None:
    """Close a client from connect(), and a Sentinel client's connections to the Sentinels too."""
    if client is None:
        return
    await client.aclose()
    sentinel = getattr(client, "floor_sentinel", None)
    if sentinel is not None:
        for each in sentinel.sentinels:
            await each.aclose()


async def connect(url: str) -> tuple[Any, bool]:
    """A client for `url` and whether the server is a Redis Cluster (detected with INFO cluster).

    If Redis cannot be reached now, the client is a standalone one and a warning is logged: an instance of a
    Cluster deployment must start while the cluster answers.
    """
    if url.startswith(SENTINEL_SCHEME):
        return _sentinel_client(url), False
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
