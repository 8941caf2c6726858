"""Decisions tuned on dev data: per-label thresholds of the type head and the stance head's ``none`` shift."""

from __future__ import annotations

import numpy as np

from stancewire.models.schema import Article
from stancewire.models.stance_prior import shift_none

GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
SHIFT_GRID = np.round(np.arange(-1.0, 2.001, 0.25), 2)


def best_threshold(probabilities: np.ndarray, gold: np.ndarray, default: float = 0.5) -> float:
    """The threshold on ``probabilities`` that maximises F1 against boolean ``gold``.

    Ties go to the threshold nearest ``default``; with no positive in ``gold`` the default is kept, since
    dev data cannot tell us anything about that label.

    Example:
        >>> best_threshold(np.array([0.9, 0.3, 0.2]), np.array([True, True, False]))
        0.3
    """
    if not gold.any():
        return default
    best, best_f1 = default, -1.0
    for threshold in sorted(GRID, key=lambda t: abs(t - default)):
        f1 = _f1(probabilities >= threshold, gold)
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


def best_none_shift(probabilities: np.ndarray, gold: np.ndarray, none_index: int) -> float:
    """The ``none`` shift (from ``SHIFT_GRID``) that maximises the mean F1 of the other stance classes.

    ``probabilities`` are unshifted stance rows, ``gold`` class indices. Ties go to the shift nearest 0, and 0
    is kept when ``gold`` has no favor or against: dev data cannot tell us anything then.

    Example:
        >>> probs = np.array([[0.6, 0.1, 0.3], [0.45, 0.1, 0.45], [0.1, 0.6, 0.3], [0.1, 0.2, 0.7]])
        >>> best_none_shift(probs, np.array([0, 2, 1, 2]), none_index=2)
        0.25
    """
    others = [c for c in range(probabilities.shape[1]) if c != none_index]
    if not np.isin(gold, others).any():
        return 0.0
    best, best_f1 = 0.0, -1.0
    for shift in sorted(SHIFT_GRID, key=abs):
        predicted = shift_none(probabilities, float(shift), none_index).argmax(axis=1)
        f1 = np.mean([_f1(predicted == c, gold == c) for c in others])
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(shift), f1
    return best


def tune_none_shift(model, articles: list[Article]) -> float:
    """The ``none`` shift for ``model`` (a :class:`ParagraphClassifier`) on the labelled pairs of ``articles``.

    The model's own current shift is undone first, so tuning twice gives the same answer.
    """
    pairs = [(t, p.text) for a in articles for p in a.paragraphs for t in p.stance]
    if not pairs:
        return 0.0
    stances = list(model.taxonomy.stances)
    none = stances.index("none")
    probabilities = shift_none(model.stance_probabilities(pairs), -model.config.stance_none_shift, none)
    gold = np.array([stances.index(s) for a in articles for p in a.paragraphs for s in p.stance.values()])
    return best_none_shift(probabilities, gold, none)


def _f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = float((predicted & gold).sum())
    return 2 * tp / (predicted.sum() + gold.sum()) if predicted.any() or gold.any() else 0.0
