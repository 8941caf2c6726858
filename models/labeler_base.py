"""Shared ``predict`` for labellers that expose type and stance probabilities.

A subclass provides ``taxonomy``, ``thresholds``, ``type_probabilities(texts, batch_size)`` and
``stance_probabilities(pairs, batch_size)``; this class turns them into :class:`ParagraphPrediction`s,
so every model behind the registry answers in exactly the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.taxonomy import Taxonomy


class ProbabilisticLabeler:
    """Mixin: ``predict`` from probabilities plus per-label thresholds."""

    def predict(
        self, paragraphs: str | Sequence[str], targets: Sequence[str] | None = None, batch_size: int = 32
    ) -> ParagraphPrediction | list[ParagraphPrediction]:
        """Label paragraphs; a str gives one :class:`ParagraphPrediction`, a list gives a list.

        Args:
            paragraphs: One paragraph or a list of them.
            targets: Targets to score the stance toward (every paragraph against every target).
            batch_size: Inputs per model call.
        """
        single = isinstance(paragraphs, str)
        texts = check_texts([paragraphs] if single else list(paragraphs))
        targets = check_targets(targets)
        if not texts:
            return []
        type_probs, stance_probs = self.label_probabilities(texts, targets, batch_size)
        results = build_predictions(texts, targets, type_probs, stance_probs, self.taxonomy, self.thresholds)
        return results[0] if single else results

    def label_probabilities(
        self, texts: list[str], targets: list[str], batch_size: int = 32
    ) -> tuple[np.ndarray, np.ndarray]:
        """Type probabilities of ``texts`` and stance probabilities of every (target, text) pair, paragraph-major.

        One call per head here; a labeller that computes both in one pass overrides it.
        """
        type_probs = self.type_probabilities(texts, batch_size)
        pairs = [(target, text) for text in texts for target in targets]
        width = len(self.taxonomy.stances)
        stance_probs = self.stance_probabilities(pairs, batch_size) if pairs else np.zeros((0, width))
        return type_probs, stance_probs


def build_predictions(
    texts: list[str],
    targets: list[str],
    type_probs: np.ndarray,
    stance_probs: np.ndarray,
    taxonomy: Taxonomy,
    thresholds: dict[str, float],
) -> list[ParagraphPrediction]:
    """Predictions from probabilities, exactly as the labellers' own ``predict`` builds them.

    ``stance_probs`` holds one row per (paragraph, target), paragraph-major.
    """
    names, stances = taxonomy.type_names, taxonomy.stances
    cut = np.array([thresholds.get(n, 0.5) for n in names])
    results = []
    for i, text in enumerate(texts):
        probs = type_probs[i]
        rows = stance_probs[i * len(targets) : (i + 1) * len(targets)]
        results.append(
            ParagraphPrediction(
                text=text,
                types=[n for n, p, t in zip(names, probs, cut) if p >= t],
                type_scores={n: round(float(p), 6) for n, p in zip(names, probs)},
                stance={tg: stances[int(r.argmax())] for tg, r in zip(targets, rows)},
                stance_scores={
                    tg: {s: round(float(p), 6) for s, p in zip(stances, r)} for tg, r in zip(targets, rows)
                },
            )
        )
    return results


def check_texts(texts: list[Any]) -> list[str]:
    """Every paragraph must be a non-empty str; the error names its position."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"paragraph {i} must be a str; got {type(text).__name__}.")
        if not text.strip():
            raise ValueError(f"paragraph {i} is empty; pass non-empty paragraph texts.")
    return texts


def check_targets(targets: Sequence[str] | None) -> list[str]:
    """Stripped, de-duplicated targets; a single str is one target."""
    if targets is None:
        return []
    if isinstance(targets, str):
        targets = [targets]
    clean = [t.strip() if isinstance(t, str) else "" for t in targets]
    if any(not t for t in clean):
        raise ValueError(f"targets must be non-empty strings; got {list(targets)!r}.")
    return list(dict.fromkeys(clean))
