"""Poll rules: each kind's validation, answers reduced to counter keys, and results from counters."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from qa.domain import polls
from qa.domain.errors import Conflict, Invalid
from qa.domain.limits import Limits
from qa.domain.model import Poll, PollKind, PollStatus, PollTally, ResultsVisibility

LIMITS = Limits()


def new(**body: Any) -> Poll:
    return polls.new_poll(1, {"title": "Poll?", **body}, now=0.0, segment=None, limits=LIMITS)


def invalid(**body: Any) -> str:
    with pytest.raises(Invalid) as caught:
        new(**body)
    return caught.value.code


def opened(poll: Poll) -> Poll:
    return dataclasses.replace(poll, status=PollStatus.OPEN, opened_once=True)


def keys(poll: Poll, body: Any) -> list[str]:
    return polls.answer_keys(poll, body, LIMITS)


def answer_invalid(poll: Poll, body: Any) -> None:
    with pytest.raises(Invalid):
        keys(poll, body)


# -- creating ----------------------------------------------------------------------------------------

def test_a_new_poll_is_closed_with_live_results_by_default() -> None:
    poll = new(kind="single", options=["Yes", "No"])
    assert poll.status is PollStatus.CLOSED and not poll.opened_once
    assert poll.results is ResultsVisibility.LIVE
    assert poll.options == ["Yes", "No"]


def test_choice_polls_take_two_to_twelve_options_of_at_most_120_characters() -> None:
    assert len(new(kind="single", options=[str(i) for i in range(12)]).options) == 12
    assert new(kind="multiple", options=["a" * 120, "b"]).options[0] == "a" * 120
    assert invalid(kind="single", options=["Only one"]) == "invalid_options"
    assert invalid(kind="single", options=[str(i) for i in range(13)]) == "invalid_options"
    assert invalid(kind="single", options=["a" * 121, "b"]) == "too_long"
    assert invalid(kind="single", options=["fine", "  "]) == "too_short"
    assert invalid(kind="single") == "invalid_options"
    assert invalid(kind="single", options="Yes,No") == "invalid_options"
    assert invalid(kind="single", options=["ok", "bad\x07"]) == "invalid_text"


def test_max_choices_belongs_to_multiple_choice_and_fits_the_options() -> None:
    assert new(kind="multiple", options=["a", "b", "c"], max_choices=2).max_choices == 2
    assert invalid(kind="multiple", options=["a", "b", "c"], max_choices=4) == "out_of_range"
    assert invalid(kind="multiple", options=["a", "b", "c"], max_choices=0) == "out_of_range"
    assert invalid(kind="single", options=["a", "b"], max_choices=1) == "invalid_field"


def test_rating_scale_is_two_to_ten_defaulting_to_five_with_optional_labels() -> None:
    assert new(kind="rating").scale == 5
    assert new(kind="rating", scale=2).scale == 2
    assert new(kind="rating", scale=10, labels=["Awful", "Great"]).labels == ["Awful", "Great"]
    assert invalid(kind="rating", scale=1) == "out_of_range"
    assert invalid(kind="rating", scale=11) == "out_of_range"
    assert invalid(kind="rating", scale="5") == "invalid_type"
    assert invalid(kind="rating", labels=["only low"]) == "invalid_labels"
    assert invalid(kind="rating", options=["a", "b"]) == "invalid_field"
    assert invalid(kind="single", options=["a", "b"], scale=5) == "invalid_field"


def test_a_null_scale_means_the_default() -> None:
    assert new(kind="rating", scale=None).scale == 5


def test_a_word_cloud_has_no_options() -> None:
    assert new(kind="wordcloud").options == []
    assert invalid(kind="wordcloud", options=["a", "b"]) == "invalid_field"


def test_unknown_kind_visibility_or_field_is_invalid() -> None:
    assert invalid(kind="ranking", options=["a", "b"]) == "invalid_choice"
    assert invalid(kind="single", options=["a", "b"], results="sometimes") == "invalid_choice"
    assert invalid(kind="single", options=["a", "b"], colour="red") == "unknown_field"
    with pytest.raises(Invalid):
        polls.new_poll(1, {"kind": "wordcloud"}, now=0.0, segment=None, limits=LIMITS)


# -- editing -----------------------------------------------------------------------------------------

def test_edit_without_answers_keeps_what_it_does_not_change() -> None:
    poll = new(kind="single", options=["a", "b"], results="closed")
    edited = polls.edit_poll(poll, {"title": "Renamed?"}, has_answers=False, limits=LIMITS)
    assert (edited.title, edited.options, edited.results) == ("Renamed?", ["a", "b"], ResultsVisibility.CLOSED)
    edited = polls.edit_poll(poll, {"kind": "rating", "scale": 3}, has_answers=False, limits=LIMITS)
    assert (edited.kind, edited.options, edited.scale) == (PollKind.RATING, [], 3)


def test_null_fields_in_an_edit_change_nothing() -> None:
    poll = new(kind="single", options=["a", "b"])
    edited = polls.edit_poll(poll, {"title": None, "kind": None, "options": ["x", "y"]}, has_answers=False,
                             limits=LIMITS)
    assert (edited.title, edited.kind, edited.options) == ("Poll?", PollKind.SINGLE, ["x", "y"])


def test_a_poll_with_answers_cannot_be_edited() -> None:
    with pytest.raises(Conflict):
        polls.edit_poll(new(kind="single", options=["a", "b"]), {"title": "New?"}, has_answers=True, limits=LIMITS)


# -- answering ---------------------------------------------------------------------------------------

def test_answering_a_closed_poll_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        keys(new(kind="single", options=["a", "b"]), {"choices": [0]})


def test_single_choice_takes_exactly_one_option_in_range() -> None:
    poll = opened(new(kind="single", options=["a", "b", "c"]))
    assert keys(poll, {"choices": [2]}) == ["2"]
    for bad in ({"choices": [3]}, {"choices": [-1]}, {"choices": [0, 1]}, {"choices": []}, {"choices": ["0"]},
                {"choices": [True]}, {"rating": 1}, {"choices": 0}, [0]):
        answer_invalid(poll, bad)


def test_multiple_choice_takes_distinct_options_up_to_max_choices() -> None:
    poll = opened(new(kind="multiple", options=["a", "b", "c", "d"], max_choices=2))
    assert keys(poll, {"choices": [3, 1]}) == ["1", "3"]
    answer_invalid(poll, {"choices": [0, 1, 2]})
    answer_invalid(poll, {"choices": [1, 1]})


def test_rating_is_one_to_the_scale() -> None:
    poll = opened(new(kind="rating", scale=4))
    assert keys(poll, {"rating": 4}) == ["4"]
    for bad in ({"rating": 0}, {"rating": 5}, {"rating": 2.5}, {"choices": [1]}):
        answer_invalid(poll, bad)


def test_word_cloud_takes_up_to_three_short_entries_folded_together() -> None:
    poll = opened(new(kind="wordcloud"))
    assert keys(poll, {"words": ["  Rust ", "rust", "Cafe\u0301"]}) == ["rust", "café"]
    assert keys(poll, {"words": ["Open  Source"]}) == ["open source"]
    assert keys(poll, {"words": ["w" * 25]}) == ["w" * 25]
    for bad in ({"words": []}, {"words": ["a", "b", "c", "d"]}, {"words": ["w" * 26]}, {"words": [" "]},
                {"words": "rust"}, {"words": ["bad\x00"]}):
        answer_invalid(poll, bad)


# -- results ------------------------------------------------------------------------------------------

def test_choice_results_count_per_option() -> None:
    poll = new(kind="multiple", options=["a", "b", "c"])
    result = polls.results(poll, PollTally({"0": 2, "2": 1}, voters=2))
    assert result["counts"] == [2, 0, 1]


def test_rating_results_count_per_scale_point_with_the_mean() -> None:
    poll = new(kind="rating", scale=3)
    result = polls.results(poll, PollTally({"1": 1, "3": 3}, voters=4))
    assert result["counts"] == [1, 0, 3]
    assert result["mean"] == 2.5
    assert polls.results(poll, PollTally())["mean"] is None


def test_word_results_are_most_frequent_first() -> None:
    poll = new(kind="wordcloud")
    result = polls.results(poll, PollTally({"go": 1, "rust": 3, "zig": 0}, voters=3))
    assert result == {"words": [{"text": "rust", "count": 3}, {"text": "go", "count": 1}]}
