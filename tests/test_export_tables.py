"""Export split into one CSV per table (`table=questions` / `polls`), formula-safe; the combined CSV unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.inprocess import Floor, Moderator, ask


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_each_table_is_its_own_csv_and_formula_safe(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "=HYPERLINK(\"http://x\")?", name="@admin")
    poll = mod.create_poll(title="+Cap at 6 months?", kind="single", options=["-Yes", "No"])
    questions = floor.host.get("/api/events/panel/export?format=csv&table=questions", headers=mod.auth)
    assert questions.status_code == 200 and questions.headers["content-type"].startswith("text/csv")
    assert 'filename="floor-panel-questions.csv"' in questions.headers["content-disposition"]
    table = rows(questions.text)
    assert table[0][:3] == ["id", "text", "name"] and len(table) == 2
    assert table[1][0] == str(q["id"]) and table[1][1].startswith("'=") and table[1][2] == "'@admin"
    polls = rows(floor.host.get("/api/events/panel/export?format=csv&table=polls", headers=mod.auth).text)
    assert polls[0] == ["poll_id", "poll_title", "kind", "option", "count", "voters"]
    assert [r[3] for r in polls[1:]] == ["'-Yes", "No"] and polls[1][1] == "'+Cap at 6 months?"
    assert polls[1][0] == str(poll["id"])
    combined = rows(floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth).text)
    assert combined[0][0] == "section" and combined[1][0] == "question" and [] in combined


def test_a_table_needs_csv_and_a_known_name(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    for query in ("format=csv&table=votes", "format=json&table=questions"):
        response = floor.host.get(f"/api/events/panel/export?{query}", headers=mod.auth)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_table"
    assert floor.host.get("/api/events/panel/export?format=csv&table=polls").status_code == 401
