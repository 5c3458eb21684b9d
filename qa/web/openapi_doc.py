"""The OpenAPI document (kept as data, next to the routes it describes)."""

from __future__ import annotations

from typing import Any

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Floor", "version": "0.1.0"},
    "paths": {},
}
