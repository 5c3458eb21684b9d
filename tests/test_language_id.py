# ruff: noqa: RUF001  (Cyrillic letters and full-width punctuation are the point of these strings)
"""The question-language detector on the committed test set: >= 95% right for each UN language."""

from __future__ import annotations

import pytest

from bench.langid import load
from qa import language_id

LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")


def test_the_test_set_has_at_least_fifty_short_questions_per_language() -> None:
    rows = load()
    for language in LANGUAGES:
        texts = [t for lang, t in rows if lang == language]
        assert len(texts) >= 50, language
        assert len(set(texts)) == len(texts), language
    latin = [t for lang, t in rows if lang in ("en", "fr", "es")]
    assert min(len(t.split()) for t in latin) <= 4 and max(len(t.split()) for t in latin) >= 12


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_is_detected_at_least_95_percent_of_the_time(language: str) -> None:
    texts = [t for lang, t in load() if lang == language]
    wrong = [(t, language_id.detect(t)) for t in texts if language_id.detect(t) != language]
    assert len(wrong) <= len(texts) * 0.05, wrong


def test_script_decides_arabic_russian_and_chinese_even_with_latin_acronyms() -> None:
    assert language_id.detect("ما موقفكم من اللائحة العامة لحماية البيانات GDPR؟") == "ar"
    assert language_id.detect("Что вы думаете о GDPR и ЕС?") == "ru"
    assert language_id.detect("欧盟 GDPR 对我们有什么影响？") == "zh"


def test_text_without_letters_of_the_six_languages_has_no_language() -> None:
    assert language_id.detect("?? 42 !!") is None
    assert language_id.detect("データ保護はどうですか") is None  # Japanese kana: not one of the six
