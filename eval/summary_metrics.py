"""Summary metrics per article (ROUGE, faithfulness counts, length, time) and their bootstrap-ready sums."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from stancewire.eval.faithfulness import Faithfulness

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
SUMMARY_HEADLINE = (
    *ROUGE_TYPES,
    "numbers_supported",
    "entities_supported",
    "unsupported_numbers",
    "unsupported_entities",
    "unsupported_numbers_before_guard",
    "unsupported_entities_before_guard",
    "guard_pass_rate",
    "draft_pass_rate",
    "fallback_rate",
    "length_words",
    "compression_ratio",
    "seconds_per_article",
)
"""Every summariser metric, each reported with a bootstrap interval."""
DRAFT_METRICS = ("unsupported_numbers_before_guard", "unsupported_entities_before_guard", "draft_pass_rate")
"""Metrics of the first LLM draft (before the guard): defined only for methods with a guarded draft."""

# Metric -> (numerator statistic, denominator statistic): every metric is a ratio of article sums.
RATIOS: dict[str, tuple[str, str]] = {
    **{name: (name, "articles") for name in ROUGE_TYPES},
    "numbers_supported": ("numbers_ok", "numbers"),
    "entities_supported": ("entities_ok", "entities"),
    "unsupported_numbers": ("numbers_bad", "articles"),
    "unsupported_entities": ("entities_bad", "articles"),
    "unsupported_numbers_before_guard": ("draft_numbers_bad", "drafts"),
    "unsupported_entities_before_guard": ("draft_entities_bad", "drafts"),
    "guard_pass_rate": ("passed", "articles"),
    "draft_pass_rate": ("draft_passed", "drafts"),
    "fallback_rate": ("fallback", "articles"),
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
        0.667
    """
    scores = _scorer().score("\n".join(sentences(reference)), "\n".join(s.strip() for s in prediction_sentences))
    return {name: float(scores[name].fmeasure) for name in ROUGE_TYPES}


def word_count(text: str) -> int:
    """Whitespace-separated words."""
    return len(text.split())


def summary_row(
    *,
    rouge_scores: dict[str, float],
    faithfulness: Faithfulness,
    fallback: bool,
    summary_words: int,
    source_words: int,
    seconds: float,
) -> dict[str, float]:
    """One article's additive statistics (draft statistics are zero, with ``drafts`` 0, when there is no draft)."""
    f = faithfulness
    has_draft = f.draft_passed is not None
    return {
        "articles": 1.0,
        **rouge_scores,
        "numbers": f.numbers,
        "numbers_ok": f.numbers_ok,
        "numbers_bad": f.numbers - f.numbers_ok,
        "entities": f.entities,
        "entities_ok": f.entities_ok,
        "entities_bad": f.entities - f.entities_ok,
        "passed": float(f.passed),
        "drafts": float(has_draft),
        "draft_numbers_bad": float(f.draft_bad_numbers or 0),
        "draft_entities_bad": float(f.draft_bad_entities or 0),
        "draft_passed": float(bool(f.draft_passed)),
        "fallback": float(fallback),
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
        >>> row = summary_row(rouge_scores=dict.fromkeys(ROUGE_TYPES, 0.5), faithfulness=Faithfulness(2, 1, 0, 0, 0),
        ...                   fallback=False, summary_words=10, source_words=100, seconds=0.1)
        >>> m = summary_metrics(stack_rows([row]))
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
