"""Settings: every FLOOR_* variable is read in one place, typed by its default, and documented in the README."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from qa.settings import Settings, documented, markdown_table

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- settings:begin[^>]*-->\n(.*?)<!-- settings:end -->", readme, re.S)
    assert block is not None, "README.md lost its settings markers"
    assert block.group(1) == markdown_table(), "README.md's settings table is stale: run python3 -m qa.settings"


def test_every_variable_the_code_reads_is_documented() -> None:
    read = set()
    for path in (ROOT / "qa").rglob("*.py"):
        read |= set(re.findall(r"[\"'](FLOOR_[A-Z0-9_]+)[\"']", path.read_text()))
    names = {name for name, _, _ in documented()}
    assert read <= names, f"read but undocumented: {sorted(read - names)}"
    assert all(doc.strip() for _, _, doc in documented())


def test_values_are_parsed_by_the_type_of_their_default(tmp_path: Path) -> None:
    s = Settings.from_env({"FLOOR_DATA_DIR": str(tmp_path), "FLOOR_MAX_SOCKETS": "7", "FLOOR_COALESCE_SECONDS": "0.5",
                           "FLOOR_ALLOWED_ORIGINS": "https://a.example/, https://b.example",
                           "FLOOR_PUBLIC_URL": "https://floor.example/"})
    assert (s.sockets_total, s.coalesce_seconds) == (7, 0.5)
    assert s.allowed_origins == ("https://a.example", "https://b.example")
    assert s.public_url == "https://floor.example"
    assert s.data_dir == tmp_path and s.admin_token_generated and (tmp_path / "admin_token").exists()
    again = Settings.from_env({"FLOOR_DATA_DIR": str(tmp_path)})
    assert again.admin_token == s.admin_token and not again.admin_token_generated


@pytest.mark.parametrize(("name", "raw"), [("FLOOR_MAX_SOCKETS", "many"), ("FLOOR_COALESCE_SECONDS", "soon")])
def test_a_bad_value_stops_the_start_naming_the_variable(tmp_path: Path, name: str, raw: str) -> None:
    with pytest.raises(SystemExit, match=name):
        Settings.from_env({"FLOOR_DATA_DIR": str(tmp_path), name: raw})


def test_only_documented_fields_come_from_the_environment() -> None:
    undocumented = {f.name for f in fields(Settings) if "env" not in f.metadata}
    assert undocumented == {"limits", "instance_id", "admin_token_generated"}
