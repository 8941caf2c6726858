"""``zero-shot-embed``: no training at all, only similarity between paragraph embeddings and label texts.

Types: cosine similarity between the paragraph and each label's name + description from the taxonomy,
squashed by a fixed sigmoid. Stance: similarity to three hypothesis sentences about the target.
The constants are fixed by hand, not tuned on our data: this is the floor any trained model must beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stancewire.models.labeler_base import ProbabilisticLabeler
from stancewire.models.registry import register_kind, register_named
from stancewire.models.saved_config import read_config, write_config
from stancewire.models.taxonomy import Taxonomy, load_taxonomy

SIMILARITY_CENTRE = 0.25
SIMILARITY_SCALE = 0.05
STANCE_TEMPERATURE = 0.02
HYPOTHESES = {
    "favor": "{target} is supported, praised, defended or called for.",
    "against": "{target} is criticised, blamed, condemned or rejected.",
    "none": "{target} is mentioned without any judgement.",
}


@register_kind("zero-shot-embed.v1")
class ZeroShotEmbed(ProbabilisticLabeler):
    """Label by embedding similarity to the taxonomy's descriptions (no training data needed).

    Example:
        >>> model = ZeroShotEmbed()  # doctest: +SKIP
        >>> scores = model.predict("The UN chief urged an immediate truce.").type_scores  # doctest: +SKIP
        >>> scores["call_for_ceasefire"] > scores["legal_action"]  # doctest: +SKIP
        True
    """

    name = "zero-shot-embed"

    def __init__(self, taxonomy: Taxonomy | None = None, encoder_name: str = "minilm", encoder=None) -> None:
        self.taxonomy = load_taxonomy(taxonomy)
        self.thresholds = {n: 0.5 for n in self.taxonomy.type_names}
        self.encoder_name = encoder_name
        self._encoder = encoder
        self._label_vectors: np.ndarray | None = None

    @property
    def encoder(self):
        """The :class:`~stancewire.models.embeddings.SentenceEncoder` (loaded on first use)."""
        if self._encoder is None:
            from stancewire.models.embeddings import SentenceEncoder

            self._encoder = SentenceEncoder(self.encoder_name)
        return self._encoder

    def type_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Sigmoid of the (centred, scaled) cosine similarity to each label description."""
        if self._label_vectors is None:
            descriptions = [f"{t.name.replace('_', ' ')}: {t.description}" for t in self.taxonomy.types]
            self._label_vectors = self.encoder.encode(descriptions)
        similarity = self.encoder.encode(list(texts), batch_size) @ self._label_vectors.T
        return 1.0 / (1.0 + np.exp(-(similarity - SIMILARITY_CENTRE) / SIMILARITY_SCALE))

    def stance_probabilities(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Softmax over similarities to the favor / against / none hypotheses about each target."""
        targets = list(dict.fromkeys(t for t, _ in pairs))
        hypotheses = [HYPOTHESES[s].format(target=t) for t in targets for s in self.taxonomy.stances]
        hyp = self.encoder.encode(hypotheses).reshape(len(targets), len(self.taxonomy.stances), -1)
        position = {t: i for i, t in enumerate(targets)}
        texts = list(dict.fromkeys(p for _, p in pairs))
        vectors = dict(zip(texts, self.encoder.encode(texts, batch_size)))
        logits = np.stack([hyp[position[t]] @ vectors[p] for t, p in pairs]) / STANCE_TEMPERATURE
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json`` (taxonomy and encoder name: nothing is learned, so there are no weights)."""
        write_config(directory, {"kind": self.kind, "taxonomy": self.taxonomy.to_dict(), "encoder": self.encoder_name})

    @classmethod
    def from_pretrained(cls, path: str | Path) -> ZeroShotEmbed:
        """Read a folder written by :meth:`save_pretrained` (another taxonomy or encoder)."""
        path, config = read_config(path, cls.kind, "zero-shot-embed model")
        taxonomy = Taxonomy.from_dict(config["taxonomy"], source=str(path / "config.json"))
        return cls(taxonomy=taxonomy, encoder_name=config.get("encoder", "minilm"))


@register_named("zero-shot-embed")
def _zero_shot_embed() -> ZeroShotEmbed:
    return ZeroShotEmbed()
