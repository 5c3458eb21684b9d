"""Bearer tokens and participant handles: constant-time checks and one-way fingerprints, never the secret itself."""

from __future__ import annotations

import hashlib
import hmac

from qa.domain.model import Actor, Event, Role


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison (a timing side channel must not reveal how much of a guess was right)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def fingerprint(token: str) -> str:
    """A one-way digest that identifies a token (for sockets and the audit log) without being usable as one."""
    return hashlib.sha256(token.encode()).hexdigest()


def role_for_token(token: str | None, event: Event, admin_token: str) -> Role | None:
    if same(token, admin_token) or same(token, event.moderator_token):
        return Role.MODERATOR
    if same(token, event.presenter_token):
        return Role.PRESENTER
    return None


def role_for_fingerprint(digest: str, event: Event, admin_token: str) -> Role | None:
    """The role a token with this fingerprint holds now: None once the event's token was rotated away from it."""
    if same(digest, fingerprint(admin_token)) or same(digest, fingerprint(event.moderator_token)):
        return Role.MODERATOR
    if same(digest, fingerprint(event.presenter_token)):
        return Role.PRESENTER
    return None


def actor_for_token(token: str, event: Event | None, admin_token: str) -> Actor | None:
    """Who is acting, for the audit log: the kind of token and a short fingerprint of it."""
    key = fingerprint(token)[:12]
    if same(token, admin_token):
        return Actor("admin", key)
    if event is not None and same(token, event.moderator_token):
        return Actor("moderator", key)
    if event is not None and same(token, event.presenter_token):
        return Actor("presenter", key)
    return None
