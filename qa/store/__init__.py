"""Storage: one interface (base.Store), an embedded SQLite implementation and a shared Redis one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.settings import Settings
    from qa.store.base import Store


def create_store(settings: Settings) -> Store:
    """Redis when FLOOR_REDIS_URL is set, SQLite in the data dir otherwise."""
    if settings.redis_url:
        from qa.store.redis import RedisStore

        return RedisStore(settings.redis_url, prefix=settings.redis_prefix, log_max=settings.log_max,
                          audit_max=settings.audit_max, wait_replicas=settings.redis_wait_replicas,
                          wait_seconds=settings.redis_wait_seconds)
    from qa.store.sqlite import SqliteStore

    return SqliteStore(settings.data_dir / "floor.sqlite3", log_max=settings.log_max, audit_max=settings.audit_max,
                       write_queue_max=settings.sqlite_write_queue_max, write_batch_max=settings.sqlite_batch_max,
                       write_wait_seconds=settings.sqlite_write_wait_seconds)
