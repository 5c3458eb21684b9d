"""`floor`: serve Floor, check a deployment, and run an organiser's chores without curl.

Exit codes: 0 done; 1 the command failed (a check found a problem, no such event, storage unreachable);
2 wrong usage (unknown option, or `erase` without `--yes` when no one can answer its question);
3 `serve` refused a production start that would lose data (qa/preflight.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa import __version__
from qa.settings import Settings, markdown_table

OK, FAILED, USAGE, REFUSED = 0, 1, 2, 3
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
EXIT_CODES = ("exit codes: 0 done; 1 the command failed (a check found a problem, no such event, storage "
              "unreachable); 2 wrong usage; 3 serve refused a production start that would lose data")


Command = Callable[[argparse.Namespace, Mapping[str, str]], int]


class Failure(Exception):
    """A command that cannot do what was asked: its message is printed and the exit code is 1."""


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="floor", description="Floor: live, moderated Q&A and quick polls.",
                                     epilog=EXIT_CODES, formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"floor {__version__}")
    storage = argparse.ArgumentParser(add_help=False)
    storage.add_argument("--data-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                         help="SQLite database and generated secrets; given here, it wins over FLOOR_DATA_DIR "
                              "(default: FLOOR_DATA_DIR, else ./floor-data)")
    storage.add_argument("--redis-url", metavar="URL", default=argparse.SUPPRESS,
                         help="keep state in this Redis (redis://, rediss:// or redis+cluster://); given here, it "
                              "wins over FLOOR_REDIS_URL (default: FLOOR_REDIS_URL, else SQLite in the data dir)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary, parents=[storage], formatter_class=fmt,
                              epilog=EXIT_CODES)

    serve = command("serve", "serve Floor (pages, API and WebSockets) on one port")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    serve.add_argument("--log-level", default="info", choices=LOG_LEVELS, type=str.lower,
                       help="how much the server logs (never question text, names, tokens or addresses)")
    command("check", "check the configuration, that storage and broker answer and, on Redis, that this "
                     "instance's secrets match the other instances'")
    command("events", "list every event: code, moderation, creation date, title")
    create = command("create-event", "create an event and print its links")
    create.add_argument("title", help="the event's title")
    create.add_argument("--code", default=None, help="the event code people type (default: a generated one)")
    create.add_argument("--moderation", choices=("pre", "post"), default="pre",
                        help="pre: questions wait for approval; post: they appear at once")
    export = command("export", "export an event's questions, votes and poll results")
    export.add_argument("code", help="the event code")
    export.add_argument("--format", choices=("json", "csv"), default="json", help="file format")
    export.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="write to FILE (default: standard output)")
    erase = command("erase", "erase an event and everything in it, for good")
    erase.add_argument("code", help="the event code")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    command("purge", "erase every event whose retention period has passed, now")
    command("rotate-admin-token", "replace the generated admin token kept in the data dir (restart serve after)")
    command("settings", "print every FLOOR_* setting with its default and meaning (Markdown)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = _environment(args)
    try:
        return COMMANDS[args.command](args, env)
    except Failure as exc:
        print(f"floor {args.command}: {exc}", file=sys.stderr)
        return FAILED


def _environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment with the storage flags applied: an explicit flag wins over the variable."""
    env = dict(os.environ)
    if getattr(args, "data_dir", None) is not None:
        env["FLOOR_DATA_DIR"] = str(args.data_dir)
    if getattr(args, "redis_url", None):
        env["FLOOR_REDIS_URL"] = args.redis_url
    return env


def _load_settings(env: Mapping[str, str]) -> Settings:
    """Settings.from_env, with a data dir that cannot be created or read as a failure (exit 1), not a trace."""
    try:
        return Settings.from_env(env)
    except OSError as exc:
        raise Failure(f"cannot use the data dir: {exc.strerror} ({exc.filename})") from None


def _interactive(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


# -- serve ----------------------------------------------------------------------------------------------

def _serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import uvicorn

    from qa import logprivacy, preflight
    from qa.app import create_app
    from qa.server import FloorServer, configure_logging, shutdown_budget
    from qa.web.httpprotocol import FloorHttpProtocol
    from qa.web.wsprotocol import FloorWebSocketProtocol

    configure_logging(args.log_level)
    settings = _load_settings(env)
    verdict = preflight.judge_start(settings, env)
    for message in verdict.messages:
        print(message, file=sys.stderr, flush=True)
    if verdict.refuse:
        return REFUSED
    if settings.redis_url:
        problem = asyncio.run(_record_secrets(settings))
        if problem:
            print(f"WARNING: {problem} (floor check explains)", file=sys.stderr, flush=True)
    app = create_app(settings)
    host, port = args.host, args.port
    base = settings.public_url or f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    storage = "Redis" if settings.redis_url else f"SQLite in {settings.data_dir.resolve()}"
    print(f"Floor {__version__} on {base} (storage: {storage})", file=sys.stderr)
    kept = settings.data_dir.resolve() / "admin_token"
    # The generated token is shown once: on a terminal, or on a development start whose output is the developer's
    # own. A production start's output goes to a platform's log, so it gets the file's path instead.
    if settings.admin_token_generated and (_interactive(sys.stdout) or not preflight.production_start(settings, env)):
        print(f"Admin: {base}/admin#token={settings.admin_token}", flush=True)
        print(f"Admin token (shown once; kept in {kept}): {settings.admin_token}", flush=True)
    elif settings.admin_token_generated:
        print(f"Admin: {base}/admin (token generated; read it from {kept}, readable only by this user)",
              file=sys.stderr, flush=True)
    else:
        source = "FLOOR_ADMIN_TOKEN" if env.get("FLOOR_ADMIN_TOKEN") else str(kept)
        print(f"Admin: {base}/admin (token from {source})", file=sys.stderr, flush=True)
    drain, in_flight = shutdown_budget(settings.shutdown_grace, settings.drain_seconds)
    # access_log stays off: request lines are nobody's business, and tokens must never reach a log.
    config = uvicorn.Config(app, host=host, port=port, log_level=args.log_level, ws_per_message_deflate=False,
                            ws=FloorWebSocketProtocol.configured(stall_seconds=settings.ws_stall_seconds,
                                                                 unsent_max=settings.ws_unsent_max_bytes),
                            loop="uvloop",
                            http=FloorHttpProtocol.configured(header_seconds=settings.header_timeout_seconds,
                                                              slow_per_address=settings.slow_connections_per_address),
                            ws_max_size=settings.ws_max_bytes, ws_ping_interval=settings.ws_ping_seconds,
                            ws_ping_timeout=settings.ws_ping_seconds, proxy_headers=True,
                            timeout_graceful_shutdown=in_flight, server_header=False,  # type: ignore[arg-type]
                            access_log=False)
    logprivacy.install()
    FloorServer(config, app, drain=drain, grace=settings.shutdown_grace).run()
    return OK


async def _record_secrets(settings: Settings) -> str | None:
    from qa import preflight, redisconn

    client, _ = await redisconn.connect(str(settings.redis_url))
    try:
        return await preflight.record_secrets(client, settings)
    except redisconn.ERRORS:
        return None  # Redis is down: serve starts anyway and reports ready once it answers
    finally:
        await client.aclose()


# -- the organiser's chores, straight on the store ------------------------------------------------------------

@dataclass
class Floor:
    settings: Settings
    store: Any
    broker: Any
    commands: Any


@contextlib.asynccontextmanager
async def _opened(env: Mapping[str, str]) -> AsyncIterator[Floor]:
    """Storage, broker and commands as `floor serve` has them: changes reach open screens through the broker on
    Redis; on SQLite a running server's screens catch up on their next resync or reload."""
    from qa.broker import create_broker
    from qa.commands import Commands
    from qa.domain.errors import Unavailable
    from qa.store import create_store

    settings = _load_settings(env)
    store, broker = create_store(settings), create_broker(settings)
    try:
        await store.open()
        await broker.open()
        await store.ping()
    except Unavailable as exc:
        raise Failure(f"storage does not answer: {exc.message}") from None
    except (OSError, sqlite3.Error) as exc:
        raise Failure(f"cannot open storage: {exc}") from None
    try:
        yield Floor(settings, store, broker, Commands(store, broker, limits=settings.limits,
                                                      prefix=settings.redis_prefix,
                                                      retention_days=settings.retention_days))
    finally:
        await broker.close()
        await store.close()


def _run(body: Callable[[Floor, argparse.Namespace], Awaitable[int | None]]) -> Command:
    """A command that works on the opened store: a domain error (no such event, a taken code) is a failure."""
    def command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
        async def go() -> int:
            from qa.domain.errors import DomainError

            async with _opened(env) as floor:
                try:
                    result = await body(floor, args)
                except DomainError as exc:
                    raise Failure(exc.message) from None
            return OK if result is None else result
        return asyncio.run(go())
    return command


async def _check(floor: Floor, args: argparse.Namespace) -> int:
    from qa import preflight
    from qa.domain.errors import Unavailable

    s = floor.settings
    problems: list[str] = []
    if s.public_url and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", s.public_url):
        problems.append(f"FLOOR_PUBLIC_URL must be an absolute http:// or https:// URL, not {s.public_url!r}")
    print(f"configuration: ok (storage: {'Redis' if s.redis_url else f'SQLite in {s.data_dir.resolve()}'})")
    for name, part in (("storage", floor.store), ("broker", floor.broker)):
        try:
            await part.ping()
            print(f"{name}: answers")
        except Unavailable as exc:
            problems.append(f"{name} does not answer: {exc.message}")
    client = getattr(floor.store, "client", None)
    if s.redis_url and client is not None and not problems:
        recorded = await client.hgetall(preflight.secrets_key(s))
        problem = preflight.compare_secrets(preflight.fingerprint(s), recorded)
        if problem:
            problems.append(problem)
        elif recorded:
            print("secrets: the same as the instance that started last")
        else:
            print("secrets: no instance has recorded its secrets yet (floor serve does on start)")
    verdict = preflight.judge_start(s, os.environ)
    problems += [m for m in verdict.messages if verdict.refuse]
    for message in verdict.messages if not verdict.refuse else ():
        print(f"warning: {message}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return FAILED if problems else OK


async def _events(floor: Floor, args: argparse.Namespace) -> None:
    from qa.domain.views import iso

    for event in sorted(await floor.store.list_events(), key=lambda e: e.created_at):
        print(f"{event.code}\t{event.moderation}\t{iso(event.created_at)}\t{event.title}")


async def _create_event(floor: Floor, args: argparse.Namespace) -> None:
    from qa.web.api import event_links

    body: dict[str, Any] = {"title": args.title, "moderation": args.moderation}
    if args.code:
        body["code"] = args.code
    event = await floor.commands.create_event(body)
    base = floor.settings.public_url or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    print(f"code: {event.code}")
    for name, link in event_links(base, event).items():
        print(f"{name}: {link}")
    if not floor.settings.public_url:
        print(f"(links use {base}: set FLOOR_PUBLIC_URL to the address people use)", file=sys.stderr)


async def _export(floor: Floor, args: argparse.Namespace) -> None:
    import orjson

    from qa.web import exporting

    state = await floor.store.state(args.code)
    if state is None:
        raise Failure(f"there is no event with the code {args.code!r}")
    data = exporting.to_csv(state).encode() if args.format == "csv" else \
        orjson.dumps(exporting.to_json(state), option=orjson.OPT_INDENT_2) + b"\n"
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.output.write_bytes(data)
        print(f"wrote {args.output}", file=sys.stderr)


async def _erase(floor: Floor, args: argparse.Namespace) -> int:
    if await floor.store.get_event(args.code) is None:
        raise Failure(f"there is no event with the code {args.code!r}")
    if not args.yes:
        if not _interactive(sys.stdin):
            print("floor erase: refusing without --yes: no terminal to confirm on", file=sys.stderr)
            return USAGE
        answer = await asyncio.to_thread(input, f"Erase the event {args.code} and everything in it, for good? "
                                                 "Type its code to confirm: ")
        if answer.strip() != args.code:
            print("floor erase: not confirmed; nothing erased", file=sys.stderr)
            return FAILED
    await floor.commands.delete_event(args.code)
    print(f"erased {args.code}")
    return OK


async def _purge(floor: Floor, args: argparse.Namespace) -> None:
    from qa import retention

    erased = await retention.sweep(floor.store, floor.commands)
    print(f"erased {len(erased)} expired event{'s' if len(erased) != 1 else ''}" +
          (f": {', '.join(erased)}" if erased else ""))


def _rotate_admin_token(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if env.get("FLOOR_ADMIN_TOKEN"):
        raise Failure("the admin token comes from FLOOR_ADMIN_TOKEN: change it there (on every instance)")
    data_dir = Path(env.get("FLOOR_DATA_DIR") or Settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir.resolve() / "admin_token"
    fresh = path.with_name("admin_token.new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    fresh.replace(path)
    print(f"new admin token kept in {path}; restart floor serve for it to take effect (the old one works until then)")
    if _interactive(sys.stdout):
        print(f"Admin token: {token}")
    return OK


def _settings(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    print(markdown_table(), end="")
    return OK


COMMANDS: dict[str, Command] = {
    "serve": _serve, "check": _run(_check), "events": _run(_events), "create-event": _run(_create_event),
    "export": _run(_export), "erase": _run(_erase), "purge": _run(_purge),
    "rotate-admin-token": _rotate_admin_token, "settings": _settings,
}
