"""Fit an ensemble: the member weights and the per-label thresholds that score best on dev."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

from stancewire.models.ensemble import EnsembleLabeler
from stancewire.models.registry import load_labeler
from stancewire.models.schema import Article
from stancewire.training.thresholds import best_threshold

WEIGHT_GRID = (0.25, 0.4, 0.5, 0.6, 0.75)


def fit_ensemble(members: Sequence[str], dev: list[Article]) -> EnsembleLabeler:
    """Average already trained labellers; choose weights and thresholds on ``dev``.

    With two members the first one's weight is picked from :data:`WEIGHT_GRID` by dev types macro-F1 (with
    thresholds tuned for each candidate); with more, weights are equal. Ties go to the earlier grid value.

    Example:
        >>> model = fit_ensemble(["default", "tfidf-logreg"], load_articles("fixtures/dev.jsonl"))  # doctest: +SKIP
        >>> model.weights  # doctest: +SKIP
        [0.5, 0.5]
    """
    loaded = [load_labeler(m) for m in members]
    texts = [p.text for a in dev for p in a.paragraphs]
    if not texts:
        raise ValueError("The dev split is empty: an ensemble's weights and thresholds are chosen on dev.")
    names = loaded[0].taxonomy.type_names
    gold = np.array([[n in p.types for n in names] for a in dev for p in a.paragraphs])
    probabilities = [m.type_probabilities(texts) for m in loaded]
    candidates = [[w, 1 - w] for w in WEIGHT_GRID] if len(loaded) == 2 else [[1.0] * len(loaded)]
    best: tuple[float, list[float], dict[str, float]] | None = None
    for weights in candidates:
        averaged = sum(w * p for w, p in zip(weights, probabilities, strict=True)) / sum(weights)
        thresholds = {n: best_threshold(averaged[:, i], gold[:, i]) for i, n in enumerate(names)}
        predicted = averaged >= np.array([thresholds[n] for n in names])
        f1 = float(f1_score(gold, predicted, average="macro", zero_division=0))  # as trainer.score computes it
        if best is None or f1 > best[0] + 1e-12:
            best = (f1, weights, thresholds)
    _, weights, thresholds = best
    return EnsembleLabeler(loaded, weights=weights, thresholds=thresholds)
