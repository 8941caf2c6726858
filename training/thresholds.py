"""Per-label decision thresholds for the multi-label type head, tuned on dev data."""

from __future__ import annotations

import numpy as np

from stancewire.models.schema import Article

GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def best_threshold(probabilities: np.ndarray, gold: np.ndarray, default: float = 0.5) -> float:
    """The threshold on ``probabilities`` that maximises F1 against boolean ``gold``.

    Ties go to the threshold nearest ``default``; with no positive in ``gold`` the default is kept, since
    dev data cannot tell us anything about that label.

    Example:
        >>> best_threshold(np.array([0.9, 0.3, 0.2]), np.array([True, True, False]))
        0.225
    """
    if not gold.any():
        return default
    best, best_f1 = default, -1.0
    for threshold in sorted(GRID, key=lambda t: abs(t - default)):
        predicted = probabilities >= threshold
        tp = float((predicted & gold).sum())
        f1 = 2 * tp / (predicted.sum() + gold.sum()) if predicted.any() or gold.any() else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(threshold), f1
    return best


def tune_thresholds(model, articles: list[Article]) -> dict[str, float]:
    """A threshold per type label of ``model`` (any object with ``taxonomy`` and ``type_probabilities``)."""
    texts = [p.text for a in articles for p in a.paragraphs]
    names = model.taxonomy.type_names
    if not texts:
        return {n: 0.5 for n in names}
    probabilities = model.type_probabilities(texts)
    gold = np.array([[n in p.types for n in names] for a in articles for p in a.paragraphs])
    return {n: best_threshold(probabilities[:, i], gold[:, i]) for i, n in enumerate(names)}
