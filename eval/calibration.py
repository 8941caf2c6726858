"""Calibration: expected calibration error (ECE) and reliability diagrams from equal-width bins.

Bins are kept as additive sums (count, summed confidence, summed outcome) so the ECE can be bootstrapped
over articles. Two readings are used by the harness:

* paragraph types: every (paragraph, label) pair is a binary event; the confidence is the label's
  probability and the outcome is whether the gold labels contain it;
* stance: the confidence is the probability of the predicted class; the outcome is whether it is right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def bin_stats(confidences: Sequence[float], outcomes: Sequence[float], n_bins: int = 10) -> np.ndarray:
    """Sum confidences and outcomes into ``n_bins`` equal-width bins over [0, 1].

    Returns:
        Array ``(n_bins, 3)``: count, summed confidence, summed outcome per bin.

    Example:
        >>> bin_stats([0.05, 0.95, 0.9], [0, 1, 0], n_bins=2).tolist()
        [[1.0, 0.05, 0.0], [2.0, 1.85, 1.0]]
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1; got {n_bins}.")
    conf = np.clip(np.asarray(confidences, dtype=float), 0.0, 1.0)
    outcome = np.asarray(outcomes, dtype=float)
    if conf.shape != outcome.shape:
        raise ValueError(f"Got {conf.size} confidences but {outcome.size} outcomes; they must align.")
    index = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    out = np.zeros((n_bins, 3))
    np.add.at(out[:, 0], index, 1.0)
    np.add.at(out[:, 1], index, conf)
    np.add.at(out[:, 2], index, outcome)
    return out


def ece_from_bins(bins: np.ndarray) -> np.ndarray:
    """Expected calibration error from bin sums ``(..., n_bins, 3)``: sum |conf - outcome| / count.

    Example:
        >>> round(float(ece_from_bins(np.array([[2.0, 1.6, 2.0], [2.0, 0.4, 0.0]]))), 6)
        0.2
    """
    bins = np.asarray(bins, dtype=float)
    total = bins[..., 0].sum(-1)
    gap = np.abs(bins[..., 1] - bins[..., 2]).sum(-1)
    out = np.full(np.shape(total), np.nan)
    np.divide(gap, total, out=out, where=total > 0)
    return out


def expected_calibration_error(confidences: Sequence[float], outcomes: Sequence[float], n_bins: int = 10) -> float:
    """ECE of confidences against 0/1 outcomes; ``nan`` for no items.

    Example:
        >>> round(expected_calibration_error([0.9, 0.9, 0.2, 0.2], [1, 1, 0, 0], n_bins=10), 3)
        0.15
    """
    return float(ece_from_bins(bin_stats(confidences, outcomes, n_bins)))


def reliability_curve(bins: np.ndarray) -> list[dict[str, Any]]:
    """The points of a reliability diagram: per bin its range, count, mean confidence and observed frequency."""
    bins = np.asarray(bins, dtype=float)
    n_bins = len(bins)
    curve = []
    for i, (count, conf_sum, outcome_sum) in enumerate(bins):
        curve.append(
            {
                "low": i / n_bins,
                "high": (i + 1) / n_bins,
                "count": int(count),
                "confidence": float(conf_sum / count) if count else None,
                "frequency": float(outcome_sum / count) if count else None,
            }
        )
    return curve
