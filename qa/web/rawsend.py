"""Hand the server's own `send` to the WebSocket endpoint, so live frames skip the middleware layers.

Each layer of ASGI middleware wraps `send` in another coroutine; for a frame fanned out to thousands of
sockets that is thousands of coroutines per layer. The handshake still goes through every layer (the
participant cookie is set on `websocket.accept`); only `websocket.send` frames take the short road.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

KEY = "floor.server_send"


class ServerSendMiddleware:
    """Outermost: remember the server's `send` on WebSocket scopes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[KEY] = send
        await self.app(scope, receive, send)
