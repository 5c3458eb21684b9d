"""The hub: one room per event with local viewers, fed by the broker, fanning out to connections.

Each room listens on its event's broker channel only while it has local viewers. Changes are
applied strictly in `seq` order: a gap (lost or reordered doorbell) is filled from the store's
log, and when the log cannot fill it every viewer gets a fresh snapshot. Every frame is
serialised once per kind of viewer, never once per socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Coroutine
from typing import Any

import orjson

from qa.broker.base import RESYNC, Broker
from qa.domain import replay, tokens, views
from qa.domain.errors import Unavailable
from qa.domain.model import Change, Event, Poll, PollTally, ResultsVisibility, Role, Viewer
from qa.realtime import notices
from qa.realtime.connection import NOTHING, Connection, Kind
from qa.realtime.tasks import TaskSet
from qa.settings import Settings
from qa.store.base import EventState, Store

log = logging.getLogger("floor.hub")
SAFETY_POLL_SECONDS = 5.0  # how often a room checks the store's seq in case a doorbell was lost
RECOUNT_AFTER_SECONDS = 2.0  # after a resync or a recovery, counts are re-read once more this much later
STOP_PRESENCE_SECONDS = 1.0  # how long a stopping room waits to tell the store it has no viewers left
GOING_AWAY = 1001  # an idle socket is closed as going away
REVOKED = 1008  # policy: the token this socket authenticated with was rotated away


def frame(kind: str, seq: int, data: Any) -> str:
    return orjson.dumps({"type": kind, "seq": seq, "data": data}).decode()


class Room:
    def __init__(self, hub: Hub, code: str) -> None:
        self.hub = hub
        self.code = code
        self.connections: set[Connection] = set()
        self.by_participant: dict[str, set[Connection]] = {}
        self.last_seq = 0
        self.epoch: str | None = None  # the event's epoch at last_seq: a re-created event restarts its seq
        self.seq_known = False  # False until last_seq and epoch were read (the store may be down at start)
        self.unsynced: dict[Connection, int | None] = {}  # sockets whose sync failed in an outage -> since
        self.presence = 0
        self.storage_ok = True
        self._dirty_votes: set[int] = set()
        self._dirty_polls: set[int] = set()
        self._dirty_counts = False  # a question changed: the open moderation counts may have
        self._sent_counts: dict[str, int] | None = None
        self._flush_scheduled = False
        self._presence_scheduled = False
        self._recount_scheduled = False
        self._ready = asyncio.Event()
        self._lock = asyncio.Lock()
        self._tasks = TaskSet(f"room {code}")  # listener, ticker, presence, flush and sync jobs: stop() ends all
        self._state: EventState | None = None  # shared by every socket that syncs before the next notice
        self._state_gen = 0

    # -- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        self._tasks.spawn(self._listen())
        self._tasks.spawn(self._tick())
        await self._ready.wait()

    async def stop(self) -> None:
        """Cancel and await every task of this room, then tell the store this instance has no viewers here.

        The goodbye is bounded: a Redis that hangs must not hold the room's lock (and a rejoin) for long."""
        await self._tasks.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(STOP_PRESENCE_SECONDS):  # not wait_for: in 3.11 it may swallow a cancel
                await self.hub.store.set_presence(self.code, self.hub.settings.instance_id, 0, 1.0)

    @property
    def tasks(self) -> int:
        """Background tasks still owned by this room (0 after stop())."""
        return len(self._tasks)

    async def _listen(self) -> None:
        chan = notices.channel(self.hub.settings.redis_prefix, self.code)
        backoff = 0.2
        while True:
            try:
                async with self.hub.broker.subscribe(chan) as sub:
                    if self._ready.is_set():
                        await self.catch_up(refresh_counts=True)  # re-subscribed: fill what we missed
                        self._recount_later()
                    else:
                        try:
                            await self._read_position()
                        except Unavailable:
                            self._set_storage(False)
                        self._ready.set()
                    backoff = 0.2
                    async for raw in sub:
                        if raw == RESYNC:
                            await self.catch_up(refresh_counts=True)
                            self._recount_later()
                            continue
                        notice = notices.decode(raw)
                        if notice is not None:
                            await self.on_notice(notice)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the listener must outlive any broker fault
                log.warning("room %s listener failed (%s); retrying", self.code, exc.__class__.__name__)
                self._ready.set()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _tick(self) -> None:
        """Presence heartbeat and the safety net for lost doorbells or a storage outage; every
        `counts_refresh_seconds` it also re-reads and re-sends every vote and poll count."""
        loop = asyncio.get_running_loop()
        refresh_every = self.hub.settings.counts_refresh_seconds
        counts_at = loop.time()
        while True:
            await asyncio.sleep(min(SAFETY_POLL_SECONDS, refresh_every) if self.storage_ok
                                else self.hub.settings.presence_seconds)
            try:
                await self.update_presence()
                refresh = not self.storage_ok or loop.time() - counts_at >= refresh_every
                await self.catch_up(refresh_counts=refresh)
                if refresh and self.storage_ok:
                    counts_at = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.debug("room %s tick failed: %s", self.code, exc.__class__.__name__)

    def _schedule_presence(self) -> None:
        """Joins and leaves in a burst become one presence update."""
        if not self._presence_scheduled:
            self._presence_scheduled = True
            delay = min(self.hub.settings.presence_seconds, 0.05 if self.presence == 0 else 1.0)
            self._tasks.spawn_later(delay, self.update_presence)

    async def update_presence(self) -> None:
        """Record this instance's viewers; tell every instance the total when it changed."""
        self._presence_scheduled = False
        settings = self.hub.settings
        try:
            total = await self.hub.store.set_presence(self.code, settings.instance_id, len(self.connections),
                                                      settings.presence_ttl)
        except Unavailable:
            return
        if total != self.presence:
            self.set_presence(total)
            with contextlib.suppress(Unavailable):
                await self.hub.broker.publish(notices.channel(settings.redis_prefix, self.code),
                                              notices.encode(notices.PresenceNotice(total)))

    # -- incoming notices ----------------------------------------------------------------------------
    async def state(self) -> EventState | None:
        """One storage read serves a whole reconnect storm: the cache lives until the next change, vote or
        answer reaches this room (a generation number keeps a read that raced a notice out of the cache)."""
        if self._state is not None:
            return self._state
        gen = self._state_gen
        state = await self.hub.store.state(self.code)
        if gen == self._state_gen:
            self._state = state
        return state

    def forget_state(self) -> None:
        self._state = None
        self._state_gen += 1

    async def on_notice(self, notice: notices.Notice) -> None:
        if not isinstance(notice, notices.PresenceNotice):
            self.forget_state()
        if isinstance(notice, Change):
            if notice.type == "event.deleted":
                farewell = frame("event.deleted", self.last_seq, {"code": self.code})
                for conn in list(self.connections):
                    # Not push(): its seq is not new, so push() would drop it; and abort() would discard it unsent.
                    conn.send_direct(farewell)
                    conn.close_when_sent(1000, "event deleted")
                return
            if notice.seq == self.last_seq + 1:
                self.last_seq = notice.seq
                self.fan_out(notice)
            elif notice.seq > self.last_seq:
                await self.catch_up()
        elif isinstance(notice, notices.VoteNotice):
            for conn in self.by_participant.get(notice.participant, ()):
                conn.voted = conn.voted | {notice.qid} if notice.voted else conn.voted - {notice.qid}
            self._dirty_votes.add(notice.qid)
            self._schedule_flush()
        elif isinstance(notice, notices.AnswerNotice):
            newly = self._note_answer(notice)
            self._dirty_polls.add(notice.pid)
            self._schedule_flush()
            if newly:  # their counts now, not a coalescing window later
                self._spawn(self._send_results_now(notice.pid, newly))
        elif isinstance(notice, notices.PresenceNotice):
            if notice.count != self.presence:  # our own notice echoes back: update_presence already broadcast it
                self.set_presence(notice.count)

    def _note_answer(self, notice: notices.AnswerNotice) -> list[Connection]:
        """Keep each socket's answered polls (its participant's, whichever socket or instance answered); return
        the sockets whose participant has just answered this poll for the first time."""
        pid = notice.pid
        if not notice.participant:
            if not notice.answered:  # a reset: nobody has answered the new round yet
                for conn in self.connections:
                    conn.answered = conn.answered - {pid}  # a new set even when unchanged: see Hub._load_answers
            return []
        conns = self.by_participant.get(notice.participant, ())
        newly = [c for c in conns if notice.answered and pid not in c.answered]
        for conn in conns:
            conn.answered = conn.answered | {pid} if notice.answered else conn.answered - {pid}
        return newly

    async def _send_results_now(self, pid: int, conns: list[Connection]) -> None:
        """An `answered` poll's counts to the sockets of a participant who just answered it (the other kinds
        gain nothing: the next flush is enough)."""
        try:
            poll = await self.hub.store.get_poll(self.code, pid)
            if poll is not None and poll.results is ResultsVisibility.ANSWERED:
                self._push_results(poll, await self.hub.store.tally(self.code, pid), conns)
        except Unavailable:
            self._set_storage(False)

    async def _read_position(self) -> None:
        event = await self.hub.store.get_event(self.code)
        self.last_seq = await self.hub.store.seq(self.code)
        self.epoch = event.epoch if event is not None else None
        self.seq_known = True

    async def catch_up(self, *, refresh_counts: bool = False) -> None:
        """Bring the room to the store's seq from the log, or resync everyone if the log can't.

        The log can't when it was trimmed past last_seq, when seq went backwards, or when the epoch changed
        (a Redis that came back empty, an event deleted and created again): a delta would then be wrong.
        """
        async with self._lock:
            store = self.hub.store
            self.forget_state()
            try:
                event = await store.get_event(self.code)
                current = await store.seq(self.code)
                epoch = event.epoch if event is not None else None
                same_log = self.seq_known and epoch == self.epoch
                changes = await store.changes_since(self.code, self.last_seq) \
                    if same_log and current > self.last_seq else []
            except Unavailable:
                self._set_storage(False)
                return
            recovered = not self.storage_ok
            self._set_storage(True)
            if recovered:
                self._recount_later()
            if changes is None or current < self.last_seq or not same_log:
                self.last_seq, self.epoch, self.seq_known = current, epoch, True
                self.unsynced.clear()
                for conn in list(self.connections):
                    conn.resync()
                    self._spawn(self.hub.sync(self, conn, None))
                return
            contiguous: list[Change] = []
            for change in changes:
                if change.seq != self.last_seq + len(contiguous) + 1:
                    break
                contiguous.append(change)
            if contiguous:
                try:  # what the viewers may see now, not the history (see qa/domain/replay.py)
                    rewritten = await self.hub.current(self, contiguous)
                except Unavailable:
                    self._set_storage(False)
                    return
                for change in rewritten:
                    self.fan_out(change)
                self.last_seq = contiguous[-1].seq
            unsynced, self.unsynced = self.unsynced, {}
            for conn, since in unsynced.items():
                conn.resync()
                self._spawn(self.hub.sync(self, conn, since))
            if refresh_counts or recovered:
                try:
                    await self.send_all_counts()
                except Unavailable:
                    self._set_storage(False)

    def _recount_later(self) -> None:
        """Once more, a little after an outage ended: a vote's doorbell that failed while the broker was still
        reconnecting (its write succeeded) would otherwise wait for the next safety tick."""
        if not self._recount_scheduled:
            self._recount_scheduled = True
            self._tasks.spawn_later(RECOUNT_AFTER_SECONDS, self._recount)

    async def _recount(self) -> None:
        self._recount_scheduled = False
        await self.catch_up(refresh_counts=True)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(job)

    def _set_storage(self, ok: bool) -> None:
        if ok != self.storage_ok:
            self.storage_ok = ok
            self.broadcast(frame("status", self.last_seq, {"storage": "ok" if ok else "unavailable"}),
                           self.last_seq, Kind.ABSOLUTE)

    # -- fan-out -------------------------------------------------------------------------------------
    def fan_out(self, change: Change) -> None:
        """Serialise once per kind of viewer (role, backstage, asker?, voted?) and queue to each."""
        if change.type == "event.updated":
            self.hub.revoke_stale(self, Event.from_dict(change.data["event"]))
        author = views.change_author(change)
        subject = views.change_subject(change)
        if change.type.startswith("question."):
            self._dirty_counts = True
            self._schedule_flush()
        pid = views.change_poll(change)
        cache: dict[tuple[Any, ...], str | None] = {}
        for conn in self.connections:
            viewer = conn.viewer
            voted = subject is not None and subject in conn.voted
            answered = pid is not None and pid in conn.answered
            key = (viewer.role, viewer.backstage, author is not None and author == viewer.participant, voted, answered)
            if key not in cache:
                # views.project, or a replay's current state
                projected = replay.project(change, viewer, voted, answered)
                cache[key] = None if projected is None else frame(projected[0], change.seq, projected[1])
            out = cache[key]
            if out is not None:
                conn.push(out, change.seq)

    def broadcast(self, out: str, seq: int, kind: Kind = Kind.CHANGE) -> None:
        for conn in self.connections:
            conn.push(out, seq, kind)

    def send_presence(self, conn: Connection, seq: int) -> None:
        """The count as last known, to one socket that just synced. A room that counted none yet has an update
        on its way (this socket's join scheduled it): never tell a connected viewer that nobody is here."""
        if self.presence > 0:
            conn.push(frame("presence", self.last_seq, {"count": self.presence}), seq, Kind.PRESENCE)

    def set_presence(self, count: int) -> None:
        self.presence = count
        self.broadcast(frame("presence", self.last_seq, {"count": count}), self.last_seq, Kind.PRESENCE)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._tasks.spawn_later(self.hub.settings.coalesce_seconds, self._flush)

    async def _flush(self) -> None:
        """One `votes` and one `poll.results` per dirty poll per window, read fresh from the store."""
        self._flush_scheduled = False
        qids, self._dirty_votes = self._dirty_votes, set()
        pids, self._dirty_polls = self._dirty_polls, set()
        recount, self._dirty_counts = self._dirty_counts, False
        try:
            if recount:
                await self._send_moderation_counts()
            if qids:
                counts = await self.hub.store.vote_counts(self.code, qids)
                if counts:
                    self.broadcast(frame("votes", self.last_seq, {"counts": {str(k): v for k, v in counts.items()}}),
                                   self.last_seq, Kind.ABSOLUTE)
            for pid in pids:
                await self.send_poll_results(pid)
        except Unavailable:
            self._dirty_votes |= qids
            self._dirty_polls |= pids
            self._dirty_counts = self._dirty_counts or recount
            self._set_storage(False)

    async def _send_moderation_counts(self) -> None:
        """`moderation.counts` when the open moderation counts changed (coalesced like votes), to the sockets that
        asked for them with a `counts` message."""
        if not any(c.wants_counts for c in self.connections):
            return
        counts = views.moderation_counts(await self.hub.store.moderation_counts(self.code))  # a few fields, no scan
        if counts != self._sent_counts:
            self._sent_counts = counts
            out = frame("moderation.counts", self.last_seq, counts)
            for conn in self.connections:
                if conn.wants_counts:
                    conn.push(out, self.last_seq, Kind.ABSOLUTE)

    async def send_moderation_counts(self, conn: Connection) -> None:
        """The current counts to one socket that just asked for them."""
        state = await self.state()
        if state is not None:
            conn.push(frame("moderation.counts", self.last_seq, views.moderation_counts(state.counts)),
                      self.last_seq, Kind.ABSOLUTE)

    async def send_poll_results(self, pid: int, only: Collection[Connection] | None = None) -> None:
        store = self.hub.store
        poll = await store.get_poll(self.code, pid)
        if poll is None:
            return
        self._push_results(poll, await store.tally(self.code, pid), self.connections if only is None else only)

    def _push_results(self, poll: Poll, tally: PollTally, conns: Collection[Connection]) -> None:
        """One `poll.results` per socket that may see the poll, framed once per distinct payload: counts, or (for
        an `answered` poll) `results: null` to a socket whose participant has not answered yet. Hidden `closed`
        and `never` results send nothing. Each socket's answered polls are in memory: no read per socket."""
        answered_kind = poll.results is ResultsVisibility.ANSWERED
        cache: dict[tuple[Role, bool], str | None] = {}
        for conn in conns:
            viewer = conn.viewer
            if not views.poll_visible(poll, viewer):
                continue
            answered = poll.id in conn.answered
            key = (viewer.role, views.results_visible(poll, viewer, answered))
            if key not in cache:
                data = views.poll_view(poll, tally, viewer, answered=answered) if key[1] or answered_kind else None
                if data is not None:
                    data.pop("my_answer")
                cache[key] = None if data is None else frame("poll.results", self.last_seq, data)
            out = cache[key]
            if out is not None:
                conn.push(out, self.last_seq, Kind.ABSOLUTE)

    async def send_all_counts(self, only: Connection | None = None) -> None:
        """Absolute counts for everything visible: after a resume or a recovery nothing is lost."""
        state = await self.state()
        if state is None:
            return
        counts = {str(q.id): q.votes for q in state.questions if q.status.value in ("approved", "answered")}
        out = frame("votes", self.last_seq, {"counts": counts})
        for conn in [only] if only is not None else self.connections:
            conn.push(out, self.last_seq, Kind.ABSOLUTE)
        conns = self.connections if only is None else [only]
        for poll, _ in state.polls:
            await self.send_poll_results(poll.id, conns)

    # -- membership ----------------------------------------------------------------------------------
    def add(self, conn: Connection) -> None:
        self.connections.add(conn)
        if conn.viewer.participant:
            self.by_participant.setdefault(conn.viewer.participant, set()).add(conn)
        self._schedule_presence()

    def discard(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self.unsynced.pop(conn, None)
        if conn.viewer.participant:
            conns = self.by_participant.get(conn.viewer.participant)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self.by_participant[conn.viewer.participant]
        self._schedule_presence()


class Hub:
    def __init__(self, store: Store, broker: Broker, settings: Settings) -> None:
        self.store = store
        self.broker = broker
        self.settings = settings
        self.rooms: dict[str, Room] = {}
        self._room_locks: dict[str, asyncio.Lock] = {}
        self.total = 0
        self._tasks = TaskSet("hub")
        self._sweeper: asyncio.Task[None] | None = None

    async def _sweep_idle(self) -> None:
        """Close sockets that sent nothing (not even `ping`) for `ws_idle_seconds`: one task for all of them,
        instead of a timer (and, with asyncio.wait_for, a task) per socket."""
        idle = self.settings.ws_idle_seconds
        while True:
            await asyncio.sleep(min(5.0, max(0.05, idle / 4)))
            deadline = time.monotonic() - idle
            for room in list(self.rooms.values()):
                for conn in [c for c in room.connections if c.last_heard < deadline]:
                    conn.abort(GOING_AWAY, "idle")

    async def join(self, code: str, conn: Connection, since: int | None) -> Room:
        if self._sweeper is None:
            self._sweeper = self._tasks.spawn(self._sweep_idle())
        lock = self._room_locks.setdefault(code, asyncio.Lock())
        async with lock:
            room = self.rooms.get(code)
            if room is None:
                room = Room(self, code)
                self.rooms[code] = room
                try:
                    await room.start()
                except BaseException:  # cancelled (the socket went away) or failed: no room without viewers
                    if self.rooms.get(code) is room:
                        del self.rooms[code]
                    await room.stop()
                    raise
            room.add(conn)
        self.total += 1
        try:
            await self.sync(room, conn, since)
        except BaseException:
            await self.leave(room, conn)  # the caller never got the room, so it cannot leave it
            raise
        return room

    async def leave(self, room: Room, conn: Connection) -> None:
        room.discard(conn)
        self.total -= 1
        lock = self._room_locks.setdefault(room.code, asyncio.Lock())
        async with lock:
            if not room.connections and self.rooms.get(room.code) is room:
                del self.rooms[room.code]
                await room.stop()

    async def sync(self, room: Room, conn: Connection, since: int | None) -> None:
        """Replay what `conn` missed after `since`, or send a fresh snapshot; then release live frames."""
        viewer = conn.viewer
        store = self.store
        try:
            answers: dict[int, list[str]] | None = None
            if viewer.participant and viewer.role is Role.ATTENDEE:
                voted = await store.voted(room.code, viewer.participant)
                conn.voted = frozenset(voted) if voted else NOTHING
                answers = await self._load_answers(room, conn, viewer.participant)
            if since is not None and 0 <= since <= room.last_seq:
                changes = await store.changes_since(room.code, since)
                if changes is not None:
                    upto = changes[-1].seq if changes else since
                    for change in await self.current(room, changes):  # the state now, never the history
                        projected = replay.project(change, viewer, views.change_subject(change) in conn.voted,
                                                   views.change_poll(change) in conn.answered)
                        if projected is not None:
                            conn.send_direct(frame(projected[0], change.seq, projected[1]), change.seq)
                    conn.go_live(upto)
                    await room.send_all_counts(only=conn)
                    room.send_presence(conn, upto)
                    return
            state = await room.state()
            if state is None:
                conn.send_direct(frame("error", room.last_seq, {"code": "not_found", "message": "No such event."}))
                conn.close_when_sent(1000, "event not found")  # after the error frame, not instead of it
                return
            if not self.still_authorised(conn, state.event):
                conn.abort(REVOKED, "token no longer valid")
                return
            if answers is None:
                answers = await store.answers_of(room.code, viewer.participant) if viewer.participant else {}
            snap = views.snapshot(state.event, state.questions, state.polls, state.notes, state.seq, viewer,
                                  conn.voted, answers, state.speakers, state.counts)
            conn.send_direct(frame("snapshot", state.seq, snap), state.seq)
            if conn.go_live(state.seq):
                await room.send_all_counts(only=conn)  # counts that moved while we synced, read fresh
            room.send_presence(conn, state.seq)
        except Unavailable:
            conn.send_direct(frame("status", room.last_seq, {"storage": "unavailable"}))
            conn.go_live(conn.sent_seq)
            room.storage_ok = False
            room.unsynced[conn] = since  # synced again as soon as the store answers

    async def _load_answers(self, room: Room, conn: Connection, participant: str) -> dict[int, list[str]]:
        """The polls this participant answered, into `conn.answered`. An answer notice that reached the socket
        during the read (each replaces the set) may be for an answer the read missed: the store is written before
        the notice goes out, so reading again sees it."""
        for _ in range(3):
            before = conn.answered
            answers = await self.store.answers_of(room.code, participant)
            if conn.answered is before:
                break
        conn.answered = frozenset(answers)
        return answers

    async def current(self, room: Room, changes: list[Change]) -> list[Change]:
        """`changes` rewritten against the event's state now: a replay never carries text since edited, hidden or
        erased. The room's cached state serves when it is at least as new as the changes; else one fresh read."""
        if not changes:
            return changes
        state = await room.state()
        if state is None or state.seq < changes[-1].seq:
            state = await self.store.state(room.code)
        if state is None:
            return [c for c in changes if c.type == "event.deleted"]
        return replay.current(changes, state.questions, state.polls, state.notes, state.speakers)

    async def reshape(self, room: Room, conn: Connection, viewer: Viewer) -> None:
        """A socket authenticated as moderator or presenter: same socket, new view."""
        room.discard(conn)
        conn.viewer = viewer
        room.add(conn)
        conn.resync()
        await self.sync(room, conn, None)

    def still_authorised(self, conn: Connection, event: Event) -> bool:
        """A socket that authenticated with a token keeps its role only while that token still grants it."""
        if conn.credential is None:
            return True
        return tokens.role_for_fingerprint(conn.credential, event, self.settings.admin_token) is conn.viewer.role

    def revoke_stale(self, room: Room, event: Event) -> None:
        """After a token rotation (on any instance), close every socket of this room that used the old token."""
        for conn in list(room.connections):
            if not self.still_authorised(conn, event):
                conn.abort(REVOKED, "token no longer valid")

    async def close_all(self, code: int, reason: str) -> None:
        """Shutdown: close every socket, then stop every room and the sweeper (their tasks cancelled and awaited)."""
        for room in list(self.rooms.values()):
            for conn in list(room.connections):
                conn.abort(code, reason)
        for room in list(self.rooms.values()):
            if self.rooms.get(room.code) is room:
                del self.rooms[room.code]
            await room.stop()
        await self._tasks.close()
        self._sweeper = None

    def connections_of(self, participant: str) -> int:
        return sum(len(room.by_participant.get(participant, ())) for room in self.rooms.values())
