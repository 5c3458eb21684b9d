"""Text rules shared by every user-supplied string: NFC, no control characters, no layout tricks."""

from __future__ import annotations

import re
import unicodedata

from qa.domain.errors import Invalid

# Bidi embeddings/overrides/isolates can flip the rest of a page; zero-width spaces can hide text.
# They are removed (neutralised); genuine control characters are rejected instead.
_LAYOUT_TRICKS = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff\u200e\u200f\u061c"
                            # invisible operators, deprecated format controls, interlinear annotations
                            "\u2061-\u2064\u206a-\u206f\ufff9-\ufffb"
                            # blank-looking fillers (Hangul, Mongolian) that make a name or text look empty
                            "\u115f\u1160\u3164\uffa0\u180e"
                            # tag characters: invisible text riding along (hidden prompts, hidden words)
                            "\U000e0000-\U000e007f]")
# Line and paragraph separators are line breaks: allowed where a newline is, refused where it is not.
_LINE_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})
MARKS_PER_GRAPHEME = 4  # combining marks kept after one base character (enough for every script's stacking)
VARIATION_SELECTORS_PER_GRAPHEME = 1
_ZW_JOINER_RUNS = re.compile("[\u200c\u200d]{2,}")
_SPACES = re.compile(r"[ \t]+")
_ALLOWED_CONTROLS = {"\n"}


def clean(value: object, field: str, *, min_len: int = 0, max_len: int, multiline: bool = False) -> str:
    """Validate and normalise one user string; raise Invalid with a message naming the field."""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string.", "invalid_type")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{field} contains an invalid character (lone surrogate).", "invalid_text") from None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").translate(_LINE_SEPARATORS)
    allowed = _ALLOWED_CONTROLS if multiline else set()
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in allowed:
            raise Invalid(f"{field} contains a control character.", "invalid_text")
    text = _bound_marks(_LAYOUT_TRICKS.sub("", text))
    text = _ZW_JOINER_RUNS.sub(lambda m: m.group(0)[0], text)
    text = _SPACES.sub(" ", text)
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n")))
    text = text.strip()
    if len(text) < min_len:
        raise Invalid(f"{field} must be at least {min_len} characters.", "too_short")
    if len(text) > max_len:
        raise Invalid(f"{field} must be at most {max_len} characters.", "too_long")
    return text


def _is_variation_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def _bound_marks(text: str) -> str:
    """Drop combining marks past MARKS_PER_GRAPHEME and variation selectors past one after each base character:
    a stack of hundreds ("zalgo") would spill over the lines around it on every screen."""
    out: list[str] = []
    marks = selectors = 0
    for ch in text:
        if _is_variation_selector(ch):
            selectors += 1
            if selectors > VARIATION_SELECTORS_PER_GRAPHEME:
                continue
        elif unicodedata.category(ch) in ("Mn", "Me"):
            marks += 1
            if marks > MARKS_PER_GRAPHEME:
                continue
        else:
            marks = selectors = 0
        out.append(ch)
    return "".join(out)


def optional(value: object, field: str, *, max_len: int) -> str | None:
    """Like clean(), but None or blank means 'not given'."""
    if value is None:
        return None
    text = clean(value, field, max_len=max_len)
    return text or None


def fold_word(value: str) -> str:
    """Word-cloud entries count together regardless of case and surrounding white space."""
    return unicodedata.normalize("NFC", value).strip().casefold()
