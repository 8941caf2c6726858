"""Faithfulness counts of a summary: how many of its numbers and names the source supports.

The guard of :mod:`stancewire.models.summarize.guard` lists what is unsupported; the totals come from the same
number and name finders with the same rules, so ``supported = total - unsupported``. Both sides count distinct
spans (the guard reports each unsupported span once). For LLM methods the summary keeps the guard's report on
the first draft (``guard_before``), not the draft itself, so the draft is described by its unsupported counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stancewire.models.schema import Article


@dataclass(frozen=True)
class Faithfulness:
    """Numbers and names of the final summary and what the guard found in the first draft.

    Attributes:
        numbers: Distinct numbers in the summary; ``numbers_ok`` of them are in the source.
        entities: Distinct names in the summary; ``entities_ok`` of them are in the source.
        passed: The final summary passed the guard (numbers, names and attributions).
        draft_bad_numbers: Unsupported numbers of the first LLM draft (``None`` without a draft).
        draft_bad_entities: Unsupported names of the first LLM draft (``None`` without a draft).
        draft_passed: The first draft passed the guard (``None`` without a draft).

    Example:
        >>> Faithfulness(numbers=2, numbers_ok=1, entities=0, entities_ok=0, passed=False).draft_passed is None
        True
    """

    numbers: int
    numbers_ok: int
    entities: int
    entities_ok: int
    passed: bool
    draft_bad_numbers: int | None = None
    draft_bad_entities: int | None = None
    draft_passed: bool | None = None


FaithfulnessCounter = Callable[[Any, Article], Faithfulness]
"""``(summary, article) -> Faithfulness``."""


def summary_mentions(summary: str, source: str) -> tuple[list[str], list[str]]:
    """The distinct numbers and names of a summary, found as the guard finds them (names judged with the
    source's and the summary's lower-case words)."""
    from stancewire.models.summarize.entities import find_entities, ordinary_words
    from stancewire.models.summarize.numbers import find_numbers
    from stancewire.models.summarize.text import split_sentences

    ordinary = ordinary_words(source) | ordinary_words(summary)
    sentences = split_sentences(summary)
    numbers = [m.text for s in sentences for m in find_numbers(s)]
    entities = [e.text for s in sentences for e in find_entities(s, ordinary)]
    return list(dict.fromkeys(numbers)), list(dict.fromkeys(entities))


def support_counts(summary: str, source: str) -> tuple[int, int, int, int, bool]:
    """``(numbers, supported numbers, names, supported names, passed)`` of ``summary`` against ``source``.

    Example:
        >>> support_counts("85,000 people fled Goma.", "Thousands fled Goma, 85 per cent of them women.")
        (1, 0, 1, 1, False)
    """
    from stancewire.models.summarize.guard import check_faithfulness

    report = check_faithfulness(summary, source)
    numbers, entities = summary_mentions(summary, source)
    bad_numbers = len(set(report.unsupported_numbers) & set(numbers))
    bad_entities = len(set(report.unsupported_entities) & set(entities))
    return len(numbers), len(numbers) - bad_numbers, len(entities), len(entities) - bad_entities, report.passed


def guard_counts(summary: Any, article: Article) -> Faithfulness:
    """Check the final summary against the article text; read the draft's counts from ``summary.guard_before``."""
    numbers, numbers_ok, entities, entities_ok, passed = support_counts(summary.text, article.text)
    draft = getattr(summary, "guard_before", None)
    return Faithfulness(
        numbers=numbers,
        numbers_ok=numbers_ok,
        entities=entities,
        entities_ok=entities_ok,
        passed=passed,
        draft_bad_numbers=len(draft.unsupported_numbers) if draft is not None else None,
        draft_bad_entities=len(draft.unsupported_entities) if draft is not None else None,
        draft_passed=draft.passed if draft is not None else None,
    )
