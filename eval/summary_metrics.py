"""Summary metrics per article (ROUGE, faithfulness counts, length, time) and their bootstrap-ready sums."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
SUMMARY_HEADLINE = (
    *ROUGE_TYPES,
    "numbers_supported",
    "entities_supported",
    "numbers_supported_before_guard",
    "entities_supported_before_guard",
    "fallback_rate",
    "guard_pass_rate",
    "length_words",
    "compression_ratio",
    "seconds_per_article",
)
"""Every summariser metric, each reported with a bootstrap interval."""

# Metric -> (numerator statistic, denominator statistic): every metric is a ratio of article sums.
RATIOS: dict[str, tuple[str, str]] = {
    **{name: (name, "articles") for name in ROUGE_TYPES},
    "numbers_supported": ("numbers_ok", "numbers"),
    "entities_supported": ("entities_ok", "entities"),
    "numbers_supported_before_guard": ("numbers_ok_before", "numbers_before"),
    "entities_supported_before_guard": ("entities_ok_before", "entities_before"),
    "fallback_rate": ("fallback", "articles"),
    "guard_pass_rate": ("passed", "articles"),
    "length_words": ("words", "articles"),
    "compression_ratio": ("compression", "articles"),
    "seconds_per_article": ("seconds", "articles"),
}


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    """Sentences of a text (pysbd), for ROUGE-Lsum's one-sentence-per-line input."""
    text = " ".join(text.split())
    return [s.strip() for s in _segmenter().segment(text) if s.strip()] if text else []


def rouge(prediction_sentences: Sequence[str], reference: str) -> dict[str, float]:
    """ROUGE-1/2/L/Lsum F-measures (rouge-score, Porter stemming on).

    ROUGE-L treats each text as one sequence; ROUGE-Lsum splits both into sentences (newline-joined) and
    takes the union LCS over sentence pairs, as in the summarisation literature.

    Example:
        >>> round(rouge(["Rebels took Goma."], "Rebels took the city of Goma.")["rouge1"], 3)
        0.75
    """
    scores = _scorer().score("\n".join(sentences(reference)), "\n".join(s.strip() for s in prediction_sentences))
    return {name: float(scores[name].fmeasure) for name in ROUGE_TYPES}


def word_count(text: str) -> int:
    """Whitespace-separated words."""
    return len(text.split())


def faithfulness_counts(report: Any, totals: Any) -> tuple[int, int, int, int]:
    """``(numbers, supported numbers, entities, supported entities)`` of one summary.

    Args:
        report: The guard report against the source (its ``unsupported_*`` lists).
        totals: The guard report against an empty source, where every number and entity is unsupported,
            so its lists hold all of them, found with the same extraction rules.
    """
    numbers, entities = len(totals.unsupported_numbers), len(totals.unsupported_entities)
    bad_numbers = min(len(report.unsupported_numbers), numbers)
    bad_entities = min(len(report.unsupported_entities), entities)
    return numbers, numbers - bad_numbers, entities, entities - bad_entities


def summary_row(
    *,
    rouge_scores: dict[str, float],
    faithfulness: tuple[int, int, int, int],
    faithfulness_before: tuple[int, int, int, int] | None,
    fallback: bool,
    passed: bool,
    summary_words: int,
    source_words: int,
    seconds: float,
) -> dict[str, float]:
    """One article's additive statistics. Before-guard counts fall back to the final ones when there is no draft."""
    numbers, numbers_ok, entities, entities_ok = faithfulness
    before = faithfulness_before or faithfulness
    return {
        "articles": 1.0,
        **rouge_scores,
        "numbers": numbers,
        "numbers_ok": numbers_ok,
        "entities": entities,
        "entities_ok": entities_ok,
        "numbers_before": before[0],
        "numbers_ok_before": before[1],
        "entities_before": before[2],
        "entities_ok_before": before[3],
        "fallback": float(fallback),
        "passed": float(passed),
        "words": summary_words,
        "compression": summary_words / source_words if source_words else 0.0,
        "seconds": seconds,
    }


def stack_rows(rows: Sequence[dict[str, float]]) -> dict[str, np.ndarray]:
    """Per-article rows into statistic arrays of shape ``(n_articles,)``."""
    if not rows:
        raise ValueError("No summarised article to score.")
    return {key: np.array([row[key] for row in rows], dtype=float) for key in rows[0]}


def summary_metrics(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every summariser metric as a ratio of summed statistics (``nan`` when the denominator is 0).

    Example:
        >>> m = summary_metrics(stack_rows([summary_row(rouge_scores=dict.fromkeys(ROUGE_TYPES, 0.5),
        ...     faithfulness=(2, 1, 0, 0), faithfulness_before=None, fallback=False, passed=True,
        ...     summary_words=10, source_words=100, seconds=0.1)]) | {})
        >>> float(m["numbers_supported"][0]), bool(np.isnan(m["entities_supported"][0]))
        (0.5, True)
    """
    out = {}
    for metric, (numerator, denominator) in RATIOS.items():
        top, bottom = np.asarray(sums[numerator], dtype=float), np.asarray(sums[denominator], dtype=float)
        value = np.full(np.broadcast(top, bottom).shape, np.nan)
        np.divide(top, bottom, out=value, where=bottom > 0)
        out[metric] = value
    return out
