"""The same store and broker contracts on a real three-node Redis Cluster (sharded pub/sub, one slot per event)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from qa.store.base import Store
from tests.children import spawn
from tests.conftest import free_port, need_binary
from tests.test_broker_contract import (  # noqa: F401 - the contract tests run here, on a cluster
    Harness,
    connected,
    test_a_cancelled_listener_still_unsubscribes,
    test_a_listener_that_fails_still_unsubscribes,
    test_overflow_drops_messages_and_leaves_one_resync,
    test_published_messages_reach_every_subscriber_in_order,
    test_subscribers_hear_only_their_channel,
    test_subscription_is_reference_counted_and_cleaned_up,
)
from tests.test_store_contract import (  # noqa: F401
    test_a_merge_never_makes_the_kept_questions_asker_one_of_its_voters,
    test_a_second_question_with_the_same_idempotency_key_is_refused_and_nothing_is_written,
    test_audit_records_are_committed_with_their_change_and_read_oldest_first,
    test_bans_and_held_questions_survive_a_round_trip,
    test_cast_follows_the_events_gate_as_the_event_changes,
    test_cast_holds_each_rate_window_at_its_exact_bound,
    test_cast_refuses_in_the_rules_order_with_todays_errors,
    test_cast_upvotes_withdraws_idempotently_and_counts_only_upvotes_as_activity,
    test_changes_since_a_future_seq_or_unknown_event_is_none,
    test_commit_numbers_changes_and_logs_them_in_order,
    test_deleting_an_event_leaves_nothing,
    test_deleting_questions_drops_their_votes,
    test_event_code_is_unique,
    test_event_round_trip_and_listing,
    test_event_writes_are_rev_guarded,
    test_idempotency_key_finds_the_earlier_question,
    test_ids_count_up_per_event_and_kind,
    test_log_is_capped_and_resume_past_the_cap_needs_a_snapshot,
    test_merging_unions_voters,
    test_moderation_counters_go_with_the_event,
    test_moderation_counters_move_only_with_their_write,
    test_poll_answers_replace_and_withdraw,
    test_presence_counts_this_instance,
    test_reset_and_delete_poll_drop_answers,
    test_stale_write_is_refused_whole,
    test_state_reads_everything_at_one_seq,
    test_the_audit_log_keeps_the_newest_records,
    test_votes_are_idempotent_per_participant,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]


class RedisCluster:
    """Three masters, no replicas: enough for slots to spread events over several shards."""

    def __init__(self, directory: Path) -> None:
        self.server = need_binary("redis-server")
        self.cli = need_binary("redis-cli")
        self.dir = directory
        self.ports = [_cluster_port() for _ in range(3)]
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for port in self.ports:
            node = self.dir / str(port)
            node.mkdir(parents=True)
            self.procs.append(spawn(
                [self.server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node), "--save", "",
                 "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.ports:
            _wait_for_port(port)
        subprocess.run([self.cli, "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + 10
        while b"cluster_state:ok" not in subprocess.run([self.cli, "-p", str(self.ports[0]), "cluster", "info"],
                                                        capture_output=True).stdout:
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not become ready")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    nodes = RedisCluster(tmp_path_factory.mktemp("cluster"))
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture
async def store(cluster: RedisCluster) -> AsyncIterator[Store]:
    from qa.store.redis import RedisStore

    store = RedisStore(cluster.url, prefix="t", log_max=50)
    await store.open()
    assert store.cluster
    await store.client.flushall(target_nodes=store.client.PRIMARIES)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def harness(cluster: RedisCluster) -> AsyncIterator[Harness]:
    from qa.broker.redis import RedisBroker

    broker = RedisBroker(cluster.url, prefix="t", inbox_max=200)
    await broker.open()
    assert broker.cluster
    await connected(broker)

    async def shard_subscribed(channel: str) -> bool:
        counts = await broker.client.pubsub_shardnumsub(channel, target_nodes=broker.client.get_node_from_key(channel))
        return bool(dict(counts).get(channel.encode(), 0))

    try:
        yield Harness(broker, 200, shard_subscribed)
    finally:
        await broker.close()


async def test_events_spread_over_shards_and_each_keeps_one_slot(store: Store) -> None:
    from qa.domain.model import Event

    client = store.client  # type: ignore[attr-defined]
    nodes = set()
    for code in ("alpha", "beta", "gamma", "delta", "omega", "sigma"):
        await store.create_event(Event(code=code, title="T", moderator_token="m", presenter_token="p", epoch="e",
                                       created_at=time.time()))
        await store.next_id(code, "question")
        nodes.add(client.get_node_from_key(f"t:{{{code}}}:ev").name)
    assert len(nodes) > 1  # several shards serve events
