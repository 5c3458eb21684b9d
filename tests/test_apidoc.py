"""docs/api.md documents the API inside the repository, generated from the document /openapi.json serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from qa.web import apidoc
from qa.web.openapi_doc import DOCUMENT

ROOT = Path(__file__).resolve().parent.parent


def test_docs_api_md_is_the_current_rendering() -> None:
    text = apidoc.API_MD.read_text()
    assert apidoc.updated(text) == text, "docs/api.md is stale: run python3 -m qa.web.apidoc"


def test_every_operation_shape_and_error_code_is_on_the_page() -> None:
    text = apidoc.API_MD.read_text()
    for path, item in DOCUMENT["paths"].items():
        for method in apidoc.METHODS:
            if method in item:
                assert f"### `{method.upper()} {path}`" in text
    for name, schema in DOCUMENT["components"]["schemas"].items():
        assert f"### {name}\n" in text
        for part in schema.get("allOf", [schema]):
            for field in part.get("properties", {}):
                assert f"| `{field}` |" in text, (name, field)
    codes = {code for _, code, _ in apidoc.error_codes()}
    assert {"code_taken", "malformed_json", "rate_limited", "unavailable", "unknown_field"} <= codes
    for code in codes:
        assert f"| `{code}` |" in text


def test_a_stale_page_is_detected_and_regenerated(tmp_path: Path) -> None:
    stale = apidoc.API_MD.read_text().replace("### `GET /healthz`", "### `GET /old`")
    assert apidoc.updated(stale) != stale
    assert apidoc.updated(stale) == apidoc.API_MD.read_text()
    check = subprocess.run([sys.executable, "-m", "qa.web.apidoc", "--check"], cwd=ROOT, capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stderr


def test_nothing_in_the_repository_points_outside_it() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"\.\./shared|shared/PROTOCOL|PROTOCOL\.md|/work/")
    kinds = (".md", ".py", ".txt", ".toml", ".cfg", ".conf", ".js", ".html", ".service", ".sh")
    offenders = [name for name in tracked if name != "tests/test_apidoc.py" and name.endswith(kinds)
                 and (ROOT / name).is_file() and outside.search((ROOT / name).read_text(errors="replace"))]
    assert offenders == [], offenders
