"""HTTP and WebSocket edges: routes for pages, the JSON API and sockets, one module each."""

from qa.web import convertors as _convertors  # noqa: F401 - registers the "id" URL convertor
