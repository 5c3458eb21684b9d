"""`floor` as an operator runs it: a real `python3 -m qa ...` subprocess per command, on a temp data dir (and on a
real redis-server for check and events), exit codes included."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from qa import __version__, preflight
from qa.settings import Settings, markdown_table
from tests.conftest import ADMIN, RedisServer, free_port
from tests.serve import FloorProcess

COMMANDS = ("serve", "check", "events", "create-event", "export", "erase", "purge", "rotate-admin-token", "settings")


def floor(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = "",
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOOR_") and k != "PORT"}
    if data_dir is not None:
        base["FLOOR_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "qa", *args], env={**base, **(env or {})}, input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=False)


def created_code(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    match = re.search(r"^code: (\S+)$", result.stdout, re.M)
    assert match is not None, result.stdout
    return match.group(1)


def listed(data_dir: Path, *extra: str) -> list[str]:
    result = floor("events", *extra, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return [line.split("\t")[0] for line in result.stdout.splitlines()]


def test_version_names_the_package_version() -> None:
    result = floor("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"floor {__version__}")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_and_its_exit_codes(command: str) -> None:
    result = floor(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "exit codes: 0 done; 1" in " ".join(result.stdout.split())


def test_every_serve_option_has_a_description_and_its_default() -> None:
    text = " ".join(floor("serve", "--help").stdout.split())
    for option, default in (("--host", "127.0.0.1"), ("--port", "8000"), ("--log-level", "info")):
        assert re.search(rf"{option} \S+ \w[^-]*\(default: {re.escape(default)}\)", text), (option, text)
    for option in ("--data-dir", "--redis-url"):
        assert re.search(rf"{option} \w+ \w.*wins over", text), option


def test_an_unknown_option_is_a_usage_error() -> None:
    assert floor("serve", "--no-such-option").returncode == 2
    assert floor("--log-level", "loud").returncode == 2


def test_create_event_prints_the_links_and_events_lists_it(tmp_path: Path) -> None:
    result = floor("create-event", "Climate panel", "--code", "climate", "--moderation", "post", data_dir=tmp_path)
    assert created_code(result) == "climate"
    links = dict(re.findall(r"^(\w+): (http\S+)$", result.stdout, re.M))
    assert links["attendee"] == "http://127.0.0.1:8000/e/climate"
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/e/climate/moderate#token=\S{16,}", links["moderator"])
    assert "#token=" in links["presenter"]
    events = floor("events", data_dir=tmp_path).stdout.splitlines()
    assert len(events) == 1 and events[0].startswith("climate\tpost\t") and events[0].endswith("\tClimate panel")


def test_create_event_links_use_the_public_url(tmp_path: Path) -> None:
    result = floor("create-event", "Panel", data_dir=tmp_path, env={"FLOOR_PUBLIC_URL": "https://ask.example.org/"})
    code = created_code(result)
    assert f"attendee: https://ask.example.org/e/{code}\n" in result.stdout


def test_create_event_with_a_taken_code_fails_with_the_reason(tmp_path: Path) -> None:
    created_code(floor("create-event", "One", "--code", "same", data_dir=tmp_path))
    again = floor("create-event", "Two", "--code", "same", data_dir=tmp_path)
    assert again.returncode == 1 and "floor create-event:" in again.stderr and "Traceback" not in again.stderr


def test_the_data_dir_flag_wins_over_the_environment(tmp_path: Path) -> None:
    from_env, from_flag = tmp_path / "env", tmp_path / "flag"
    created_code(floor("create-event", "Here", "--code", "here", "--data-dir", str(from_flag), data_dir=from_env))
    assert listed(from_flag) == ["here"]
    assert listed(from_env) == []


def test_export_writes_json_or_csv_to_a_file_or_standard_output(tmp_path: Path) -> None:
    created_code(floor("create-event", "Export me", "--code", "exp", data_dir=tmp_path))
    out = tmp_path / "exp.json"
    result = floor("export", "exp", "-o", str(out), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    exported = orjson.loads(out.read_bytes())
    assert exported["event"]["code"] == "exp" and exported["questions"] == []
    csv = floor("export", "exp", "--format", "csv", data_dir=tmp_path)
    assert csv.returncode == 0 and csv.stdout.startswith("section,id,text,name,affiliation,status")
    missing = floor("export", "nope", data_dir=tmp_path)
    assert missing.returncode == 1 and "no event" in missing.stderr


def test_erase_refuses_without_yes_when_no_one_can_answer(tmp_path: Path) -> None:
    created_code(floor("create-event", "Keep", "--code", "keep", data_dir=tmp_path))
    refused = floor("erase", "keep", data_dir=tmp_path, stdin="keep\n")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert listed(tmp_path) == ["keep"]
    erased = floor("erase", "keep", "--yes", data_dir=tmp_path)
    assert (erased.returncode, erased.stdout.strip()) == (0, "erased keep")
    assert listed(tmp_path) == []
    assert floor("erase", "keep", "--yes", data_dir=tmp_path).returncode == 1


def _on_a_terminal(args: list[str], data_dir: Path, answer: str) -> tuple[int, str]:
    """Run `floor ARGS` with a pseudo-terminal as stdin and stdout, typing `answer` when it asks."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOOR_")} | {"FLOOR_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "qa", *args], stdin=follower, stdout=follower,
                            stderr=follower, env=env)
    os.close(follower)
    seen = b""
    try:
        while b"confirm:" not in seen and b"Admin token" not in seen:
            chunk = os.read(leader, 4096)
            if not chunk:
                break
            seen += chunk
        if answer:
            os.write(leader, answer.encode() + b"\n")
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                seen += os.read(leader, 4096)
            except OSError:
                break
        code = proc.wait(30)
    finally:
        os.close(leader)
    return code, seen.decode(errors="replace")


def test_erase_asks_on_a_terminal_and_needs_the_code_typed(tmp_path: Path) -> None:
    created_code(floor("create-event", "Ask first", "--code", "ask-first", data_dir=tmp_path))
    code, seen = _on_a_terminal(["erase", "ask-first"], tmp_path, "no")
    assert code == 1 and "Type its code to confirm" in seen and listed(tmp_path) == ["ask-first"]
    code, _ = _on_a_terminal(["erase", "ask-first"], tmp_path, "ask-first")
    assert code == 0 and listed(tmp_path) == []


def test_purge_erases_exactly_the_events_past_their_retention(tmp_path: Path) -> None:
    from qa.broker.memory import MemoryBroker
    from qa.commands import Commands
    from qa.store.sqlite import SqliteStore

    async def seed() -> None:
        store = SqliteStore(tmp_path / "floor.sqlite3")
        await store.open()
        try:
            commands = Commands(store, MemoryBroker(), limits=Settings().limits)
            await commands.create_event({"title": "Old", "code": "old", "retention_days": 1,
                                         "ends_at": "2020-01-01T10:00:00Z"})
            await commands.create_event({"title": "New", "code": "new", "retention_days": 1})
        finally:
            await store.close()

    asyncio.run(seed())
    result = floor("purge", data_dir=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "erased 1 expired event: old")
    assert listed(tmp_path) == ["new"]
    assert floor("purge", data_dir=tmp_path).stdout.strip() == "erased 0 expired events"


def test_rotate_admin_token_replaces_the_kept_token_without_printing_it_into_a_pipe(tmp_path: Path) -> None:
    Settings.from_env({"FLOOR_DATA_DIR": str(tmp_path)})
    before = (tmp_path / "admin_token").read_text()
    result = floor("rotate-admin-token", data_dir=tmp_path)
    after = (tmp_path / "admin_token").read_text()
    assert result.returncode == 0 and after != before and len(after) >= 32
    assert after not in result.stdout + result.stderr and str(tmp_path / "admin_token") in result.stdout
    assert (tmp_path / "admin_token").stat().st_mode & 0o077 == 0
    refused = floor("rotate-admin-token", data_dir=tmp_path, env={"FLOOR_ADMIN_TOKEN": "from-the-environment"})
    assert refused.returncode == 1 and "FLOOR_ADMIN_TOKEN" in refused.stderr


def test_settings_prints_the_generated_table() -> None:
    result = floor("settings")
    assert (result.returncode, result.stdout) == (0, markdown_table())


def test_check_on_sqlite_reports_storage_and_broker(tmp_path: Path) -> None:
    result = floor("check", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "storage: answers" in result.stdout and "broker: answers" in result.stdout


@pytest.mark.parametrize(("variable", "value"), [("FLOOR_MAX_SOCKETS", "many"),
                                               ("FLOOR_PUBLIC_URL", "ask.example.org")])
def test_check_fails_on_an_invalid_setting_naming_it(tmp_path: Path, variable: str, value: str) -> None:
    result = floor("check", data_dir=tmp_path, env={variable: value})
    assert result.returncode == 1 and variable in result.stderr and "Traceback" not in result.stderr


def test_an_unusable_data_dir_fails_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    for command in ("events", "serve"):
        result = floor(command, data_dir=tmp_path / "file" / "data")
        assert result.returncode == 1 and "data dir" in result.stderr and "Traceback" not in result.stderr


def test_check_fails_with_the_reason_when_redis_does_not_answer(tmp_path: Path) -> None:
    result = floor("check", "--redis-url", f"redis://127.0.0.1:{free_port()}/0", data_dir=tmp_path)
    assert result.returncode == 1 and "does not answer" in result.stderr and "Traceback" not in result.stderr


def test_check_and_events_on_redis_compare_secrets_across_instances(tmp_path: Path,
                                                                    redis_server: RedisServer) -> None:
    redis = {"FLOOR_REDIS_URL": redis_server.url, "FLOOR_ADMIN_TOKEN": ADMIN, "FLOOR_SECRET_KEY": "test-secret"}
    first = floor("check", data_dir=tmp_path, env=redis)
    assert first.returncode == 0 and "no instance has recorded" in first.stdout, first.stderr
    served = FloorProcess(tmp_path / "served", env={"FLOOR_REDIS_URL": redis_server.url}).start()
    try:
        created = httpx.post(f"{served.url}/api/events", json={"title": "Shared", "code": "shared"},
                             headers=served.admin())
        assert created.status_code == 201
    finally:
        served.stop()
    assert listed(tmp_path, "--redis-url", redis_server.url) == ["shared"]
    same = floor("check", data_dir=tmp_path, env=redis)
    assert same.returncode == 0 and "secrets: the same" in same.stdout, same.stderr
    other_key = floor("check", data_dir=tmp_path, env={**redis, "FLOOR_SECRET_KEY": "another-secret"})
    assert other_key.returncode == 1 and "FLOOR_SECRET_KEY differs" in other_key.stderr
    other_token = floor("check", data_dir=tmp_path, env={**redis, "FLOOR_ADMIN_TOKEN": "another-token"})
    assert other_token.returncode == 1 and "FLOOR_ADMIN_TOKEN differs" in other_token.stderr
    assert ADMIN not in other_token.stdout + other_token.stderr + other_key.stdout + other_key.stderr


def test_serve_accepts_log_level_trace_and_logs_no_protocol_traces(tmp_path: Path) -> None:
    served = FloorProcess(tmp_path / "data", log_level="trace").start()
    try:
        assert httpx.get(f"{served.url}/api/events", headers=served.admin()).status_code == 200
    finally:
        served.stop()
    log = served.log_path.read_text()
    assert "Unknown level" not in log and "TRACE" not in log and "Traceback" not in log


# -- a production start that would lose data ---------------------------------------------------------------

def _tmpfs() -> Path:
    shm = Path("/dev/shm")
    if preflight.filesystem_of(shm) != "tmpfs":
        pytest.skip("/dev/shm is not a tmpfs on this machine")
    return shm


def test_the_filesystem_of_a_path_is_its_longest_mount() -> None:
    mounts = "/dev/vda / ext4 rw 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n/dev/vdb /srv/data xfs rw 0 0\n" \
             "overlay /srv/data/tmp overlay rw 0 0\n"
    assert preflight.filesystem_of(Path("/srv/data/floor"), mounts) == "xfs"
    assert preflight.filesystem_of(Path("/srv/data/tmp/floor"), mounts) == "overlay"
    assert preflight.filesystem_of(Path("/srv/database"), mounts) == "ext4"
    assert preflight.filesystem_of(Path("/dev/shm"), mounts) == "tmpfs"


@pytest.mark.parametrize("signal", [{"PORT": "8123"}, {"FLOOR_ENV": "production"}])
def test_a_production_start_with_generated_secrets_on_an_ephemeral_disk_is_refused(signal: dict[str, str]) -> None:
    data_dir = _tmpfs() / f"floor-test-{os.getpid()}-{free_port()}"
    try:
        result = floor("serve", "--port", str(free_port()), data_dir=data_dir, env=signal, timeout=30)
        assert result.returncode == 3, result.stderr
        assert "Refusing to start" in result.stderr and "FLOOR_REDIS_URL" in result.stderr
    finally:
        subprocess.run(["rm", "-rf", str(data_dir)], check=True)


def test_a_development_start_on_an_ephemeral_disk_is_allowed() -> None:
    settings = Settings(data_dir=_tmpfs() / "floor", admin_token="a", secret_key="b")
    assert preflight.judge_start(settings, {}) == preflight.StartVerdict(False, ())


def test_a_production_start_with_secrets_from_the_environment_warns_that_events_are_lost() -> None:
    settings = Settings(data_dir=_tmpfs() / "floor", admin_token="a", secret_key="b", public_url="https://x.example")
    verdict = preflight.judge_start(settings, {"PORT": "80", "FLOOR_ADMIN_TOKEN": "a", "FLOOR_SECRET_KEY": "b"})
    assert not verdict.refuse and verdict.messages[0].startswith("WARNING:") and "erases all events" in \
        verdict.messages[0]
    on_redis = preflight.judge_start(Settings(data_dir=_tmpfs() / "floor", redis_url="redis://r", admin_token="a",
                                              secret_key="b", public_url="https://x.example"), {"PORT": "80"})
    assert on_redis == preflight.StartVerdict(False, ())


def test_a_production_start_puts_the_path_of_the_admin_token_in_the_log_not_the_token(tmp_path: Path) -> None:
    served = FloorProcess(tmp_path / "data", env={"FLOOR_ADMIN_TOKEN": "", "PORT": "1",
                                                  "FLOOR_PUBLIC_URL": "http://127.0.0.1"}).start()
    served.stop()
    token = (tmp_path / "data" / "admin_token").read_text().strip()
    log = served.log_path.read_text()
    assert token not in log and str((tmp_path / "data" / "admin_token").resolve()) in log


def test_a_production_start_on_a_terminal_shows_the_admin_token_once(tmp_path: Path) -> None:
    port = str(free_port())
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOOR_")} | {
        "FLOOR_DATA_DIR": str(tmp_path), "PORT": port, "FLOOR_PUBLIC_URL": "http://127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", port], stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    seen = b""
    try:
        while b"shown once" not in seen:
            chunk = os.read(leader, 4096)
            assert chunk, "serve closed its terminal without showing the token"
            seen += chunk
    finally:
        proc.terminate()
        proc.wait(15)
        os.close(leader)
    assert (tmp_path / "admin_token").read_text().strip() in seen.decode()
