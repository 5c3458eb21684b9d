"""Which `Host` a request may carry, and the base URL links and QR codes are built from.

A request's `Host` is the client's to choose: left unchecked, `Host: evil.example` would put that name into the
organiser's links (moderator token fragment included) and into the publicly cached QR code. So links come from
`FLOOR_PUBLIC_URL` when it is set; else from the request's own address only when its host is trusted: listed in
`FLOOR_ALLOWED_HOSTS` (every other host is then refused with 400 by Starlette's TrustedHostMiddleware), or, when
that is unset, a loopback name or an IP address (which no one can point somewhere else). Any other host gets links
to the address the connection actually reached (the server's own socket address)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import Request

from qa.settings import Settings

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(settings: Settings) -> list[str]:
    """Hosts for TrustedHostMiddleware: the configured ones, plus loopback (local health checks) and the public
    URL's own host. Empty: no check."""
    if not settings.allowed_hosts:
        return []
    hosts = [*settings.allowed_hosts, "localhost", "127.0.0.1"]
    if settings.public_url and urlsplit(settings.public_url).hostname:
        hosts.append(str(urlsplit(settings.public_url).hostname))
    return list(dict.fromkeys(h.lower() for h in hosts))


def trusted(host: str | None) -> bool:
    """A host no one can repoint: a loopback name or an IP address literal."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def link_base(request: Request) -> str:
    """The absolute base (no trailing slash) for links and QR codes shown to this request."""
    settings: Settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url
    if settings.allowed_hosts or trusted(request.url.hostname):
        return str(request.base_url).rstrip("/")
    return _own_address(request)


def _own_address(request: Request) -> str:
    scheme = "https" if request.url.scheme in ("https", "wss") else "http"
    server = request.scope.get("server") or ("127.0.0.1", None)
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")
