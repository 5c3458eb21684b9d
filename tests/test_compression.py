"""Compressed answers (qa/web/compression.py): Brotli for browsers that take it, gzip for the rest, static files
compressed once at the best settings and never twice, ranges and WebSockets untouched."""
from __future__ import annotations

import gzip
from typing import Any

import brotli
import pytest
from starlette.testclient import TestClient

from qa.web import compression, pages
from tests.inprocess import Floor

CHROME = "gzip, deflate, br, zstd"  # what Chromium sends over HTTPS


@pytest.mark.parametrize(("header", "coding"), [
    (CHROME, "br"), ("gzip, deflate", "gzip"), ("gzip;q=1.0, br;q=0.1", "br"),  # our order, not the client's
    ("br;q=0, gzip", "gzip"), ("BR", "br"), ("br ; q=0.5", "br"), ("*", "br"), ("br;q=0, *", "gzip"),
    ("*;q=0", None), ("br;q=0, gzip;q=0, *", None), ("identity", None), ("", None), ("deflate", None),
    ("zstd", None), ("br;q=x", None), (",,;", None), ("gzip;q=0.000", None),
])
def test_the_coding_is_brotli_then_gzip_among_those_accepted(header: str, coding: str | None) -> None:
    assert compression.preferred(header) == coding


def raw(client: TestClient, url: str, **headers: str) -> tuple[Any, bytes]:
    """The answer and its bytes as they came over the wire (not decoded)."""
    with client.stream("GET", url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_a_page_goes_out_as_brotli_to_a_browser_that_takes_it_and_smaller_than_gzip(
        floor: Floor, event: dict[str, Any]) -> None:
    guest = floor.participant()
    url = f"/e/{event['code']}"
    r, body = raw(guest, url, **{"Accept-Encoding": CHROME})
    assert r.headers["content-encoding"] == "br" and "Accept-Encoding" in r.headers["vary"]
    html = brotli.decompress(body).decode()
    assert event["title"] in html and html.rstrip().endswith("</html>")
    g, gz = raw(guest, url, **{"Accept-Encoding": "gzip"})
    assert g.headers["content-encoding"] == "gzip"
    assert len(body) < len(gz) * 0.95, (len(body), len(gz))
    plain, identity = raw(guest, url, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and identity.decode().rstrip().endswith("</html>")


def test_a_json_answer_is_compressed_too(floor: Floor, event: dict[str, Any]) -> None:
    r, body = raw(floor.participant(), "/openapi.json", **{"Accept-Encoding": CHROME})
    assert r.headers["content-encoding"] == "br" and brotli.decompress(body).startswith(b"{")


@pytest.mark.parametrize("name", ["attendee.js", "floor.css"])
def test_a_static_file_is_sent_as_compressed_once_at_the_best_setting(floor: Floor, name: str) -> None:
    guest = floor.participant()
    served = pages.served_text(str(pages.STATIC / name), (pages.STATIC / name).stat().st_mtime_ns)
    r, body = raw(guest, pages.static_url(name), **{"Accept-Encoding": CHROME})
    assert r.headers["content-encoding"] == "br" and r.headers["vary"] == "Accept-Encoding"
    assert r.headers["cache-control"] == pages.IMMUTABLE
    # once: the bytes decode, in one step, to the minified file; and they are the quality-11 stream, not the
    # middleware's quality-5 one
    assert brotli.decompress(body) == served.body and body == brotli.compress(served.body, quality=11)
    assert int(r.headers["content-length"]) == len(body)
    g, gz = raw(guest, pages.static_url(name), **{"Accept-Encoding": "gzip"})
    assert g.headers["content-encoding"] == "gzip" and gzip.decompress(gz) == served.body
    assert len(body) < len(gz)
    p, plain = raw(guest, pages.static_url(name), **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in p.headers and plain == served.body


def test_each_coding_of_a_revalidated_file_has_its_own_validator(floor: Floor) -> None:
    guest = floor.participant()
    br, _ = raw(guest, "/static/floor.css", **{"Accept-Encoding": CHROME})
    gz, _ = raw(guest, "/static/floor.css", **{"Accept-Encoding": "gzip"})
    assert br.headers["cache-control"] == "no-cache"
    assert br.headers["etag"] != gz.headers["etag"] and br.headers["etag"].endswith('-br"')
    same = guest.get("/static/floor.css", headers={"Accept-Encoding": CHROME, "If-None-Match": br.headers["etag"]})
    assert same.status_code == 304
    other = guest.get("/static/floor.css", headers={"Accept-Encoding": CHROME, "If-None-Match": gz.headers["etag"]})
    assert other.status_code == 200 and other.headers["content-encoding"] == "br"


def test_a_range_is_of_the_uncompressed_bytes_whatever_the_browser_accepts(floor: Floor) -> None:
    guest = floor.participant()
    name = "attendee.js"
    served = pages.served_text(str(pages.STATIC / name), (pages.STATIC / name).stat().st_mtime_ns)
    r, body = raw(guest, pages.static_url(name), **{"Accept-Encoding": CHROME, "Range": "bytes=10-29"})
    assert r.status_code == 206 and "content-encoding" not in r.headers
    assert body == served.body[10:30] and r.headers["content-range"] == f"bytes 10-29/{len(served.body)}"


def test_a_websocket_works_when_the_browser_offers_brotli(floor: Floor, event: dict[str, Any]) -> None:
    guest = floor.participant()
    with guest.websocket_connect(f"/ws/events/{event['code']}", headers={"Accept-Encoding": CHROME}) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ws.send_json({"type": "ping"})
        while ws.receive_json()["type"] != "pong":
            pass
