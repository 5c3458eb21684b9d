"""Checks before and around a start: would this start lose data, and do all instances share the same secrets?

The rule for a start that would lose data (docs/deploy.md): a *production start* (`FLOOR_ENV=production`, or
`PORT` set as platforms do) keeping its state in SQLite (no `FLOOR_REDIS_URL`) on a data dir that *looks
ephemeral* (its filesystem is tmpfs, ramfs, overlay, aufs or squashfs: a container's or platform's scratch disk).
With secrets generated into that dir (not given by `FLOOR_ADMIN_TOKEN` and `FLOOR_SECRET_KEY`) the start is
refused; with secrets from the environment it is allowed with a loud warning, because events are still lost."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.settings import Settings

EPHEMERAL_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "overlay", "overlayfs", "aufs", "squashfs"})


def production_start(settings: Settings, env: Mapping[str, str]) -> bool:
    return settings.environment == "production" or bool(env.get("PORT"))


def filesystem_of(path: Path, mounts: str | None = None) -> str | None:
    """The filesystem type holding `path` (its nearest existing ancestor), from /proc/mounts; None if unknown."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    path = path.resolve()
    best, kind = "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = point == "/" or path == Path(point) or str(path).startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind


@dataclass(frozen=True)
class StartVerdict:
    refuse: bool
    messages: tuple[str, ...]


def judge_start(settings: Settings, env: Mapping[str, str], mounts: str | None = None) -> StartVerdict:
    """Whether `floor serve` may start with these settings, and what it must say loudly first."""
    if not production_start(settings, env):
        return StartVerdict(False, ())
    messages: list[str] = []
    if not settings.public_url and not settings.allowed_hosts:
        messages.append("FLOOR_PUBLIC_URL is unset: links and QR codes use this server's own address, not the "
                        "name people type. Set FLOOR_PUBLIC_URL=https://your.host (docs/deploy.md).")
    if settings.redis_url:
        return StartVerdict(False, tuple(messages))
    fs = filesystem_of(settings.data_dir, mounts)
    if fs not in EPHEMERAL_FILESYSTEMS:
        return StartVerdict(False, tuple(messages))
    where = f"{settings.data_dir.resolve()} is on {fs}, a disk that does not survive a restart"
    generated = [name for name in ("FLOOR_ADMIN_TOKEN", "FLOOR_SECRET_KEY") if not env.get(name)]
    if generated:
        messages.insert(0, f"Refusing to start: this is a production start (FLOOR_ENV=production or PORT set) and "
                           f"{where}: every restart would erase all events, the admin token and the cookie key "
                           f"({', '.join(generated)} unset). Either set FLOOR_REDIS_URL, or point FLOOR_DATA_DIR "
                           f"at a persistent volume, or set FLOOR_ADMIN_TOKEN and FLOOR_SECRET_KEY and accept "
                           f"that events are lost on restart. See docs/deploy.md.")
        return StartVerdict(True, tuple(messages))
    messages.insert(0, f"WARNING: {where}: every restart erases all events. Set FLOOR_REDIS_URL or point "
                       f"FLOOR_DATA_DIR at a persistent volume (docs/deploy.md).")
    return StartVerdict(False, tuple(messages))


# -- secrets shared by every instance (Redis) ---------------------------------------------------------------

def fingerprint(settings: Settings) -> dict[str, str]:
    """Keyed fingerprints of the admin token and the secret key: equal secrets give equal prints, and the prints
    give nothing to guess either secret from without the other (a weak token needs the key too)."""
    key = settings.secret_key.encode()
    return {"secret_key": hmac.new(key, b"floor:secret-key", hashlib.sha256).hexdigest()[:32],
            "admin_token": hmac.new(key, b"floor:admin-token:" + settings.admin_token.encode(),
                                    hashlib.sha256).hexdigest()[:32]}


def secrets_key(settings: Settings) -> str:
    return f"{settings.redis_prefix}:secrets"


def compare_secrets(mine: dict[str, str], recorded: Mapping[bytes | str, bytes | str]) -> str | None:
    """None when `recorded` (written by the instance that started last) matches; else the reason."""
    theirs = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
              for k, v in recorded.items()}
    if not theirs.get("secret_key"):
        return None
    since = theirs.get("at", "?")
    if theirs["secret_key"] != mine["secret_key"]:
        return (f"FLOOR_SECRET_KEY differs from the one of the instance started at {since}: attendees moving between "
                f"instances would become new participants. Give every instance the same FLOOR_SECRET_KEY.")
    if theirs.get("admin_token") != mine["admin_token"]:
        return (f"FLOOR_ADMIN_TOKEN differs from the one of the instance started at {since}: only some instances "
                f"would accept the organiser. Give every instance the same FLOOR_ADMIN_TOKEN.")
    return None


async def record_secrets(client: Any, settings: Settings) -> str | None:
    """On start with Redis: compare with the instance that started last, then record ours; the mismatch, if any."""
    mine = fingerprint(settings)
    problem = compare_secrets(mine, await client.hgetall(secrets_key(settings)))
    await client.hset(secrets_key(settings), mapping={**mine, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                    time.gmtime())})
    return problem
