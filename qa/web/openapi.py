"""GET /openapi.json: the HTTP API as an OpenAPI 3.1 document (rendered for people in docs/api.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from qa.web.openapi_doc import DOCUMENT


async def spec(request: Request) -> Response:
    return JSONResponse(DOCUMENT)
