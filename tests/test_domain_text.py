"""The text rules every user string passes: bounds after trimming, NFC, control characters, layout tricks."""

from __future__ import annotations

import time

import pytest

from qa.domain import questions, text
from qa.domain.errors import Invalid
from qa.domain.limits import Limits
from qa.domain.model import Event

LIMITS = Limits()


def event() -> Event:
    return Event(code="panel", title="Panel", moderator_token="m", presenter_token="p", epoch="e",
                 created_at=time.time())


def ask(body: dict[str, object]) -> questions.Question:
    return questions.new_question(1, body, author="alice", event=event(), now=time.time(), limits=LIMITS)


def invalid_code(body: dict[str, object]) -> str:
    with pytest.raises(Invalid) as caught:
        ask(body)
    return caught.value.code


def test_question_text_is_trimmed_before_its_bounds_are_checked() -> None:
    assert ask({"text": "   ok   "}).text == "ok"
    assert ask({"text": " " * 10 + "x" * 500 + "\n\n"}).text == "x" * 500
    assert invalid_code({"text": "  a  "}) == "too_short"
    assert invalid_code({"text": "x" * 501}) == "too_long"
    assert invalid_code({"text": "   "}) == "too_short"


def test_question_text_of_exactly_two_and_five_hundred_characters_is_accepted() -> None:
    assert ask({"text": "ab"}).text == "ab"
    assert len(ask({"text": "é" * 500}).text) == 500


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\t", "\r"])
def test_control_characters_are_rejected_not_stripped(bad: str) -> None:
    assert invalid_code({"text": f"Why {bad} this?"}) == "invalid_text"


def test_newlines_are_kept_in_question_text_but_rejected_in_a_name() -> None:
    q = ask({"text": "First line\r\nsecond line\n\n\n\nthird"})
    assert q.text == "First line\nsecond line\n\nthird"
    assert invalid_code({"text": "Fine question", "name": "Ann\nLee"}) == "invalid_text"
    assert invalid_code({"text": "Fine question", "affiliation": "ACME\x00"}) == "invalid_text"


def test_text_is_normalised_to_nfc_and_measured_after_it() -> None:
    decomposed = "Cafe\u0301?"
    q = ask({"text": decomposed})
    assert q.text == "Café?"
    assert len(ask({"text": "e\u0301" * 500}).text) == 500  # 1000 code points in, 500 after NFC


def test_bidi_overrides_and_invisible_characters_are_neutralised() -> None:
    q = ask({"text": "Is \u202egnp.exe\u202c safe\u200b?", "name": "\u2066Ann\u2069"})
    assert q.text == "Is gnp.exe safe?"
    assert q.name == "Ann"
    assert not any(ch in q.text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b")


def test_a_question_of_only_invisible_characters_is_too_short() -> None:
    assert invalid_code({"text": "\u202e\u200b\u202e"}) == "too_short"


def test_name_and_affiliation_bounds() -> None:
    q = ask({"text": "Question?", "name": "n" * 60, "affiliation": "a" * 80})
    assert (q.name, q.affiliation) == ("n" * 60, "a" * 80)
    assert invalid_code({"text": "Question?", "name": "n" * 61}) == "too_long"
    assert invalid_code({"text": "Question?", "affiliation": "a" * 81}) == "too_long"


def test_blank_name_means_no_name_and_anonymous_drops_both() -> None:
    q = ask({"text": "Question?", "name": "   ", "affiliation": ""})
    assert (q.name, q.affiliation) == (None, None)
    q = ask({"text": "Question?", "name": "Ann", "affiliation": "ACME", "anonymous": True})
    assert (q.name, q.affiliation) == (None, None)


@pytest.mark.parametrize("body", [{"text": 42}, {"text": ["a", "b"]}, {"text": "ok?", "name": 7},
                                  {"text": "ok?", "anonymous": "yes"}])
def test_wrong_types_are_invalid(body: dict[str, object]) -> None:
    assert invalid_code(body) == "invalid_type"


def test_unknown_and_missing_fields_are_invalid() -> None:
    assert invalid_code({"text": "Question?", "colour": "red"}) == "unknown_field"
    assert invalid_code({"name": "Ann"}) == "missing_field"
    assert invalid_code({"text": None}) == "missing_field"


def test_lone_surrogates_are_invalid() -> None:
    assert invalid_code({"text": "bad \udc80 text"}) == "invalid_text"


def test_word_cloud_entries_fold_by_case_and_surrounding_space() -> None:
    assert text.fold_word("  Hello ") == text.fold_word("hELLO") == "hello"
    assert text.fold_word("Stra\u00dfe") == text.fold_word("STRASSE")
