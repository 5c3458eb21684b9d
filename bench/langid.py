"""`python -m bench.langid [ROUNDS]`: the question-language detector's accuracy and cost per question.

Reads the committed test set (tests/data/lang_questions.tsv: 50+ short panel questions per UN language),
prints accuracy per language, the one-off model load, and microseconds per question (median of ROUNDS passes).
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

from qa import language_id

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "lang_questions.tsv"


def load() -> list[tuple[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return [(row["language"], row["text"]) for row in csv.DictReader(f, delimiter="\t")]


def main(argv: list[str]) -> None:
    rounds = int(argv[0]) if argv else 5
    rows = load()
    started = time.perf_counter()
    language_id.warm()
    print(f"model load: {(time.perf_counter() - started) * 1000:.0f} ms (once per process)")
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    for language, text in rows:
        total[language] = total.get(language, 0) + 1
        right[language] = right.get(language, 0) + (language_id.detect(text) == language)
    for language in total:
        print(f"{language}: {right[language]}/{total[language]} = {100 * right[language] / total[language]:.1f}%")
    passes = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _, text in rows:
            language_id.detect(text)
        passes.append((time.perf_counter() - started) / len(rows) * 1e6)
    by_language = {}
    for language in total:
        texts = [t for lang, t in rows if lang == language]
        started = time.perf_counter()
        for text in texts:
            language_id.detect(text)
        by_language[language] = (time.perf_counter() - started) / len(texts) * 1e6
    print(f"cost: {statistics.median(passes):.1f} µs per question (median of {rounds} passes over {len(rows)})")
    print("by language: " + ", ".join(f"{k} {v:.1f} µs" for k, v in by_language.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
