"""A prior shift for stance probabilities: how much more likely ``none`` is than the trained head says.

Training weights the rare classes (favor, against) up, so the stance head's probabilities under-state
``none``. A shift ``s`` multiplies the ``none`` probability by ``exp(s)`` and renormalises, the standard
correction of a class prior (logit adjustment). Training tunes ``s`` on dev, like the type thresholds, and
saves it with the model; the probabilities a model reports and the stance it picks both include it.
"""

from __future__ import annotations

import numpy as np


def shift_none(probabilities: np.ndarray, shift: float, none_index: int) -> np.ndarray:
    """Stance probabilities (rows of favor/against/none) with ``none`` multiplied by ``exp(shift)``, renormalised.

    Example:
        >>> shift_none(np.array([[0.25, 0.25, 0.5]]), float(np.log(3)), 2).round(3).tolist()
        [[0.125, 0.125, 0.75]]
    """
    if not shift or not len(probabilities):
        return probabilities
    shifted = probabilities.astype(np.float64, copy=True)
    shifted[:, none_index] *= np.exp(shift)
    return (shifted / shifted.sum(axis=1, keepdims=True)).astype(probabilities.dtype)
