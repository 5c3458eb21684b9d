"""HTTP and WebSocket edges: routes for pages, the JSON API and sockets, one module each."""
