"""Redis pub/sub: one connection per process, one SUBSCRIBE per channel with local listeners, reconnect forever.

Pub/sub is only a doorbell. Whenever the connection drops, and again once it is back and every channel is
re-subscribed, each subscription receives RESYNC and its listener catches up from the store's log. On a
Redis Cluster the channels are sharded (SSUBSCRIBE / SPUBLISH) and live in the slot of their event's keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from qa.broker.base import RESYNC, Broker, Subscription
from qa.domain.errors import Unavailable
from qa.redisconn import ERRORS, connect, unavailable
from qa.redisconn import close as close_client

log = logging.getLogger("floor.broker")
BACKOFF_FIRST = 0.05  # seconds before the first reconnect attempt; doubles up to BACKOFF_MAX, +-50% jitter
BACKOFF_MAX = 1.0
PING_SECONDS = 5.0  # a connection that answers nothing (not even PING) for 3 of these is dropped and remade
SUBSCRIBE_WAIT = 2.0  # how long subscribe() waits for Redis to confirm; later messages still arrive
OPEN_WAIT = 2.0  # how long open() waits for the first connection before the app serves anyway
INBOX_MAX = 10000  # messages buffered per subscription before it overflows into one RESYNC
CLUSTER_POLL = 0.02  # seconds per shard poll on a Redis Cluster (its client offers no wait across shards)


class RedisBroker(Broker):
    def __init__(self, url: str, *, prefix: str = "floor", inbox_max: int = INBOX_MAX) -> None:
        self.url = url
        self.prefix = prefix
        self.inbox_max = inbox_max
        self.client: Any = None
        self._listener: Any = None
        self.cluster = False
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._subs: dict[str, set[Subscription]] = {}
        self._pubsub: Any = None
        self._active: set[str] = set()  # channels subscribed on the current connection
        self._sub_lock = asyncio.Lock()
        self._confirm: dict[str, list[asyncio.Future[None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle -----------------------------------------------------------------------------------
    async def open(self) -> None:
        self.client, self.cluster = await connect(self.url)
        # Its own pool: a pub/sub connection dropped mid-outage must never be handed to publish() later.
        self._listener, _ = await connect(self.url)
        self._closing = False
        self._reader = asyncio.create_task(self._read_forever())
        # Start serving even if Redis is down; ready later. asyncio.timeout, not wait_for: Python 3.11's wait_for
        # swallows a cancellation that lands in the tick its inner future completes (CPython gh-86296).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(OPEN_WAIT):
                await self.connected.wait()

    async def close(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        await self._drop_connection()
        for client in (self.client, self._listener):
            if client is not None:
                with contextlib.suppress(*ERRORS):
                    await close_client(client)
        self.client = self._listener = None

    async def ping(self) -> None:
        if self.client is None or not self.connected.is_set():
            raise Unavailable("The broker is reconnecting to Redis.")
        try:
            await self.client.ping()
        except ERRORS as exc:
            raise unavailable(exc, "The broker") from None

    # -- publish and subscribe -----------------------------------------------------------------------
    async def publish(self, channel: str, message: bytes) -> None:
        if self.client is None:
            raise Unavailable("The broker is not open.")
        try:
            if self.cluster:
                await self.client.spublish(channel, message)
            else:
                await self.client.publish(channel, message)
        except ERRORS as exc:
            raise unavailable(exc, "The broker") from None

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        sub = Subscription(channel, self.inbox_max)
        self._subs.setdefault(channel, set()).add(sub)
        try:
            await self._sync_channel(channel)
            yield sub
        finally:
            subs = self._subs.get(channel, set())
            subs.discard(sub)
            if not subs:
                self._subs.pop(channel, None)
                await self._sync_channel(channel)

    async def _sync_channel(self, channel: str) -> None:
        """Make Redis's subscription match the local listeners: SUBSCRIBE on the first, UNSUBSCRIBE after the last.

        Serialised, so the commands reach Redis in the order the decisions were made. A subscribe waits until
        Redis confirms it, so a change committed after subscribe() returns is heard.
        """
        waiter: asyncio.Future[None] | None = None
        if self._pubsub is None:
            return  # disconnected: the reader subscribes to every wanted channel when it connects
        async with self._sub_lock:
            pubsub = self._pubsub
            wanted, active = channel in self._subs, channel in self._active
            if pubsub is None or wanted == active:
                return  # in sync, or disconnected: the reader re-subscribes everything on reconnect
            try:
                if wanted:
                    waiter = asyncio.get_running_loop().create_future()
                    self._confirm.setdefault(channel, []).append(waiter)
                    self._active.add(channel)
                    await self._command(pubsub, True, channel)
                else:
                    self._active.discard(channel)
                    await self._command(pubsub, False, channel)
            except ERRORS:
                pass  # the reader notices the broken connection, reconnects and sends RESYNC
        if waiter is not None:
            if self._pubsub is pubsub and not waiter.done():
                # asyncio.wait, not wait_for(shield()): in Python 3.11 that swallows a cancellation arriving as
                # the confirmation does, and a room being stopped would then listen on forever.
                await asyncio.wait({waiter}, timeout=SUBSCRIBE_WAIT)
            waiters = self._confirm.get(channel, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._confirm.pop(channel, None)

    # -- the reader: one task per process, reconnecting forever --------------------------------------
    async def _read_forever(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._closing:
            try:
                await self._connect()
                backoff = BACKOFF_FIRST
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the reader must outlive any fault
                if self.connected.is_set():
                    log.warning("lost Redis pub/sub (%s); reconnecting", exc.__class__.__name__)
            was_connected = self.connected.is_set()
            self.connected.clear()
            await self._drop_connection()
            if was_connected:
                self._resync_all()  # listeners learn at once that they may miss messages
            await asyncio.sleep(backoff * (0.5 + random.random()))  # jitter spreads reconnects of many instances
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _connect(self) -> None:
        pubsub = self._listener.pubsub()
        channels = set(self._subs)
        try:
            if not self.cluster:
                # A private channel keeps the connection subscribed, so readable, while no room listens.
                await pubsub.subscribe(f"{self.prefix}:broker")
            if channels:
                await self._command(pubsub, True, *channels)
            async with self._sub_lock:
                self._pubsub, self._active = pubsub, channels
                # Listeners that came or went while we connected.
                for channel in set(self._subs) - channels:
                    await self._command(pubsub, True, channel)
                    self._active.add(channel)
                for channel in channels - set(self._subs):
                    self._active.discard(channel)
                    await self._command(pubsub, False, channel)
                self.connected.set()
        except BaseException:
            self._pubsub, self._active = None, set()
            with contextlib.suppress(*ERRORS):
                await pubsub.aclose()
            raise
        if self.reconnects or channels:
            log.info("Redis pub/sub connected; %d channels subscribed", len(self._active))
        self.reconnects += 1
        self._resync_all()

    def _command(self, pubsub: Any, subscribe: bool, *channels: str) -> Any:
        if self.cluster:
            return pubsub.ssubscribe(*channels) if subscribe else pubsub.sunsubscribe(*channels)
        return pubsub.subscribe(*channels) if subscribe else pubsub.unsubscribe(*channels)

    async def _read(self) -> None:
        pubsub = self._pubsub
        loop = asyncio.get_running_loop()
        last_heard = last_ping = loop.time()
        while True:
            if self.cluster:
                # ClusterPubSub keeps one connection per shard and polls them in turn, so each poll is short;
                # a dead one raises here. No PING round: shards without subscribed channels have no connection.
                message = await pubsub.get_sharded_message(timeout=CLUSTER_POLL)
                if message is not None:
                    self._dispatch(message)
                else:
                    await asyncio.sleep(CLUSTER_POLL)  # returns at once when no channel is subscribed
                continue
            message = await pubsub.get_message(timeout=1.0)
            now = loop.time()
            if message is not None:
                last_heard = now
                self._dispatch(message)
            elif now - last_heard > 3 * PING_SECONDS:
                raise ConnectionError("Redis pub/sub connection went silent")
            if now - last_ping > PING_SECONDS:
                last_ping = now
                await pubsub.ping()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        kind = kind.decode() if isinstance(kind, bytes) else kind
        channel = message.get("channel")
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        if kind in ("message", "smessage"):
            for sub in list(self._subs.get(name, ())):
                sub.deliver(message["data"])
        elif kind in ("subscribe", "ssubscribe"):
            for waiter in self._confirm.pop(name, []):
                if not waiter.done():
                    waiter.set_result(None)

    def _resync_all(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub.deliver(RESYNC)

    async def _drop_connection(self) -> None:
        pubsub, self._pubsub, self._active = self._pubsub, None, set()
        if pubsub is not None:
            with contextlib.suppress(*ERRORS):
                await pubsub.aclose()
