"""create_app(settings): wires store, broker, hub and commands; the lifespan opens and closes them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.templating import Jinja2Templates
from starlette_compress import CompressMiddleware

from qa import i18n, language_id, retention
from qa.broker import create_broker
from qa.commands import Commands
from qa.domain.errors import DomainError, Unavailable
from qa.ratelimit import RateLimiter
from qa.realtime.hub import Hub
from qa.settings import Settings
from qa.store import create_store
from qa.web import api, compression, errors, hosts, openapi, pages, report, ws
from qa.web.identity import ParticipantMiddleware
from qa.web.rawsend import ServerSendMiddleware
from qa.web.security import CrossSiteWriteMiddleware, SecurityHeadersMiddleware

log = logging.getLogger("floor")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready only when storage and broker answer, and not while draining for shutdown."""
    state = request.app.state
    if getattr(state, "draining", False):
        return JSONResponse({"status": "draining"}, status_code=503, headers={"Retry-After": "5"})
    try:
        await state.store.ping()
        await state.broker.ping()
    except Unavailable as exc:
        return JSONResponse(errors.error_body("unavailable", exc.message), status_code=503,
                            headers={"Retry-After": "2"})
    return JSONResponse({"status": "ready"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    store = create_store(settings)
    broker = create_broker(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        await broker.open()
        app.state.limiter = _limiter(settings, store)
        app.state.shared_sockets = _shared_sockets(settings, store)
        # The detector's model loads (about a second) in a thread while the server already answers.
        warming = asyncio.create_task(asyncio.to_thread(language_id.warm))
        _integrity(app, settings, store)
        sweeper = asyncio.create_task(retention.run(store, app.state.commands, settings.retention_sweep_seconds))
        try:
            yield
        finally:
            app.state.draining = True
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await warming
            await app.state.hub.close_all(1012, "server restarting")
            if app.state.shared_sockets is not None:
                await app.state.shared_sockets.close()
            await broker.close()
            await store.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/openapi.json", openapi.spec),
            *api.routes,
            *ws.routes,
            *report.routes,
            *pages.routes,
            Mount("/static", pages.VersionedStatic(directory=pages.STATIC), name="static"),
        ],
        middleware=[
            *([Middleware(TrustedHostMiddleware, allowed_hosts=hosts.allowed_hosts(settings), www_redirect=False)]
              if settings.allowed_hosts else []),
            Middleware(ServerSendMiddleware),
            # Text answers compressed (qa/web/compression.py; HTTP only: WebSockets pass untouched, and neither a 206
            # range answer nor a static file already compressed is re-encoded).
            Middleware(CompressMiddleware, **compression.middleware_options()),
            Middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors,
                       style_hashes=(pages.CRITICAL_CSS.csp_source,)),
            Middleware(CrossSiteWriteMiddleware, public_url=settings.public_url,
                       allowed=settings.allowed_origins),
            Middleware(ParticipantMiddleware, secret_key=settings.secret_key),
        ],
        exception_handlers={
            DomainError: errors.on_domain_error,
            HTTPException: errors.on_http_error,
            Exception: errors.on_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.broker = broker
    app.state.hub = Hub(store, broker, settings)
    app.state.commands = Commands(store, broker, limits=settings.limits, prefix=settings.redis_prefix,
                                  retention_days=settings.retention_days)
    app.state.templates = Jinja2Templates(env=_template_env())
    app.state.catalogs = i18n.shipped()
    app.state.limiter = RateLimiter()
    _integrity(app, settings, None)
    app.state.draining = False
    return app


def _template_env() -> jinja2.Environment:
    """Templates with Jinja2's i18n extension; each page passes its own language's gettext (qa.i18n)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(pages.TEMPLATES)),
                             autoescape=jinja2.select_autoescape(),
                             extensions=["jinja2.ext.i18n", "qa.web.compact_html.CompactIndentation"])
    env.policies["ext.i18n.trimmed"] = True
    # The state a page carries for its script (`tojson`), without the spaces after `,` and `:` and with its text as
    # UTF-8 rather than \u escapes: JSON.parse reads it the same; `<`, `>`, `&` and `'` are still escaped.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["static_url"] = pages.static_url
    env.globals["critical_css"] = pages.CRITICAL_CSS.markup
    return env


def _integrity(app: Starlette, settings: Settings, store: object) -> None:
    """Mint bucket, proof-of-work memory and activity counters: in Redis when configured (shared by instances)."""
    from qa import integrity

    client = getattr(store, "client", None)
    if settings.redis_url and client is not None:
        app.state.mint_bucket = integrity.RedisMintBucket(client, settings.redis_prefix, settings.mint_burst,
                                                          settings.mint_per_minute)
        used: integrity.UsedChallenges = integrity.RedisUsedChallenges(client, settings.redis_prefix)
        app.state.activity = integrity.RedisActivity(client, settings.redis_prefix,
                                                     (settings.retention_days + 1) * 86400)
    else:
        app.state.mint_bucket = integrity.MintBucket(settings.mint_burst, settings.mint_per_minute)
        used = integrity.UsedChallenges()
        app.state.activity = integrity.Activity()
    app.state.pow = integrity.ProofOfWork(settings.secret_key, settings.pow_cost, settings.pow_max_counter,
                                          settings.pow_ttl, used)


def _shared_sockets(settings: Settings, store: object) -> object | None:
    """Socket caps counted across instances when Redis is configured (qa/web/socketcount.py)."""
    client = getattr(store, "client", None)
    if not settings.redis_url or client is None:
        return None
    from qa.web.socketcount import SharedSocketCounts

    return SharedSocketCounts(client, settings.redis_prefix, settings.instance_id)


def _limiter(settings: Settings, store: object) -> RateLimiter:
    client = getattr(store, "client", None)
    if settings.redis_url and client is not None:
        from qa.ratelimit import RedisRateLimiter

        return RedisRateLimiter(client, settings.redis_prefix)
    return RateLimiter()
