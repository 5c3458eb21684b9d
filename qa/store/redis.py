"""Shared state in Redis, so any number of instances serve the same events.

Every change is one Lua script: check revs, write the entities, bump `seq`, append to a capped Stream (the
log) and PUBLISH the change, all at once. Votes and poll answers are sets and hashes changed inside Redis,
idempotent per participant. All keys of an event share the hash tag `{code}` (one Cluster slot), and the
scripts derive the event's keys from one base name, which is only allowed because they share that slot:

    {prefix}:{code}:ev        hash: data (event JSON), seq, gate (what a vote needs of the event: ballots.Gate)
    {prefix}:{code}:ids       hash: kind -> last id
    {prefix}:{code}:q / :qv   hashes: question id -> JSON / votes
    {prefix}:{code}:cid       hash: author NUL client_id -> question id (idempotent asks)
    {prefix}:{code}:p / :n    hashes: poll id / note id -> JSON
    {prefix}:{code}:s         hash: speaking request id -> JSON (the list of speakers)
    {prefix}:{code}:log       stream of changes, entry id = seq, capped at log_max
    {prefix}:{code}:scrubbed  sorted set of log seqs removed with an erased question (changes_since counts them)
    {prefix}:{code}:audit     list of moderator actions (JSON), oldest first, capped at audit_max
    {prefix}:{code}:mc        hash: moderation counter -> value (qa.domain.counts), moved by the commit script
    {prefix}:{code}:presence  hash: instance -> "count expiry_ms"
    {prefix}:{code}:voters:Q  set of participants;  :voted:P  set of question ids
    {prefix}:{code}:pa:POLL   hash participant -> keys JSON;  :pc:POLL  hash key -> count;  :mine:P  pid -> keys
    {prefix}:{code}:keys      set naming every per-question, per-poll and per-participant key above
    {prefix}:events           sorted set of codes by creation time (the only key outside an event's slot)

Others keep keys in an event's slot too: the rate windows of its writes ({prefix}:rl:{code}:HASH, qa.ratelimit)
and its activity counters ({prefix}:activity:{code}, qa.integrity), so one vote is one script (docs/architecture.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
from redis.exceptions import NoScriptError

from qa.domain import ballots
from qa.domain.errors import Conflict, NotFound, Unavailable
from qa.domain.model import PUBLIC_STATUSES, Change, Event, Note, Poll, PollTally, Question, Speaker
from qa.realtime import notices
from qa.redisconn import ERRORS, connect, unavailable
from qa.redisconn import close as close_client
from qa.store.base import DuplicateQuestion, EventState, StaleWrite, Store, Write

if TYPE_CHECKING:
    from qa.integrity import Activity
    from qa.ratelimit import RateLimiter

_PUBLIC = " " + " ".join(sorted(s.value for s in PUBLIC_STATUSES)) + " "  # as the cast script looks them up

# Shared by the scripts: KEYS[1] is the event hash, ARGV[1] the event's key base "{prefix}:{code}:".
_PRELUDE = """
local ev = KEYS[1]
local base = ARGV[1]
local function own(key)  -- create-time registration, so delete_event can find every key of the event
  redis.call('SADD', base .. 'keys', key)
  return key
end
"""

_CREATE = _PRELUDE + """
if redis.call('EXISTS', ev) == 1 then return 0 end
redis.call('HSET', ev, 'data', ARGV[2], 'seq', 0, 'gate', ARGV[3])
return 1
"""

_NEXT_ID = _PRELUDE + """
if redis.call('EXISTS', ev) == 0 then return 0 end
return redis.call('HINCRBY', base .. 'ids', ARGV[2], 1)
"""

_DELETE = _PRELUDE + """
local found = redis.call('EXISTS', ev)
for _, key in ipairs(redis.call('SMEMBERS', base .. 'keys')) do redis.call('UNLINK', key) end
for _, name in ipairs({'ev', 'ids', 'q', 'qv', 'cid', 'p', 'n', 's', 'log', 'scrubbed', 'audit', 'presence', 'mc',
                       'keys'}) do
  redis.call('UNLINK', base .. name)
end
return found
"""

# ARGV: base, channel, publish command, log_max, plan JSON. Entity JSON travels as opaque strings (never
# re-encoded by cjson, which would turn [] into {}). Everything is checked before anything is written.
_COMMIT = _PRELUDE + """
local chan, pub, log_max = ARGV[2], ARGV[3], ARGV[4]
local plan = cjson.decode(ARGV[5])
if redis.call('EXISTS', ev) == 0 then return {'gone'} end
local function rev_of(json)
  if not json then return 0 end
  return cjson.decode(json)['rev'] or 0
end
local seen = {}
local function check(tag, key, field, expected)
  local cur = seen[tag .. field]
  if cur == nil then cur = rev_of(redis.call('HGET', key, field)) end
  if cur ~= expected then return false end
  seen[tag .. field] = expected + 1
  return true
end
if plan.event and not check('e', ev, 'data', plan.event[1]) then return {'stale', 'event'} end
-- An erased entity's log entries go; 'scrubbed' keeps their seqs, so changes_since still knows the log is whole.
local function scrub(kind, id)
  local prefix = kind .. '.'
  for _, entry in ipairs(redis.call('XRANGE', base .. 'log', '-', '+')) do
    local f = entry[2]
    if string.sub(f[2], 1, #prefix) == prefix then
      local subject = cjson.decode(f[4])[kind]
      if subject and tostring(subject.id) == tostring(id) then
        redis.call('XDEL', base .. 'log', entry[1])
        redis.call('ZADD', base .. 'scrubbed', tonumber(string.match(entry[1], '^(%d+)')), entry[1])
      end
    end
  end
end
for _, q in ipairs(plan.questions) do
  if not check('q', base .. 'q', q[1], q[2]) then return {'stale', 'question ' .. q[1]} end
  if q[5] ~= '' and redis.call('HEXISTS', base .. 'q', q[1]) == 0
     and redis.call('HEXISTS', base .. 'cid', q[4] .. '\\0' .. q[5]) == 1 then
    return {'dup', q[5]}
  end
end
for _, p in ipairs(plan.polls) do
  if not check('p', base .. 'p', p[1], p[2]) then return {'stale', 'poll ' .. p[1]} end
end
for _, n in ipairs(plan.notes) do
  if not check('n', base .. 'n', n[1], n[2]) then return {'stale', 'note ' .. n[1]} end
end
for _, sp in ipairs(plan.speakers) do
  if not check('s', base .. 's', sp[1], sp[2]) then return {'stale', 'speaker ' .. sp[1]} end
end

if plan.event then redis.call('HSET', ev, 'data', plan.event[2], 'gate', plan.event[3]) end
local votes = {}
for i, q in ipairs(plan.questions) do
  local id = q[1]
  if redis.call('HEXISTS', base .. 'q', id) == 0 then
    redis.call('HSET', base .. 'qv', id, 0)
    if q[5] ~= '' then redis.call('HSET', base .. 'cid', q[4] .. '\\0' .. q[5], id) end
  end
  redis.call('HSET', base .. 'q', id, q[3])
  votes[i] = tonumber(redis.call('HGET', base .. 'qv', id)) or 0
end
for _, id in ipairs(plan.delete_questions) do
  id = tostring(id)
  local json = redis.call('HGET', base .. 'q', id)
  if json then
    local q = cjson.decode(json)
    if type(q.client_id) == 'string' then redis.call('HDEL', base .. 'cid', q.author .. '\\0' .. q.client_id) end
  end
  local voters = base .. 'voters:' .. id
  for _, who in ipairs(redis.call('SMEMBERS', voters)) do
    local mine = base .. 'voted:' .. who
    redis.call('SREM', mine, id)
    if redis.call('EXISTS', mine) == 0 then redis.call('SREM', base .. 'keys', mine) end
  end
  redis.call('UNLINK', voters)
  redis.call('SREM', base .. 'keys', voters)
  redis.call('HDEL', base .. 'q', id)
  redis.call('HDEL', base .. 'qv', id)
  scrub('question', id)  -- an erased question leaves no history
end
if #plan.delete_questions + #plan.delete_speakers > 0 then
  local top = tonumber(redis.call('HGET', ev, 'seq')) or 0
  redis.call('ZREMRANGEBYSCORE', base .. 'scrubbed', '-inf', top - tonumber(log_max))
end
for _, p in ipairs(plan.polls) do redis.call('HSET', base .. 'p', p[1], p[3]) end
for _, n in ipairs(plan.notes) do redis.call('HSET', base .. 'n', n[1], n[3]) end
for _, sp in ipairs(plan.speakers) do redis.call('HSET', base .. 's', sp[1], sp[3]) end
for _, id in ipairs(plan.delete_speakers) do
  redis.call('HDEL', base .. 's', tostring(id))
  scrub('speaker', id)  -- nor does an erased request for the floor: no name or delegation stays in the log
end
local function drop_answers(pid)
  local answers = base .. 'pa:' .. pid
  for _, who in ipairs(redis.call('HKEYS', answers)) do
    local mine = base .. 'mine:' .. who
    redis.call('HDEL', mine, pid)
    if redis.call('EXISTS', mine) == 0 then redis.call('SREM', base .. 'keys', mine) end
  end
  redis.call('UNLINK', answers, base .. 'pc:' .. pid)
  redis.call('SREM', base .. 'keys', answers, base .. 'pc:' .. pid)
end
for _, pid in ipairs(plan.reset_polls) do drop_answers(tostring(pid)) end
for _, pid in ipairs(plan.delete_polls) do
  drop_answers(tostring(pid))
  redis.call('HDEL', base .. 'p', tostring(pid))
end
if plan.merge then
  local src, dst = tostring(plan.merge[1]), tostring(plan.merge[2])
  local from, into = base .. 'voters:' .. src, own(base .. 'voters:' .. dst)
  local target = redis.call('HGET', base .. 'q', dst)
  local asker = target and cjson.decode(target).author or ''
  for _, who in ipairs(redis.call('SMEMBERS', from)) do
    local mine = base .. 'voted:' .. who
    redis.call('SREM', mine, src)
    if who ~= asker then  -- nobody upvotes their own question, not even by a merge
      redis.call('SADD', into, who)
      redis.call('SADD', mine, dst)
    elseif redis.call('EXISTS', mine) == 0 then
      redis.call('SREM', base .. 'keys', mine)
    end
  end
  redis.call('UNLINK', from)
  redis.call('SREM', base .. 'keys', from)
  for _, id in ipairs({src, dst}) do
    if redis.call('HEXISTS', base .. 'q', id) == 1 then
      redis.call('HSET', base .. 'qv', id, redis.call('SCARD', base .. 'voters:' .. id))
    end
  end
end
for _, c in ipairs(plan.counts) do redis.call('HINCRBY', base .. 'mc', c[1], c[2]) end
if #plan.audit > 0 then
  for _, entry in ipairs(plan.audit) do redis.call('RPUSH', base .. 'audit', entry) end
  redis.call('LTRIM', base .. 'audit', -tonumber(plan.audit_max), -1)
end
local first = nil
for _, c in ipairs(plan.changes) do
  local seq = redis.call('HINCRBY', ev, 'seq', 1)
  first = first or seq
  redis.call('XADD', base .. 'log', 'MAXLEN', log_max, seq .. '-0', 't', c[1], 'd', c[2])
  redis.call(pub, chan, '{"k":"c","seq":' .. seq .. ',"type":' .. cjson.encode(c[1]) .. ',"data":' .. c[2] .. '}')
end
return {'ok', first or 0, votes}
"""

# ARGV: base, since, log_max. Nil when the log cannot replay everything after `since`.
_CHANGES = _PRELUDE + """
local cur = redis.call('HGET', ev, 'seq')
if not cur then return false end
cur = tonumber(cur)
local since = tonumber(ARGV[2])
if since > cur then return false end
if since == cur then return {} end
if cur - since > tonumber(ARGV[3]) then return false end
local entries = redis.call('XRANGE', base .. 'log', string.format('%d', since + 1), '+')
local scrubbed = redis.call('ZCOUNT', base .. 'scrubbed', since + 1, cur)
if #entries + scrubbed ~= cur - since then return false end
return entries
"""

_STATE = _PRELUDE + """
local data = redis.call('HGET', ev, 'data')
if not data then return false end
local tallies = {}
for _, pid in ipairs(redis.call('HKEYS', base .. 'p')) do
  table.insert(tallies, {pid, redis.call('HGETALL', base .. 'pc:' .. pid), redis.call('HLEN', base .. 'pa:' .. pid)})
end
return {data, redis.call('HGET', ev, 'seq'), redis.call('HGETALL', base .. 'q'), redis.call('HGETALL', base .. 'qv'),
        redis.call('HGETALL', base .. 'p'), tallies, redis.call('HGETALL', base .. 'n'),
        redis.call('HGETALL', base .. 's'), redis.call('HGETALL', base .. 'mc')}
"""

_QUESTION = _PRELUDE + """
local data = redis.call('HGET', base .. 'q', ARGV[2])
if not data then return false end
return {data, redis.call('HGET', base .. 'qv', ARGV[2]) or '0'}
"""

# ARGV: base, question id, participant, 1 (upvote) or 0 (withdraw). A missing question takes no vote.
_VOTE = _PRELUDE + """
local id, who = ARGV[2], ARGV[3]
if redis.call('HEXISTS', base .. 'q', id) == 0 then return {0, 0} end
local voters, mine = base .. 'voters:' .. id, base .. 'voted:' .. who
local changed
if ARGV[4] == '1' then
  changed = redis.call('SADD', own(voters), who)
  if changed == 1 then redis.call('SADD', own(mine), id) end
else
  changed = redis.call('SREM', voters, who)
  if changed == 1 then redis.call('SREM', mine, id) end
  if redis.call('EXISTS', mine) == 0 then redis.call('SREM', base .. 'keys', mine) end  -- no trace of who voted
  if redis.call('EXISTS', voters) == 0 then redis.call('SREM', base .. 'keys', voters) end
end
if changed == 1 then return {redis.call('HINCRBY', base .. 'qv', id, ARGV[4] == '1' and 1 or -1), 1} end
return {tonumber(redis.call('HGET', base .. 'qv', id)) or 0, 0}
"""

# A whole ballot in one round trip (qa.domain.ballots, checked in its order). KEYS: event hash, questions,
# vote counts, the question's voters, the participant's votes, the key registry, the activity counters, then one
# key per rate window. ARGV: question id, participant, 1 (upvote) or 0 (withdraw), the refused gates
# (",gate=outcome,..."), channel, publish command, the doorbell, the votable status, the public statuses
# (" a b "), the activity field and its lifetime (s), then each window's limit and length (ms).
# Nothing is written before every check passed, except the rate windows (a refused hit counts, as it always did).
_CAST = """
local ev, qs, qv, voters, mine, registry, activity = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, who, on = ARGV[1], ARGV[2], ARGV[3] == '1'
local gate = redis.call('HGET', ev, 'gate')
if not gate then
  if redis.call('EXISTS', ev) == 0 then return {'no_event'} end
  return {'nogate'}  -- an event stored before the gate field: the caller writes it and casts again
end
local refused = string.match(ARGV[4], ',' .. gate .. '=([%w_]+),')
if refused then return {refused} end
for i = 8, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[11 + 2 * (i - 7)]) end
  if n > tonumber(ARGV[10 + 2 * (i - 7)]) then return {'rate', i - 7, redis.call('PTTL', KEYS[i])} end
end
local json = redis.call('HGET', qs, id)
if not json then return {'no_question'} end
local q = cjson.decode(json)
if on and q.author == who then return {'own_question'} end
if on and q.status ~= ARGV[8] then return {'not_votable'} end
local changed
if on then
  changed = redis.call('SADD', voters, who)
  if changed == 1 then
    redis.call('SADD', mine, id)
    redis.call('SADD', registry, voters, mine)  -- so delete_event finds them
  end
else
  changed = redis.call('SREM', voters, who)
  if changed == 1 then redis.call('SREM', mine, id) end
  if redis.call('EXISTS', mine) == 0 then redis.call('SREM', registry, mine) end  -- no trace of who voted
  if redis.call('EXISTS', voters) == 0 then redis.call('SREM', registry, voters) end
end
local votes
if changed == 1 then votes = redis.call('HINCRBY', qv, id, on and 1 or -1)
else votes = tonumber(redis.call('HGET', qv, id)) or 0 end
local public = string.find(ARGV[9], ' ' .. tostring(q.status) .. ' ', 1, true) and 1 or 0
if changed == 1 and public == 1 then redis.call(ARGV[6], ARGV[5], ARGV[7]) end
if on then
  redis.call('HINCRBY', activity, ARGV[10], 1)
  redis.call('EXPIRE', activity, ARGV[11])
end
return {'ok', votes, changed, public}
"""

# ARGV: base, the event JSON the gate was derived from, the gate: set only if the event is still that one.
_SET_GATE = _PRELUDE + """
if redis.call('HGET', ev, 'data') ~= ARGV[2] then return 0 end
redis.call('HSET', ev, 'gate', ARGV[3])
return 1
"""

_TALLY_OF = """
local function tally(pid)
  return {redis.call('HGETALL', base .. 'pc:' .. pid), redis.call('HLEN', base .. 'pa:' .. pid)}
end
"""

# ARGV: base, poll id, participant, keys JSON ('' withdraws). A missing poll takes no answer.
_ANSWER = _PRELUDE + _TALLY_OF + """
local pid, who = ARGV[2], ARGV[3]
if redis.call('HEXISTS', base .. 'p', pid) == 0 then return tally(pid) end
local answers, counts, mine = base .. 'pa:' .. pid, base .. 'pc:' .. pid, base .. 'mine:' .. who
local old = redis.call('HGET', answers, who)
if old then
  for _, key in ipairs(cjson.decode(old)) do
    if redis.call('HINCRBY', counts, key, -1) <= 0 then redis.call('HDEL', counts, key) end
  end
end
if ARGV[4] == '' then
  redis.call('HDEL', answers, who)
  redis.call('HDEL', mine, pid)
  if redis.call('EXISTS', mine) == 0 then redis.call('SREM', base .. 'keys', mine) end  -- no trace of who answered
else
  redis.call('HSET', own(answers), who, ARGV[4])
  redis.call('HSET', own(mine), pid, ARGV[4])
  for _, key in ipairs(cjson.decode(ARGV[4])) do redis.call('HINCRBY', own(counts), key, 1) end
end
return tally(pid)
"""

_TALLY = _PRELUDE + _TALLY_OF + "return tally(ARGV[2])"

# ARGV: base, instance, count, ttl ms. Expiry uses Redis's clock, so instances' clocks never disagree.
_PRESENCE = _PRELUDE + """
if redis.call('EXISTS', ev) == 0 then return 0 end
local key = base .. 'presence'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', key, ARGV[2], ARGV[3] .. ' ' .. (now + tonumber(ARGV[4])))
else
  redis.call('HDEL', key, ARGV[2])
end
local total = 0
local entries = redis.call('HGETALL', key)
for i = 1, #entries, 2 do
  local count, expiry = string.match(entries[i + 1], '(%d+) (%d+)')
  if tonumber(expiry) < now then redis.call('HDEL', key, entries[i]) else total = total + tonumber(count) end
end
if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, tonumber(ARGV[4]) * 2) end
return total
"""

# acknowledged writes: WAITed for
_WRITES = frozenset({"create", "delete", "commit", "vote", "answer", "cast", "set_gate"})
_SCRIPTS = {"create": _CREATE, "next_id": _NEXT_ID, "delete": _DELETE, "commit": _COMMIT, "changes": _CHANGES,
            "cast": _CAST, "set_gate": _SET_GATE,
            "state": _STATE, "question": _QUESTION, "vote": _VOTE, "answer": _ANSWER, "tally": _TALLY,
            "presence": _PRESENCE}


class RedisStore(Store):
    publishes_changes = True  # the commit script publishes each change itself

    def __init__(self, url: str, *, prefix: str = "floor", log_max: int = 1000, audit_max: int = 10000,
                 wait_replicas: int = 0, wait_seconds: float = 1.0) -> None:
        self.url = url
        self.wait_replicas = wait_replicas  # > 0: a write counts only once WAIT says this many replicas hold it
        self.wait_seconds = wait_seconds
        self.prefix = prefix
        self.log_max = log_max
        self.audit_max = audit_max
        self.client: Any = None
        self.cluster = False
        self._scripts: dict[str, Any] = {}
        self._shas: dict[str, str] = {}

    # -- lifecycle -----------------------------------------------------------------------------------
    async def open(self) -> None:
        self.client, self.cluster = await connect(self.url)
        if self.cluster and self.wait_replicas:
            raise SystemExit("FLOOR_REDIS_WAIT_REPLICAS is not supported with a Redis Cluster.")
        self._scripts = {name: self.client.register_script(src) for name, src in _SCRIPTS.items()}
        self._shas = {name: script.sha for name, script in self._scripts.items()}

    async def close(self) -> None:
        if self.client is not None:
            await close_client(self.client)
            self.client = None

    async def ping(self) -> None:
        await self._do(self._client.ping())

    @property
    def _client(self) -> Any:
        if self.client is None:
            raise unavailable(RuntimeError("not open"))
        return self.client

    def _base(self, code: str) -> str:
        return f"{self.prefix}:{{{code}}}:"

    @property
    def _index(self) -> str:
        return f"{self.prefix}:events"

    async def _do(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except ERRORS as exc:
            raise unavailable(exc) from None

    async def _run(self, script: str, code: str, *args: Any) -> Any:
        base = self._base(code)
        if not self._scripts:
            raise unavailable(RuntimeError("not open"))
        if self.wait_replicas and script in _WRITES:
            return await self._run_and_wait(script, base, *args)
        return await self._do(self._scripts[script](keys=[base + "ev"], args=[base, *args]))

    async def _eval_and_wait(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """_run_and_wait for a script given its own keys."""
        pipe = self._client.pipeline(transaction=False)
        await self._scripts[script](keys=keys, args=args, client=pipe)
        pipe.execute_command("WAIT", self.wait_replicas, max(1, int(self.wait_seconds * 1000)))
        result, confirmed = await self._do(pipe.execute())
        if int(confirmed) < self.wait_replicas:
            raise Unavailable(f"Storage replicas did not confirm the write in time ({int(confirmed)} of "
                              f"{self.wait_replicas}); it is not acknowledged. Try again shortly.")
        return result

    async def _run_and_wait(self, script: str, base: str, *args: Any) -> Any:
        """The script, then WAIT, on one connection (WAIT counts that connection's writes): an answer comes back
        only once `wait_replicas` replicas hold the write, so a failover to one of them cannot lose it. If they do
        not confirm within `wait_seconds`, the write is refused (503): it may exist on the master alone, and
        every write Floor takes is safe to retry."""
        return await self._eval_and_wait(script, [base + "ev"], [base, *args])

    # -- events --------------------------------------------------------------------------------------
    async def create_event(self, event: Event) -> None:
        # The index first: a dangling entry is skipped when listing, a missing one would hide the event.
        await self._do(self._client.zadd(self._index, {event.code: event.created_at}, nx=True))
        if not await self._run("create", event.code, _dump(event.to_dict()), ballots.gate(event).encode()):
            raise Conflict(f"The event code '{event.code}' is taken.", "code_taken")

    async def get_event(self, code: str) -> Event | None:
        raw = await self._do(self._client.hget(self._base(code) + "ev", "data"))
        return Event.from_dict(orjson.loads(raw)) if raw else None

    async def list_events(self) -> list[Event]:
        codes = [c.decode() for c in await self._do(self._client.zrevrange(self._index, 0, -1))]
        events, gone = [], []
        for code in codes:
            event = await self.get_event(code)
            if event is None:
                gone.append(code)
            else:
                events.append(event)
        if gone:
            await self._do(self._client.zrem(self._index, *gone))
        return events

    async def delete_event(self, code: str) -> bool:
        found = bool(await self._run("delete", code))
        await self._do(self._client.zrem(self._index, code))
        return found

    async def next_id(self, code: str, kind: str) -> int:
        value = int(await self._run("next_id", code, kind))
        if value == 0:
            raise NotFound("No event with this code.")
        return value

    # -- reading ---------------------------------------------------------------------------------------
    async def state(self, code: str) -> EventState | None:
        raw = await self._run("state", code)
        if raw is None:
            return None
        data, seq, q_raw, votes_raw, p_raw, tallies_raw, n_raw, s_raw, mc_raw = raw
        votes = _pairs(votes_raw)
        questions = []
        for qid, qdata in sorted(_pairs(q_raw).items(), key=lambda kv: int(kv[0])):
            q = Question.from_dict(orjson.loads(qdata))
            q.votes = int(votes.get(qid, 0))
            questions.append(q)
        tallies = {pid.decode(): _tally(counts, voters) for pid, counts, voters in tallies_raw}
        polls = [(Poll.from_dict(orjson.loads(pdata)), tallies.get(pid, PollTally()))
                 for pid, pdata in sorted(_pairs(p_raw).items(), key=lambda kv: int(kv[0]))]
        notes = [Note.from_dict(orjson.loads(ndata)) for _, ndata in sorted(_pairs(n_raw).items(),
                                                                           key=lambda kv: int(kv[0]))]
        return EventState(Event.from_dict(orjson.loads(data)), questions, polls, notes, int(seq), _speakers(s_raw),
                          _counts(mc_raw))

    async def get_question(self, code: str, qid: int) -> Question | None:
        raw = await self._run("question", code, qid)
        if raw is None:
            return None
        q = Question.from_dict(orjson.loads(raw[0]))
        q.votes = int(raw[1])
        return q

    async def recent_questions(self, code: str, limit: int) -> list[Question]:
        base = self._base(code)
        last = int(await self._do(self._client.hget(base + "ids", "question")) or 0)
        ids = [str(i) for i in range(max(1, last - limit + 1), last + 1)]
        if not ids:
            return []
        values = await self._do(self._client.hmget(base + "q", ids))
        return [Question.from_dict(orjson.loads(v)) for v in values if v is not None]

    async def find_question(self, code: str, author: str, client_id: str) -> Question | None:
        qid = await self._do(self._client.hget(self._base(code) + "cid", f"{author}\0{client_id}"))
        return await self.get_question(code, int(qid)) if qid is not None else None

    async def get_poll(self, code: str, pid: int) -> Poll | None:
        raw = await self._do(self._client.hget(self._base(code) + "p", str(pid)))
        return Poll.from_dict(orjson.loads(raw)) if raw else None

    async def get_note(self, code: str, nid: int) -> Note | None:
        raw = await self._do(self._client.hget(self._base(code) + "n", str(nid)))
        return Note.from_dict(orjson.loads(raw)) if raw else None

    async def speakers(self, code: str) -> list[Speaker]:
        return _speakers(await self._do(self._client.hgetall(self._base(code) + "s")))

    async def seq(self, code: str) -> int:
        raw = await self._do(self._client.hget(self._base(code) + "ev", "seq"))
        return int(raw) if raw is not None else 0

    async def changes_since(self, code: str, seq: int) -> list[Change] | None:
        entries = await self._run("changes", code, seq, self.log_max)
        if entries is None:
            return None
        changes = []
        for entry_id, fields in entries:
            values = _pairs(fields)
            changes.append(Change(int(entry_id.split(b"-")[0]), values["t"].decode(), orjson.loads(values["d"])))
        return changes

    # -- writing ---------------------------------------------------------------------------------------
    async def commit(self, code: str, write: Write) -> list[Change]:
        plan: dict[str, Any] = {
            "questions": [[str(q.id), q.rev, _dump(q.to_dict() | {"rev": q.rev + 1}), q.author, q.client_id or ""]
                          for q in write.questions],
            "polls": [[str(p.id), p.rev, _dump(p.to_dict() | {"rev": p.rev + 1})] for p in write.polls],
            "notes": [[str(n.id), n.rev, _dump(n.to_dict() | {"rev": n.rev + 1})] for n in write.notes],
            "speakers": [[str(sp.id), sp.rev, _dump(sp.to_dict() | {"rev": sp.rev + 1})] for sp in write.speakers],
            "delete_speakers": write.delete_speakers,
            "delete_questions": write.delete_questions,
            "delete_polls": write.delete_polls,
            "reset_polls": write.reset_polls,
            "changes": [[c.type, _dump(c.data)] for c in write.changes],
            "audit": [_dump(e) for e in write.audit],
            "counts": [[name, n] for name, n in write.counts.items() if n],
            "audit_max": self.audit_max,
        }
        if write.event is not None:
            plan["event"] = [write.event.rev, _dump(write.event.to_dict() | {"rev": write.event.rev + 1}),
                             ballots.gate(write.event).encode()]
        if write.merge_votes is not None:
            plan["merge"] = list(write.merge_votes)
        command = "SPUBLISH" if self.cluster else "PUBLISH"
        result = await self._run("commit", code, notices.channel(self.prefix, code), command, self.log_max,
                                 _dump(plan))
        status = result[0].decode()
        if status == "gone":
            raise NotFound("No event with this code.")  # deleted, or lost with a Redis that came back empty
        if status == "stale":
            raise StaleWrite(f"stored {result[1].decode()} changed")
        if status == "dup":
            raise DuplicateQuestion(result[1].decode())
        if write.event is not None:
            write.event.rev += 1
        for q, votes in zip(write.questions, result[2], strict=True):
            q.rev += 1
            q.votes = int(votes)
        for poll in write.polls:
            poll.rev += 1
        for note in write.notes:
            note.rev += 1
        for sp in write.speakers:
            sp.rev += 1
        first = int(result[1])
        return [Change(first + i, c.type, c.data) for i, c in enumerate(write.changes)]

    async def moderation_counts(self, code: str) -> dict[str, int]:
        return _counts(await self._do(self._client.hgetall(self._base(code) + "mc")))

    async def audit_log(self, code: str) -> list[dict[str, Any]]:
        raw = await self._do(self._client.lrange(self._base(code) + "audit", 0, -1))
        return [orjson.loads(entry) for entry in raw]

    # -- counters ------------------------------------------------------------------------------------
    async def vote(self, code: str, qid: int, participant: str, on: bool) -> tuple[int, bool]:
        votes, changed = await self._run("vote", code, qid, participant, 1 if on else 0)
        return int(votes), bool(changed)

    async def cast(self, ballot: ballots.Ballot, limiter: RateLimiter, activity: Activity) -> ballots.Cast:
        """The whole ballot as one script, one round trip, when its rate windows and activity counters live in this
        Redis (they always do when Floor runs on Redis); otherwise step by step like any store."""
        redis_key = getattr(limiter, "redis_key", None)
        activity_key = getattr(activity, "key", None)
        if (redis_key is None or activity_key is None or getattr(limiter, "client", None) is not self.client
                or getattr(activity, "client", None) is not self.client):
            return await super().cast(ballot, limiter, activity)
        code, qid, who = ballot.code, str(ballot.qid), ballot.participant
        base = self._base(code)
        keys = [base + "ev", base + "q", base + "qv", f"{base}voters:{qid}", f"{base}voted:{who}", base + "keys",
                activity_key(code), *(redis_key(w.name, code) for w in ballot.windows)]
        args: list[Any] = [qid, who, 1 if ballot.on else 0, _refused(ballot.admitted),
                           notices.channel(self.prefix, code), "SPUBLISH" if self.cluster else "PUBLISH",
                           notices.encode(notices.VoteNotice(ballot.qid, who, ballot.on)), ballots.VOTABLE.value,
                           _PUBLIC, activity.bucket_field("votes", ballot.at), activity.keep]  # type: ignore[attr-defined]
        for w in ballot.windows:
            args += [w.limit, int(w.seconds * 1000)]
        for _ in range(3):
            result = await self._eval("cast", keys, args)
            outcome = result[0].decode()
            if outcome == "ok":
                return ballots.Cast(int(result[1]), bool(result[2]), bool(result[3]), published=True)
            if outcome == "rate":
                window = ballot.windows[int(result[1]) - 1]
                raise ballots.too_many(window.what, max(int(result[2]), 1) / 1000)
            if outcome != "nogate":
                raise ballots.refusal(outcome)
            raw = await self._do(self._client.hget(base + "ev", "data"))
            if raw is not None:
                gate = ballots.gate(Event.from_dict(orjson.loads(raw))).encode()
                await self._run("set_gate", code, raw, gate)
        raise Conflict("The event is being changed by someone else; try again.", "busy")

    async def _eval(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA, loading the script when Redis does not know it (a restart, a failover, SCRIPT FLUSH)."""
        client = self._client
        if self.wait_replicas and script in _WRITES:
            return await self._eval_and_wait(script, keys, args)
        sha = self._shas[script]
        try:
            return await client.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        except NoScriptError:
            self._shas[script] = await self._do(client.script_load(_SCRIPTS[script]))
            return await self._do(client.execute_command("EVALSHA", self._shas[script], len(keys), *keys, *args))
        except ERRORS as exc:
            raise unavailable(exc) from None

    async def voted(self, code: str, participant: str) -> set[int]:
        members = await self._do(self._client.smembers(self._base(code) + "voted:" + participant))
        return {int(m) for m in members}

    async def vote_counts(self, code: str, qids: Iterable[int]) -> dict[int, int]:
        ids = list(qids)
        if not ids:
            return {}
        values = await self._do(self._client.hmget(self._base(code) + "qv", [str(i) for i in ids]))
        return {qid: int(v) for qid, v in zip(ids, values, strict=True) if v is not None}

    async def answer(self, code: str, pid: int, participant: str, keys: list[str] | None) -> PollTally:
        counts, voters = await self._run("answer", code, pid, participant, "" if keys is None else _dump(keys))
        return _tally(counts, voters)

    async def answers_of(self, code: str, participant: str) -> dict[int, list[str]]:
        raw = await self._do(self._client.hgetall(self._base(code) + "mine:" + participant))
        return {int(pid): orjson.loads(keys) for pid, keys in raw.items()}

    async def tally(self, code: str, pid: int) -> PollTally:
        counts, voters = await self._run("tally", code, pid)
        return _tally(counts, voters)

    # -- presence --------------------------------------------------------------------------------------
    async def set_presence(self, code: str, instance: str, count: int, ttl: float) -> int:
        return int(await self._run("presence", code, instance, count, max(1, int(ttl * 1000))))


@functools.cache
def _refused(admitted: frozenset[str]) -> str:
    """The cast script's ",gate=outcome," lookup of the gates that refuse these admissions."""
    return "," + "".join(f"{gate}={outcome}," for gate, outcome in ballots.refused_gates(admitted).items())


def _pairs(flat: list[bytes] | dict[bytes, bytes]) -> dict[str, bytes]:
    """A Redis field/value list (or dict) as {field: value}."""
    if isinstance(flat, dict):
        return {k.decode(): v for k, v in flat.items()}
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def _speakers(flat: list[bytes] | dict[bytes, bytes]) -> list[Speaker]:
    return [Speaker.from_dict(orjson.loads(v)) for _, v in sorted(_pairs(flat).items(), key=lambda kv: int(kv[0]))]


def _counts(flat: list[bytes] | dict[bytes, bytes]) -> dict[str, int]:
    return {name: int(value) for name, value in _pairs(flat).items()}


def _tally(counts: list[bytes], voters: int) -> PollTally:
    return PollTally({k: int(v) for k, v in _pairs(counts).items()}, int(voters))


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()
