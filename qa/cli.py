"""`floor serve` and friends."""

from __future__ import annotations

import argparse
import logging
import sys

from qa.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="floor", description="Floor: live, moderated Q&A and polls.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve Floor on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.host, args.port, args.log_level)
    return 2


def _serve(host: str, port: int, log_level: str) -> int:
    import uvicorn

    from qa import logprivacy
    from qa.app import create_app
    from qa.server import FloorServer, shutdown_budget
    from qa.web.wsprotocol import FloorWebSocketProtocol

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    app = create_app(settings)
    base = settings.public_url or f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    storage = "Redis" if settings.redis_url else f"SQLite in {settings.data_dir.resolve()}"
    print(f"Floor on {base} (storage: {storage})", file=sys.stderr)
    if settings.admin_token_generated:
        print(f"Admin: {base}/admin#token={settings.admin_token}", file=sys.stderr)
        print(f"Admin token (shown once; kept in {settings.data_dir.resolve() / 'admin_token'}): "
              f"{settings.admin_token}", file=sys.stderr, flush=True)
    else:
        print(f"Admin: {base}/admin (token from FLOOR_ADMIN_TOKEN or {settings.data_dir / 'admin_token'})",
              file=sys.stderr, flush=True)
    drain, in_flight = shutdown_budget(settings.shutdown_grace, settings.drain_seconds)
    # access_log stays off: request lines are nobody's business, and tokens must never reach a log.
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, ws_per_message_deflate=False,
                            ws=FloorWebSocketProtocol, loop="uvloop", http="httptools",
                            ws_max_size=settings.ws_max_bytes, ws_ping_interval=settings.ws_ping_seconds,
                            ws_ping_timeout=settings.ws_ping_seconds, proxy_headers=True,
                            timeout_graceful_shutdown=in_flight, server_header=False,  # type: ignore[arg-type]
                            access_log=False)
    logprivacy.install()
    FloorServer(config, app, drain=drain, grace=settings.shutdown_grace).run()
    return 0
