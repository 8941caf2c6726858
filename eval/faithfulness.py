"""Faithfulness counts of a summary: how many of its numbers and names the source supports.

The guard of :mod:`stancewire.models.summarize.guard` lists what is unsupported; the totals come from the same
number and name finders with the same rules, so ``supported = total - unsupported``. Both sides count distinct
spans (the guard reports each unsupported span once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stancewire.models.schema import Article

Counts = tuple[int, int, int, int]
"""``(numbers, supported numbers, entities, supported entities)``."""
FaithfulnessCounter = Callable[[Any, Article], tuple[Counts, Counts | None]]
"""``(summary, article) -> (counts of the final summary, counts of the first LLM draft or None)``."""


def summary_mentions(summary: str, source: str) -> tuple[list[str], list[str]]:
    """The distinct numbers and names of a summary, as the guard finds them (names judged with the source's
    lower-case words, like the guard does)."""
    from stancewire.models.summarize.entities import find_entities, ordinary_words
    from stancewire.models.summarize.numbers import find_numbers
    from stancewire.models.summarize.text import split_sentences

    ordinary = ordinary_words(source) | ordinary_words(summary)
    sentences = split_sentences(summary)
    numbers = [m.text for s in sentences for m in find_numbers(s)]
    entities = [e.text for s in sentences for e in find_entities(s, ordinary)]
    return list(dict.fromkeys(numbers)), list(dict.fromkeys(entities))


def support_counts(summary: str, source: str) -> Counts:
    """Numbers and names of ``summary`` and how many of each ``source`` supports.

    Example:
        >>> support_counts("85,000 people fled Goma.", "Thousands fled Goma, 85 per cent of them women.")
        (1, 0, 1, 1)
    """
    from stancewire.models.summarize.guard import check_faithfulness

    report = check_faithfulness(summary, source)
    numbers, entities = summary_mentions(summary, source)
    bad_numbers = len(set(report.unsupported_numbers) & set(numbers))
    bad_entities = len(set(report.unsupported_entities) & set(entities))
    return len(numbers), len(numbers) - bad_numbers, len(entities), len(entities) - bad_entities


def draft_text(summary: Any) -> str | None:
    """The first LLM draft of a summary when the summariser kept it (``None`` for extractive methods)."""
    for name in ("draft", "draft_text", "text_before"):
        value = getattr(summary, name, None)
        if isinstance(value, str):
            return value
    return None


def guard_counts(summary: Any, article: Article) -> tuple[Counts, Counts | None]:
    """Counts of the final summary and, when the summariser had an LLM draft checked by the guard, of the draft."""
    source = article.text
    after = support_counts(summary.text, source)
    if getattr(summary, "guard_before", None) is None:
        return after, None
    draft = draft_text(summary)
    return after, support_counts(draft, source) if draft is not None else None
