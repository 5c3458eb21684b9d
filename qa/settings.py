"""The only place that reads FLOOR_* environment variables; every bound has a named default here."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from qa.domain.limits import Limits


def _setting(env: str, default: Any, doc: str) -> Any:
    """A field read from `env`, documented by `doc`: the README's table of settings is generated from these."""
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Settings:
    """Every setting Floor reads, each with its variable, default and meaning (rendered by `floor settings`)."""

    data_dir: Path = _setting("FLOOR_DATA_DIR", Path("floor-data"), "SQLite database and generated secrets")
    redis_url: str | None = _setting(
        "FLOOR_REDIS_URL", None, "set: state and pub/sub live in that Redis, and any number of instances may serve "
        "the same events (`redis://`, `rediss://` or `redis+cluster://`)")
    redis_sentinels: tuple[str, ...] = _setting(
        "FLOOR_REDIS_SENTINELS", (), "`host:port,...` of Redis Sentinels (instead of FLOOR_REDIS_URL): Floor finds "
        "the master through them and follows it after a failover")
    redis_master: str = _setting("FLOOR_REDIS_MASTER", "mymaster", "the master's name known to the Sentinels")
    redis_wait_replicas: int = _setting(
        "FLOOR_REDIS_WAIT_REPLICAS", 0, "a write is acknowledged only once this many replicas hold it (Redis "
        "`WAIT`); otherwise 503, not acknowledged. 0: acknowledged when the master has it")
    redis_wait_seconds: float = _setting("FLOOR_REDIS_WAIT_SECONDS", 1.0, "how long a write waits for "
                                         "FLOOR_REDIS_WAIT_REPLICAS replicas before it is refused (503)")
    counts_refresh_seconds: float = _setting(
        "FLOOR_COUNTS_REFRESH_SECONDS", 10.0, "safety tick: each room re-reads and re-sends vote and poll counts "
        "this often, so screens converge even if a vote's doorbell was lost")
    redis_prefix: str = _setting("FLOOR_REDIS_PREFIX", "floor", "prefix of every Redis key and channel, so several "
                                 "deployments can share one Redis")
    admin_token: str = _setting("FLOOR_ADMIN_TOKEN", "", "organiser token (`Authorization: Bearer ...`); unset: "
                                "generated on first start and kept in the data dir. Every instance must share it")
    secret_key: str = _setting("FLOOR_SECRET_KEY", "", "signs participant cookies; unset: generated and kept in the "
                               "data dir. Every instance must share it")
    public_url: str | None = _setting("FLOOR_PUBLIC_URL", None, "absolute base for links and QR codes "
                                      "(unset: the request's own URL)")
    allowed_origins: tuple[str, ...] = _setting("FLOOR_ALLOWED_ORIGINS", (), "extra origins allowed to open "
                                                "WebSockets and to write over HTTP (comma-separated); others: 403")
    frame_ancestors: str = _setting("FLOOR_FRAME_ANCESTORS", "'self'", "who may embed the presenter view and "
                                    "overlay (CSP `frame-ancestors`)")
    limits: Limits = field(default_factory=Limits)
    max_body_bytes: int = _setting("FLOOR_MAX_BODY_BYTES", 64 * 1024, "largest HTTP request body accepted (413 "
                                   "above)")
    ws_max_bytes: int = _setting("FLOOR_WS_MAX_BYTES", 64 * 1024, "largest WebSocket message accepted (close 1009 "
                                 "above)")
    send_queue_max: int = _setting("FLOOR_SEND_QUEUE_MAX", 256, "messages buffered per socket before it is closed "
                                   "and must resume")
    coalesce_seconds: float = _setting("FLOOR_COALESCE_SECONDS", 0.1, "window for batched `votes` and "
                                       "`poll.results`")
    presence_seconds: float = _setting("FLOOR_PRESENCE_SECONDS", 1.0, "how often presence counts are refreshed, "
                                       "at most")
    presence_ttl: float = _setting("FLOOR_PRESENCE_TTL", 45.0, "a crashed instance's viewers age out after this "
                                   "many seconds")
    log_max: int = _setting("FLOOR_LOG_MAX", 1000, "changes kept per event for resume; older clients get a snapshot")
    sqlite_write_queue_max: int = _setting(
        "FLOOR_SQLITE_WRITE_QUEUE_MAX", 1024, "SQLite: writes queued for the one writer task at most; one more "
        "waits up to FLOOR_SQLITE_WRITE_WAIT_SECONDS for room, then is refused (503, nothing written)")
    sqlite_write_wait_seconds: float = _setting("FLOOR_SQLITE_WRITE_WAIT_SECONDS", 1.0, "SQLite: how long a write "
                                                "waits for room in a full write queue before it is refused (503)")
    sqlite_batch_max: int = _setting("FLOOR_SQLITE_BATCH_MAX", 256, "SQLite: writes committed together in one "
                                     "transaction at most (group commit)")
    audit_max: int = _setting("FLOOR_AUDIT_MAX", 10000, "moderator actions kept per event in its audit log (the "
                              "newest)")
    sockets_per_participant: int = _setting("FLOOR_MAX_SOCKETS_PER_PARTICIPANT", 20, "open WebSockets per "
                                            "participant (429 above)")
    sockets_per_address: int = _setting("FLOOR_MAX_SOCKETS_PER_ADDRESS", 5000, "open WebSockets per client address "
                                        "(a keyed hash, never stored; a venue may share one address) (429 above)")
    cookieless_sockets_per_address: int = _setting("FLOOR_MAX_COOKIELESS_SOCKETS_PER_ADDRESS", 20, "open WebSockets "
                                                   "per client address that came without a participant cookie "
                                                   "(429 above)")
    sockets_total: int = _setting("FLOOR_MAX_SOCKETS", 20000, "open WebSockets per instance, or in all with Redis "
                                  "(429 above)")
    ws_idle_seconds: float = _setting("FLOOR_WS_IDLE_SECONDS", 300.0, "a socket that sends nothing (not even "
                                      "`ping`) this long is closed (1001)")
    ws_ping_seconds: float = _setting("FLOOR_WS_PING_SECONDS", 20.0, "protocol pings; a peer that misses one for "
                                      "this long is dead and closed")
    header_timeout_seconds: float = _setting("FLOOR_HEADER_TIMEOUT_SECONDS", 10.0, "an HTTP request's headers must "
                                             "arrive within this long, else the connection is closed (slowloris)")
    slow_connections_per_address: int = _setting("FLOOR_SLOW_CONNECTIONS_PER_ADDRESS", 32, "connections from one "
                                                 "address still sending headers after 1 s; one more is closed")
    ws_stall_seconds: float = _setting("FLOOR_WS_STALL_SECONDS", 10.0, "a WebSocket whose peer reads nothing "
                                       "while its send buffer is full is no longer read, then aborted after this long")
    ws_unsent_max_bytes: int = _setting("FLOOR_WS_UNSENT_MAX_BYTES", 256 * 1024, "bytes a WebSocket may have unsent; "
                                        "a pong past it is dropped and the socket stalls as if its buffer were full")
    ws_messages_per_10s: int = _setting("FLOOR_WS_MESSAGES_PER_10S", 60, "messages per socket per 10 s; over it: "
                                        "`rate_limited` errors, over twice it: close 1008")
    ws_snapshots_per_minute: int = _setting("FLOOR_WS_SNAPSHOTS_PER_MINUTE", 30, "`auth` and `resync` per "
                                            "participant and event, across sockets")
    questions_per_minute: int = _setting("FLOOR_QUESTIONS_PER_MINUTE", 6, "questions per participant per minute")
    votes_per_minute: int = _setting("FLOOR_VOTES_PER_MINUTE", 120, "upvotes per participant per minute")
    page_questions: int = _setting("FLOOR_PAGE_QUESTIONS", 30, "questions the attendee page carries in its HTML "
                                   "(the most voted), to read and vote before and without its script; the script "
                                   "then shows them all")
    answers_per_minute: int = _setting("FLOOR_ANSWERS_PER_MINUTE", 60, "poll answers per participant per minute")
    event_writes_per_second: int = _setting("FLOOR_EVENT_WRITES_PER_SECOND", 2000, "writes per event per second, "
                                            "all participants together")
    mint_burst: int = _setting("FLOOR_MINT_BURST", 1000, "new participants one client address may get at once (a "
                               "venue behind one NAT); the bucket refills at `FLOOR_MINT_PER_MINUTE`")
    mint_per_minute: int = _setting("FLOOR_MINT_PER_MINUTE", 300, "new participants per client address per minute, "
                                    "after the burst (429 `rate_limited` above)")
    pow_cost: int = _setting("FLOOR_POW_COST", 6000, "proof of work (events with `integrity: proof`): PBKDF2 "
                             "iterations per attempt")
    pow_max_counter: int = _setting("FLOOR_POW_MAX_COUNTER", 450, "proof of work: attempts at most (the answer is "
                                    "drawn in 0..this; a solver needs half on average)")
    pow_ttl: float = _setting("FLOOR_POW_TTL", 300.0, "seconds a proof-of-work challenge stays valid (each is "
                              "accepted once)")
    passcode_tries_per_minute: int = _setting("FLOOR_PASSCODE_TRIES_PER_MINUTE", 10, "wrong event passcodes per "
                                              "participant and per client address per minute")
    shutdown_grace: float = _setting("FLOOR_SHUTDOWN_GRACE", 10.0, "SIGTERM: in-flight requests get this many "
                                     "seconds before the process exits")
    drain_seconds: float = _setting("FLOOR_DRAIN_SECONDS", 1.0, "SIGTERM: `/readyz` answers 503 this long before "
                                    "sockets close")
    retention_days: int = _setting("FLOOR_RETENTION_DAYS", 30, "default days an event is kept after its end (each "
                                   "event may set its own)")
    retention_sweep_seconds: float = _setting("FLOOR_RETENTION_SWEEP_SECONDS", 3600.0, "how often expired events "
                                              "are erased")
    environment: str = _setting("FLOOR_ENV", "development", "`production`: `floor serve` refuses a start that would "
                                "lose data (see docs/deploy.md) and never prints the admin token into a log; "
                                "`PORT` set counts as production too")
    allowed_hosts: tuple[str, ...] = _setting("FLOOR_ALLOWED_HOSTS", (), "host names requests may carry "
                                              "(comma-separated, `*.example.org` allowed; others get 400); unset: "
                                              "any, but links and QR codes then come only from `FLOOR_PUBLIC_URL`, "
                                              "a loopback name or an IP address, never another `Host`")
    instance_id: str = field(default_factory=lambda: secrets.token_hex(4))
    admin_token_generated: bool = False  # True only on the start that created it: print it that once

    def __post_init__(self) -> None:
        if self.redis_sentinels and not self.redis_url:  # one URL for every Redis user (store, broker, limiter)
            from qa.redisconn import sentinel_url

            object.__setattr__(self, "redis_url", sentinel_url(self.redis_sentinels, self.redis_master))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read FLOOR_* variables; secrets left unset are generated once and kept in the data dir."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            if name is None:
                continue
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(name, raw, f.default)
        data_dir = Path(values.get("data_dir", cls.data_dir))
        values["data_dir"] = data_dir
        values["admin_token_generated"] = not values.get("admin_token") and not (data_dir / "admin_token").exists()
        values.setdefault("admin_token", _kept_secret(data_dir, "admin_token"))
        values.setdefault("secret_key", _kept_secret(data_dir, "secret_key"))
        if values.get("public_url"):
            values["public_url"] = values["public_url"].rstrip("/") or None
        return cls(**values)


def documented() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) of every setting read from the environment, in declaration order."""
    rows = []
    for f in fields(Settings):
        if "env" in f.metadata:
            default = f.default
            shown = ("unset" if default is None or default == () else "generated" if default == "" else
                     f"`{default}`")
            rows.append((f.metadata["env"], shown, f.metadata["doc"]))
    return rows


def markdown_table() -> str:
    """The README's table of settings, generated so it can never drift from the code."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {default} | {doc} |" for name, default, doc in documented()]
    return "\n".join(lines) + "\n"


def _parse(name: str, raw: str, default: object) -> Any:
    """A variable's text as the type of its default; a bad value stops the start with a message naming it."""
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SystemExit(f"{name} must be true or false, not {raw!r}.")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise SystemExit(f"{name} must be a number, not {raw!r}.") from None
    if isinstance(default, tuple):
        return tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if isinstance(default, Path):
        return Path(raw)
    return raw


def _kept_secret(data_dir: Path, name: str) -> str:
    """Generate a secret on first start and keep it (0600) so restarts keep links and cookies valid."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


if __name__ == "__main__":
    print(markdown_table(), end="")
