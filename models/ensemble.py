"""``ensemble``: a weighted average of other labellers' probabilities, with its own per-label thresholds.

Models that err differently average to fewer errors: the fine-tuned encoder and the TF-IDF baseline, for
one, read different evidence (contextual meaning against exact words). Members are stored by name or path in
``config.json`` and loaded through the registry, so an ensemble folder holds no weights of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stancewire.models.labeler_base import ProbabilisticLabeler
from stancewire.models.registry import load_labeler, register_kind
from stancewire.models.saved_config import read_config, write_config


@register_kind("ensemble.v1")
class EnsembleLabeler(ProbabilisticLabeler):
    """Average the type and stance probabilities of several labellers that share one taxonomy.

    Args:
        members: Loaded labellers, or names/paths for :func:`~stancewire.models.registry.load_labeler`.
        weights: One non-negative weight per member (normalised to sum to 1); equal weights by default.
        thresholds: Per-label decision thresholds on the averaged type probabilities (0.5 where missing).

    Example:
        >>> model = EnsembleLabeler(["default", "tfidf-logreg"], weights=[0.5, 0.5])  # doctest: +SKIP
        >>> model.predict("Both sides agreed a three-day truce.", targets=["ceasefire"]).types  # doctest: +SKIP
        ['call_for_ceasefire', 'diplomacy']
    """

    name = "ensemble"

    def __init__(
        self,
        members: Sequence[Any],
        weights: Sequence[float] | None = None,
        thresholds: dict[str, float] | None = None,
    ) -> None:
        if len(members) < 2:
            raise ValueError(f"An ensemble needs at least two members; got {len(members)}.")
        weights = [1.0] * len(members) if weights is None else [float(w) for w in weights]
        if len(weights) != len(members) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"weights must be {len(members)} non-negative numbers, not all 0; got {weights}.")
        self.specs = [m if isinstance(m, str | Path) else getattr(m, "name", type(m).__name__) for m in members]
        self.members = [load_labeler(m) if isinstance(m, str | Path) else m for m in members]
        self.weights = [w / sum(weights) for w in weights]
        self.taxonomy = self.members[0].taxonomy
        for spec, member in zip(self.specs, self.members, strict=True):
            if member.taxonomy.to_dict() != self.taxonomy.to_dict():
                raise ValueError(f"Ensemble member {spec!r} uses another taxonomy than {self.specs[0]!r}.")
        self.thresholds = {n: 0.5 for n in self.taxonomy.type_names} | dict(thresholds or {})

    def type_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """The members' type probabilities, averaged with the ensemble's weights."""
        return sum(w * m.type_probabilities(texts, batch_size) for w, m in zip(self.weights, self.members))

    def stance_probabilities(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """The members' stance probabilities per (target, paragraph) pair, averaged with the same weights."""
        return sum(w * m.stance_probabilities(pairs, batch_size) for w, m in zip(self.weights, self.members))

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json``: members (by name or path), weights, thresholds and taxonomy."""
        config = {
            "kind": self.kind,
            "members": [str(s) for s in self.specs],
            "weights": self.weights,
            "thresholds": self.thresholds,
            "taxonomy": self.taxonomy.to_dict(),
        }
        write_config(directory, config)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> EnsembleLabeler:
        """Read a folder written by :meth:`save_pretrained` and load its members."""
        _, config = read_config(path, cls.kind, "ensemble")
        model = cls(config["members"], weights=config["weights"], thresholds=config.get("thresholds"))
        model.name = str(path)  # as given: a shipped ensemble calls itself by its name
        return model
