"""The embedded default: one SQLite file in WAL mode, on one connection owned by the event loop's thread.

Every write goes through one writer task (qa/store/sqlite_writer.py): what is queued when it runs is applied
in one transaction and committed together (group commit), and each caller is answered only after that COMMIT.
Writes are serialised by construction: none reorders against another, and `seq` order equals publish order.

Durability: WAL with synchronous=NORMAL. A committed write survives the process being killed (kill -9, a
crash): it is in the WAL file, which the next open replays. The WAL is fsynced at checkpoints, not at each
COMMIT, so a power cut or an OS crash may lose the last transactions before a checkpoint (never corrupt the
file). synchronous=FULL would close that window at one fsync per batch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from qa.domain.errors import Conflict, Unavailable
from qa.domain.model import Change, Event, Note, Poll, PollTally, Question, Speaker
from qa.domain.replay import SCRUBBED
from qa.store.base import DuplicateQuestion, EventState, StaleWrite, Store, Write
from qa.store.sqlite_writer import SqliteWriter

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (code TEXT PRIMARY KEY, data TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ids (code TEXT, kind TEXT, value INTEGER NOT NULL, PRIMARY KEY (code, kind)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS questions (code TEXT, id INTEGER, data TEXT NOT NULL, votes INTEGER NOT NULL DEFAULT 0,
    author TEXT NOT NULL, client_id TEXT, PRIMARY KEY (code, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS questions_client ON questions (code, author, client_id);
CREATE TABLE IF NOT EXISTS votes (code TEXT, qid INTEGER, participant TEXT, PRIMARY KEY (code, qid, participant))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS votes_participant ON votes (code, participant);
CREATE TABLE IF NOT EXISTS polls (code TEXT, id INTEGER, data TEXT NOT NULL, PRIMARY KEY (code, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS poll_answers (code TEXT, pid INTEGER, participant TEXT, keys TEXT NOT NULL,
    PRIMARY KEY (code, pid, participant)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS poll_answers_participant ON poll_answers (code, participant);
CREATE TABLE IF NOT EXISTS poll_counts (code TEXT, pid INTEGER, key TEXT, count INTEGER NOT NULL,
    PRIMARY KEY (code, pid, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes (code TEXT, id INTEGER, data TEXT NOT NULL, PRIMARY KEY (code, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS speakers (code TEXT, id INTEGER, data TEXT NOT NULL, PRIMARY KEY (code, id))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (code TEXT, seq INTEGER, type TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (code, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (code TEXT, n INTEGER, data TEXT NOT NULL, PRIMARY KEY (code, n)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS moderation_counts (code TEXT, name TEXT, value INTEGER NOT NULL, PRIMARY KEY (code, name))
    WITHOUT ROWID;
"""
T = TypeVar("T")
_PER_EVENT_TABLES = ("ids", "questions", "votes", "polls", "poll_answers", "poll_counts", "notes", "log", "audit",
                     "speakers", "moderation_counts", "events")


class SqliteStore(Store):
    def __init__(self, path: Path | str, *, log_max: int = 1000, audit_max: int = 10000, write_queue_max: int = 1024,
                 write_batch_max: int = 256, write_wait_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.log_max = log_max
        self.audit_max = audit_max
        self.write_queue_max = write_queue_max
        self.write_batch_max = write_batch_max
        self.write_wait_seconds = write_wait_seconds
        self._db: sqlite3.Connection | None = None
        self._writer: SqliteWriter | None = None
        self._presence: dict[str, tuple[int, float]] = {}

    # -- lifecycle -----------------------------------------------------------------------------------
    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        db.execute("PRAGMA secure_delete=ON")  # erased text is overwritten in the file, not left in free pages
        db.executescript(_SCHEMA)
        self._db = db
        self._writer = SqliteWriter(db, queue_max=self.write_queue_max, batch_max=self.write_batch_max,
                                    wait_seconds=self.write_wait_seconds)

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()  # what was queued is committed first
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise Unavailable("Storage is not open.")
        return self._db

    async def ping(self) -> None:
        try:
            self.db.execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise Unavailable(f"Storage does not answer: {exc.__class__.__name__}.") from None

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    async def _write(self, apply: Callable[[sqlite3.Connection], T]) -> T:
        """Run `apply` in the writer's next transaction; return once that committed."""
        if self._writer is None:
            raise Unavailable("Storage is not open.")
        return await self._writer.submit(apply)

    # -- events --------------------------------------------------------------------------------------
    async def create_event(self, event: Event) -> None:
        def apply(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO events (code, data, seq, created_at) VALUES (?, ?, 0, ?)",
                           (event.code, _dump(event.to_dict()), event.created_at))
            except sqlite3.IntegrityError:
                raise Conflict(f"The event code '{event.code}' is taken.", "code_taken") from None

        await self._write(apply)

    async def get_event(self, code: str) -> Event | None:
        row = self._one("SELECT data FROM events WHERE code = ?", (code,))
        return Event.from_dict(orjson.loads(row[0])) if row else None

    async def list_events(self) -> list[Event]:
        rows = self._all("SELECT data FROM events ORDER BY created_at DESC", ())
        return [Event.from_dict(orjson.loads(r[0])) for r in rows]

    async def delete_event(self, code: str) -> bool:
        def apply(db: sqlite3.Connection) -> bool:
            found = db.execute("SELECT 1 FROM events WHERE code = ?", (code,)).fetchone() is not None
            for table in _PER_EVENT_TABLES:
                db.execute(f"DELETE FROM {table} WHERE code = ?", (code,))  # noqa: S608 (fixed names)
            return found

        found = await self._write(apply)
        self.checkpoint()
        return found

    async def after_erase(self) -> None:
        self.checkpoint()

    def checkpoint(self) -> None:
        """Copy the WAL into the file and truncate it: erased text leaves the WAL too (secure_delete has already
        overwritten it in the pages). Busy readers may postpone it; the next erase or SQLite's own checkpoint
        then completes it."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            pass  # never fail an erase that committed

    async def next_id(self, code: str, kind: str) -> int:
        def apply(db: sqlite3.Connection) -> int:
            return int(db.execute("INSERT INTO ids (code, kind, value) VALUES (?, ?, 1) ON CONFLICT (code, kind) "
                                  "DO UPDATE SET value = value + 1 RETURNING value", (code, kind)).fetchone()[0])

        return await self._write(apply)

    # -- reading ---------------------------------------------------------------------------------------
    async def state(self, code: str) -> EventState | None:
        with self._tx() as db:  # one transaction: a consistent view at one seq
            row = db.execute("SELECT data, seq FROM events WHERE code = ?", (code,)).fetchone()
            if row is None:
                return None
            questions = [_question(r) for r in db.execute(
                "SELECT data, votes FROM questions WHERE code = ? ORDER BY id", (code,))]
            polls = [Poll.from_dict(orjson.loads(r[0])) for r in db.execute(
                "SELECT data FROM polls WHERE code = ? ORDER BY id", (code,))]
            tallies = [(p, self._tally(db, code, p.id)) for p in polls]
            notes = [Note.from_dict(orjson.loads(r[0])) for r in db.execute(
                "SELECT data FROM notes WHERE code = ? ORDER BY id", (code,))]
            speakers = [Speaker.from_dict(orjson.loads(r[0])) for r in db.execute(
                "SELECT data FROM speakers WHERE code = ? ORDER BY id", (code,))]
            counts = self._counts(db, code)
        return EventState(Event.from_dict(orjson.loads(row[0])), questions, tallies, notes, int(row[1]), speakers,
                          counts)

    async def get_question(self, code: str, qid: int) -> Question | None:
        row = self._one("SELECT data, votes FROM questions WHERE code = ? AND id = ?", (code, qid))
        return _question(row) if row else None

    async def recent_questions(self, code: str, limit: int) -> list[Question]:
        rows = self._all("SELECT data, votes FROM questions WHERE code = ? ORDER BY id DESC LIMIT ?", (code, limit))
        return [_question(r) for r in reversed(rows)]

    async def find_question(self, code: str, author: str, client_id: str) -> Question | None:
        row = self._one("SELECT data, votes FROM questions WHERE code = ? AND author = ? AND client_id = ?",
                        (code, author, client_id))
        return _question(row) if row else None

    async def get_poll(self, code: str, pid: int) -> Poll | None:
        row = self._one("SELECT data FROM polls WHERE code = ? AND id = ?", (code, pid))
        return Poll.from_dict(orjson.loads(row[0])) if row else None

    async def get_note(self, code: str, nid: int) -> Note | None:
        row = self._one("SELECT data FROM notes WHERE code = ? AND id = ?", (code, nid))
        return Note.from_dict(orjson.loads(row[0])) if row else None

    async def speakers(self, code: str) -> list[Speaker]:
        rows = self._all("SELECT data FROM speakers WHERE code = ? ORDER BY id", (code,))
        return [Speaker.from_dict(orjson.loads(r[0])) for r in rows]

    async def seq(self, code: str) -> int:
        row = self._one("SELECT seq FROM events WHERE code = ?", (code,))
        return int(row[0]) if row else 0

    async def changes_since(self, code: str, seq: int) -> list[Change] | None:
        with self._tx() as db:
            row = db.execute("SELECT seq FROM events WHERE code = ?", (code,)).fetchone()
            if row is None or seq > row[0]:
                return None
            rows = db.execute("SELECT seq, type, data FROM log WHERE code = ? AND seq > ? ORDER BY seq",
                              (code, seq)).fetchall()
        if len(rows) != row[0] - seq:
            return None  # trimmed past this point
        return [Change(r[0], r[1], orjson.loads(r[2])) for r in rows]

    # -- writing ---------------------------------------------------------------------------------------
    async def commit(self, code: str, write: Write) -> list[Change]:
        return await self._write(lambda db: self._commit(db, code, write))

    def _commit(self, db: sqlite3.Connection, code: str, write: Write) -> list[Change]:
        row = db.execute("SELECT data, seq FROM events WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise StaleWrite("event gone")
        seq = int(row[1])
        if write.event is not None:
            stored = orjson.loads(row[0])
            _check_rev(stored["rev"], write.event.rev)
            write.event.rev += 1
            db.execute("UPDATE events SET data = ? WHERE code = ?", (_dump(write.event.to_dict()), code))
        for q in write.questions:
            self._put_question(db, code, q)
        for q_id in write.delete_questions:
            for table, col in (("questions", "id"), ("votes", "qid")):
                db.execute(f"DELETE FROM {table} WHERE code = ? AND {col} = ?", (code, q_id))  # noqa: S608
            # An erased question leaves no history: its log entries keep their seq and lose their content.
            db.execute("UPDATE log SET type = ?, data = '{}' WHERE code = ? AND type LIKE 'question.%' "
                       "AND json_extract(data, '$.question.id') = ?", (SCRUBBED, code, q_id))
        for p in write.polls:
            self._put_entity(db, "polls", code, p.id, p.rev, p)
            p.rev += 1
        for n in write.notes:
            self._put_entity(db, "notes", code, n.id, n.rev, n)
            n.rev += 1
        for sp in write.speakers:
            self._put_entity(db, "speakers", code, sp.id, sp.rev, sp)
            sp.rev += 1
        for sid in write.delete_speakers:
            db.execute("DELETE FROM speakers WHERE code = ? AND id = ?", (code, sid))
            # An erased request leaves no history either: no name or delegation stays in the log.
            db.execute("UPDATE log SET type = ?, data = '{}' WHERE code = ? AND type LIKE 'speaker.%' "
                       "AND json_extract(data, '$.speaker.id') = ?", (SCRUBBED, code, sid))
        for pid in write.reset_polls + write.delete_polls:
            db.execute("DELETE FROM poll_answers WHERE code = ? AND pid = ?", (code, pid))
            db.execute("DELETE FROM poll_counts WHERE code = ? AND pid = ?", (code, pid))
        for pid in write.delete_polls:
            db.execute("DELETE FROM polls WHERE code = ? AND id = ?", (code, pid))
        if write.merge_votes is not None:
            self._merge_votes(db, code, *write.merge_votes)
        db.executemany("INSERT INTO moderation_counts (code, name, value) VALUES (?, ?, ?) "
                       "ON CONFLICT (code, name) DO UPDATE SET value = value + excluded.value",
                       [(code, name, n) for name, n in write.counts.items() if n])
        changes = []
        for pending in write.changes:
            seq += 1
            changes.append(Change(seq, pending.type, pending.data))
            db.execute("INSERT INTO log (code, seq, type, data) VALUES (?, ?, ?, ?)",
                       (code, seq, pending.type, _dump(pending.data)))
        db.execute("UPDATE events SET seq = ? WHERE code = ?", (seq, code))
        if changes and seq % 64 == 0:
            db.execute("DELETE FROM log WHERE code = ? AND seq <= ?", (code, seq - self.log_max))
        if write.audit:
            self._append_audit(db, code, write.audit)
        return changes

    def _append_audit(self, db: sqlite3.Connection, code: str, entries: list[dict[str, Any]]) -> None:
        last = int(db.execute("SELECT COALESCE(MAX(n), 0) FROM audit WHERE code = ?", (code,)).fetchone()[0])
        db.executemany("INSERT INTO audit (code, n, data) VALUES (?, ?, ?)",
                       [(code, last + i, _dump(e)) for i, e in enumerate(entries, start=1)])
        db.execute("DELETE FROM audit WHERE code = ? AND n <= ?", (code, last + len(entries) - self.audit_max))

    async def moderation_counts(self, code: str) -> dict[str, int]:
        try:
            return self._counts(self.db, code)
        except sqlite3.Error as exc:
            raise Unavailable(f"Storage failed: {exc.__class__.__name__}.") from None

    def _counts(self, db: sqlite3.Connection, code: str) -> dict[str, int]:
        rows = db.execute("SELECT name, value FROM moderation_counts WHERE code = ?", (code,)).fetchall()
        return {str(name): int(value) for name, value in rows}

    async def audit_log(self, code: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT data FROM audit WHERE code = ? ORDER BY n", (code,))
        return [orjson.loads(r[0]) for r in rows]

    def _put_question(self, db: sqlite3.Connection, code: str, q: Question) -> None:
        row = db.execute("SELECT data, votes FROM questions WHERE code = ? AND id = ?", (code, q.id)).fetchone()
        if row is None:
            _check_rev(0, q.rev)
            if q.client_id is not None and db.execute(
                    "SELECT 1 FROM questions WHERE code = ? AND author = ? AND client_id = ?",
                    (code, q.author, q.client_id)).fetchone() is not None:
                raise DuplicateQuestion(q.client_id)
            q.rev = 1
            db.execute("INSERT INTO questions (code, id, data, author, client_id) VALUES (?, ?, ?, ?, ?)",
                       (code, q.id, _dump(q.to_dict()), q.author, q.client_id))
            return
        _check_rev(orjson.loads(row[0])["rev"], q.rev)
        q.rev += 1
        q.votes = int(row[1])
        db.execute("UPDATE questions SET data = ? WHERE code = ? AND id = ?", (_dump(q.to_dict()), code, q.id))

    def _put_entity(self, db: sqlite3.Connection, table: str, code: str, eid: int, rev: int, entity: Any) -> None:
        row = db.execute(f"SELECT data FROM {table} WHERE code = ? AND id = ?", (code, eid)).fetchone()  # noqa: S608
        _check_rev(orjson.loads(row[0])["rev"] if row else 0, rev)
        data = entity.to_dict() | {"rev": rev + 1}
        db.execute(f"INSERT INTO {table} (code, id, data) VALUES (?, ?, ?) "  # noqa: S608
                   "ON CONFLICT (code, id) DO UPDATE SET data = excluded.data", (code, eid, _dump(data)))

    def _merge_votes(self, db: sqlite3.Connection, code: str, source: int, target: int) -> None:
        # Never the target's own asker: nobody upvotes their own question, not even by a merge.
        db.execute("INSERT OR IGNORE INTO votes (code, qid, participant) SELECT code, ?, participant FROM votes "
                   "WHERE code = ? AND qid = ? AND participant IS NOT "
                   "(SELECT author FROM questions WHERE code = ? AND id = ?)", (target, code, source, code, target))
        db.execute("DELETE FROM votes WHERE code = ? AND qid = ?", (code, source))
        for qid in (source, target):
            db.execute("UPDATE questions SET votes = (SELECT COUNT(*) FROM votes WHERE code = ? AND qid = ?) "
                       "WHERE code = ? AND id = ?", (code, qid, code, qid))

    # -- counters ------------------------------------------------------------------------------------
    async def vote(self, code: str, qid: int, participant: str, on: bool) -> tuple[int, bool]:
        def apply(db: sqlite3.Connection) -> tuple[int, bool]:
            if on:
                cur = db.execute("INSERT OR IGNORE INTO votes (code, qid, participant) VALUES (?, ?, ?)",
                                 (code, qid, participant))
            else:
                cur = db.execute("DELETE FROM votes WHERE code = ? AND qid = ? AND participant = ?",
                                 (code, qid, participant))
            changed = cur.rowcount > 0
            if changed:
                row = db.execute("UPDATE questions SET votes = votes + ? WHERE code = ? AND id = ? RETURNING votes",
                                 (1 if on else -1, code, qid)).fetchone()
            else:
                row = db.execute("SELECT votes FROM questions WHERE code = ? AND id = ?", (code, qid)).fetchone()
            return (int(row[0]) if row else 0), changed

        return await self._write(apply)

    async def voted(self, code: str, participant: str) -> set[int]:
        rows = self._all("SELECT qid FROM votes WHERE code = ? AND participant = ?", (code, participant))
        return {int(r[0]) for r in rows}

    async def vote_counts(self, code: str, qids: Iterable[int]) -> dict[int, int]:
        ids = list(qids)
        counts: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for qid, votes in self._all(f"SELECT id, votes FROM questions WHERE code = ? AND id IN ({marks})",  # noqa: S608
                                        (code, *chunk)):
                counts[int(qid)] = int(votes)
        return counts

    async def answer(self, code: str, pid: int, participant: str, keys: list[str] | None) -> PollTally:
        def apply(db: sqlite3.Connection) -> PollTally:
            row = db.execute("DELETE FROM poll_answers WHERE code = ? AND pid = ? AND participant = ? RETURNING keys",
                             (code, pid, participant)).fetchone()
            for key in orjson.loads(row[0]) if row else []:
                db.execute("UPDATE poll_counts SET count = count - 1 WHERE code = ? AND pid = ? AND key = ?",
                           (code, pid, key))
            if keys is not None:
                db.execute("INSERT INTO poll_answers (code, pid, participant, keys) VALUES (?, ?, ?, ?)",
                           (code, pid, participant, _dump(keys)))
                db.executemany("INSERT INTO poll_counts (code, pid, key, count) VALUES (?, ?, ?, 1) "
                               "ON CONFLICT (code, pid, key) DO UPDATE SET count = count + 1",
                               [(code, pid, k) for k in keys])
            db.execute("DELETE FROM poll_counts WHERE code = ? AND pid = ? AND count <= 0", (code, pid))
            return self._tally(db, code, pid)

        return await self._write(apply)

    async def answers_of(self, code: str, participant: str) -> dict[int, list[str]]:
        rows = self._all("SELECT pid, keys FROM poll_answers WHERE code = ? AND participant = ?", (code, participant))
        return {int(pid): orjson.loads(keys) for pid, keys in rows}

    async def tally(self, code: str, pid: int) -> PollTally:
        return self._tally(self.db, code, pid)

    def _tally(self, db: sqlite3.Connection, code: str, pid: int) -> PollTally:
        counts = {k: int(c) for k, c in db.execute(
            "SELECT key, count FROM poll_counts WHERE code = ? AND pid = ?", (code, pid))}
        voters = db.execute("SELECT COUNT(*) FROM poll_answers WHERE code = ? AND pid = ?", (code, pid)).fetchone()
        return PollTally(counts, int(voters[0]))

    # -- presence: one process owns the file, so presence is this process's own count ------------------
    async def set_presence(self, code: str, instance: str, count: int, ttl: float) -> int:
        self._presence[code] = (count, time.monotonic() + ttl)
        return count

    # -- helpers ---------------------------------------------------------------------------------------
    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        try:
            return self.db.execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            raise Unavailable(f"Storage failed: {exc.__class__.__name__}.") from None

    def _all(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise Unavailable(f"Storage failed: {exc.__class__.__name__}.") from None


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT around reads that must see one seq; sqlite errors surface as Unavailable."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise Unavailable(f"Storage is busy or unreachable: {exc.__class__.__name__}.") from None
        return self.db

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error as err:
                self.db.execute("ROLLBACK")
                raise Unavailable(f"Storage failed to commit: {err.__class__.__name__}.") from None
        self.db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise Unavailable(f"Storage failed: {exc.__class__.__name__}.") from None


def _check_rev(stored: int, expected: int) -> None:
    if stored != expected:
        raise StaleWrite(f"stored rev {stored}, expected {expected}")


def _question(row: Any) -> Question:
    q = Question.from_dict(orjson.loads(row[0]))
    q.votes = int(row[1])
    return q


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()
