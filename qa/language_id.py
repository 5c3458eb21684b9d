"""Which of the six UN languages a question is written in: the script decides Arabic, Russian and Chinese, and
py3langid (offline, its model ships in the wheel) tells English, French and Spanish apart. See docs/i18n.md."""

from __future__ import annotations

import asyncio
import threading
import unicodedata
from typing import Any

LATIN_LANGUAGES = ("en", "fr", "es")
_SCRIPT_LANGUAGE = {"ARABIC": "ar", "CYRILLIC": "ru", "CJK": "zh"}
_lock = threading.Lock()
_identifier: Any = None


def _model() -> Any:
    """The identifier, loaded once (about a second) and narrowed to the Latin-script languages Floor knows."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
                identifier.set_languages(list(LATIN_LANGUAGES))
                _identifier = identifier
    return _identifier


def warm() -> None:
    """Load the model now (at start-up) rather than on the first question."""
    _model()


async def detect_soon(text: str) -> str | None:
    """detect(), off the event loop while the model is still loading (the first questions after start-up)."""
    if _identifier is None:
        return await asyncio.to_thread(detect, text)
    return detect(text)


def _script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0]
    if word in ("ARABIC", "CYRILLIC", "LATIN", "CJK"):
        return word
    if word in ("HIRAGANA", "KATAKANA", "HANGUL"):
        return "OTHER"
    return None


def detect(text: str) -> str | None:
    """One of en, fr, es, ru, zh, ar for `text`, or None when it has no letters of those scripts."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = _script(char)
            if script is not None:
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    script = max(counts, key=lambda s: counts[s])
    if script == "OTHER":
        return None
    if script in _SCRIPT_LANGUAGE:
        return _SCRIPT_LANGUAGE[script]
    language, _ = _model().classify(text)
    return str(language)
