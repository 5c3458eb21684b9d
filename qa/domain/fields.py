"""Shape checks for JSON payloads: an unknown or missing field is a clear 400, never a silent drop."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qa.domain.errors import Invalid

ID_MAX = 2**31  # ids are per-event counters; a larger number names nothing (and would overflow storage)


def payload(body: object, *, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object.", "invalid_body")
    allowed_set = set(allowed)
    unknown = sorted(set(body) - allowed_set)
    if unknown:
        raise Invalid(f"Unknown field: {', '.join(unknown)}.", "unknown_field")
    missing = [f for f in required if body.get(f) is None]
    if missing:
        raise Invalid(f"Missing field: {', '.join(missing)}.", "missing_field")
    return body


def boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field} must be true or false.", "invalid_type")
    return value


def item_id(value: object, field: str) -> int:
    return integer(value, field, lo=1, hi=ID_MAX)


def integer(value: object, field: str, *, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{field} must be a whole number.", "invalid_type")
    if not lo <= value <= hi:
        raise Invalid(f"{field} must be between {lo} and {hi}.", "out_of_range")
    return value


def choice(value: object, field: str, options: Iterable[str]) -> str:
    opts = list(options)
    if not isinstance(value, str) or value not in opts:
        raise Invalid(f"{field} must be one of: {', '.join(opts)}.", "invalid_choice")
    return value
