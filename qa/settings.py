"""The only place that reads FLOOR_* environment variables; every bound has a named default here."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qa.domain.limits import Limits


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("floor-data")
    redis_url: str | None = None
    redis_prefix: str = "floor"
    admin_token: str = ""
    secret_key: str = ""
    public_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    frame_ancestors: str = "'self'"
    limits: Limits = field(default_factory=Limits)
    max_body_bytes: int = 64 * 1024
    ws_max_bytes: int = 64 * 1024
    send_queue_max: int = 256  # messages buffered per socket before it is closed and must resume
    coalesce_seconds: float = 0.1  # window for batched `votes` and `poll.results`
    presence_seconds: float = 1.0  # how often presence counts are refreshed, at most
    presence_ttl: float = 45.0  # a crashed instance's viewers age out after this
    log_max: int = 1000  # changes kept per event for resume; older clients get a snapshot
    audit_max: int = 10000  # moderator actions kept per event in its audit log (the newest)
    sockets_per_participant: int = 20
    sockets_total: int = 20000
    ws_idle_seconds: float = 300.0  # a socket that sends nothing (not even `ping`) this long is closed (1001)
    ws_ping_seconds: float = 20.0  # protocol pings; a peer that misses one for this long is dead and closed
    ws_messages_per_10s: int = 60  # per socket; over it: `rate_limited` errors, over twice it: close 1008
    ws_snapshots_per_minute: int = 30  # `auth` and `resync` per participant and event, across sockets
    questions_per_minute: int = 6
    votes_per_minute: int = 120
    answers_per_minute: int = 60
    event_writes_per_second: int = 2000
    shutdown_grace: float = 10.0  # SIGTERM: in-flight requests get this long before the process exits
    drain_seconds: float = 1.0  # SIGTERM: /readyz answers 503 this long before sockets close
    retention_days: int = 30  # default per event, counted from the event's end
    retention_sweep_seconds: float = 3600.0
    instance_id: str = field(default_factory=lambda: secrets.token_hex(4))
    admin_token_generated: bool = False  # True only on the start that created it: print it that once

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read FLOOR_* variables; secrets left unset are generated once and kept in the data dir."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("FLOOR_DATA_DIR", "floor-data"))
        fresh_admin = not env.get("FLOOR_ADMIN_TOKEN") and not (data_dir / "admin_token").exists()
        origins = tuple(o.strip().rstrip("/") for o in env.get("FLOOR_ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            data_dir=data_dir,
            redis_url=env.get("FLOOR_REDIS_URL") or None,
            redis_prefix=env.get("FLOOR_REDIS_PREFIX", "floor"),
            admin_token=env.get("FLOOR_ADMIN_TOKEN") or _kept_secret(data_dir, "admin_token"),
            secret_key=env.get("FLOOR_SECRET_KEY") or _kept_secret(data_dir, "secret_key"),
            public_url=(env.get("FLOOR_PUBLIC_URL") or "").rstrip("/") or None,
            allowed_origins=origins,
            frame_ancestors=env.get("FLOOR_FRAME_ANCESTORS", "'self'"),
            send_queue_max=_int(env, "FLOOR_SEND_QUEUE_MAX", 256),
            coalesce_seconds=_float(env, "FLOOR_COALESCE_SECONDS", 0.1),
            log_max=_int(env, "FLOOR_LOG_MAX", 1000),
            audit_max=_int(env, "FLOOR_AUDIT_MAX", 10000),
            sockets_total=_int(env, "FLOOR_MAX_SOCKETS", 20000),
            sockets_per_participant=_int(env, "FLOOR_MAX_SOCKETS_PER_PARTICIPANT", 20),
            questions_per_minute=_int(env, "FLOOR_QUESTIONS_PER_MINUTE", 6),
            votes_per_minute=_int(env, "FLOOR_VOTES_PER_MINUTE", 120),
            answers_per_minute=_int(env, "FLOOR_ANSWERS_PER_MINUTE", 60),
            ws_messages_per_10s=_int(env, "FLOOR_WS_MESSAGES_PER_10S", 60),
            ws_snapshots_per_minute=_int(env, "FLOOR_WS_SNAPSHOTS_PER_MINUTE", 30),
            event_writes_per_second=_int(env, "FLOOR_EVENT_WRITES_PER_SECOND", 2000),
            shutdown_grace=_float(env, "FLOOR_SHUTDOWN_GRACE", 10.0),
            drain_seconds=_float(env, "FLOOR_DRAIN_SECONDS", 1.0),
            retention_days=_int(env, "FLOOR_RETENTION_DAYS", 30),
            retention_sweep_seconds=_float(env, "FLOOR_RETENTION_SWEEP_SECONDS", 3600.0),
            admin_token_generated=fresh_admin,
            ws_idle_seconds=_float(env, "FLOOR_WS_IDLE_SECONDS", 300.0),
            ws_ping_seconds=_float(env, "FLOOR_WS_PING_SECONDS", 20.0),
        )


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


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {raw!r}.") from None
