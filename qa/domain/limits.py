"""Every bound on user input, in one place; settings may override the defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    question_min: int = 2
    question_max: int = 500
    name_max: int = 60
    affiliation_max: int = 80
    delegation_max: int = 80
    title_max: int = 120
    code_min: int = 3
    code_max: int = 32
    poll_title_max: int = 200
    options_min: int = 2
    options_max: int = 12
    option_max: int = 120
    scale_min: int = 2
    scale_max: int = 10
    label_max: int = 40
    words_max: int = 3
    word_max: int = 25
    note_max: int = 280
    segment_title_max: int = 120
    segments_max: int = 50
    policy_max: int = 4000
    blocked_words_max: int = 200
    blocked_word_max: int = 40
    polls_max: int = 200
    questions_max: int = 20000
    bans_max: int = 1000
    up_next_max: int = 10
    passcode_min: int = 3
    passcode_max: int = 64
