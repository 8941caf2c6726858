"""Linear baselines behind the classifier's predict interface: ``tfidf-logreg`` and ``embed-logreg``.

Both keep one-vs-rest logistic weights for types and multinomial weights for stance as plain arrays,
and apply them with numpy, so a saved model is ``config.json`` + ``weights.safetensors`` (no pickles).
They differ only in their features: TF-IDF n-grams, or frozen MiniLM sentence embeddings.
Fitting lives in :mod:`stancewire.training.baselines`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from stancewire.models.labeler_base import ProbabilisticLabeler
from stancewire.models.registry import register_kind, shipped_path
from stancewire.models.saved_config import read_config, write_config
from stancewire.models.taxonomy import Taxonomy

TARGET_TOKEN = "xxtargetxx"


def mark_target(target: str, text: str) -> str:
    """The paragraph with mentions of ``target`` replaced by one token, prefixed by a mention flag.

    Stance words then attach to the same n-grams whatever the target is ("condemned xxtargetxx").

    Example:
        >>> mark_target("Hamas", "Israel blamed Hamas for the attack.")
        'xxmentionxx Israel blamed xxtargetxx for the attack.'
    """
    pattern = re.compile(r"\b" + re.escape(target) + r"\b", re.IGNORECASE)
    marked, count = pattern.subn(TARGET_TOKEN, text)
    return ("xxmentionxx " if count else "xxabsentxx ") + marked


class LinearLabeler(ProbabilisticLabeler):
    """Shared part of the linear baselines: weights, probabilities, save and load."""

    kind = "linear"

    def __init__(
        self,
        taxonomy: Taxonomy,
        weights: dict[str, np.ndarray],
        thresholds: dict[str, float] | None = None,
        name: str = "linear",
    ) -> None:
        for key in ("type_coef", "type_intercept", "stance_coef", "stance_intercept"):
            if key not in weights:
                raise ValueError(f"{self.kind} weights lack {key!r}; found {sorted(weights)}.")
        self.taxonomy = taxonomy
        self.weights = weights
        self.thresholds = dict(thresholds or {n: 0.5 for n in taxonomy.type_names})
        self.name = name

    def paragraph_features(self, texts: Sequence[str]) -> np.ndarray:
        """Feature rows for paragraphs (type head)."""
        raise NotImplementedError

    def pair_features(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Feature rows for (target, paragraph) pairs (stance head)."""
        raise NotImplementedError

    def type_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One-vs-rest sigmoid probabilities, shape ``(len(texts), num_types)``."""
        logits = _dot(self.paragraph_features(texts), self.weights["type_coef"]) + self.weights["type_intercept"]
        return 1.0 / (1.0 + np.exp(-logits))

    def stance_probabilities(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Softmax over the stance classes, shape ``(len(pairs), 3)``."""
        logits = _dot(self.pair_features(pairs), self.weights["stance_coef"]) + self.weights["stance_intercept"]
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def extra_config(self) -> dict[str, Any]:
        """Featuriser settings saved in ``config.json`` (subclasses add theirs)."""
        return {}

    def extra_arrays(self) -> dict[str, np.ndarray]:
        """Featuriser arrays saved beside the weights (subclasses add theirs)."""
        return {}

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json`` and ``weights.safetensors``."""
        directory = Path(directory)
        arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in self.weights.items()}
        arrays.update({k: np.ascontiguousarray(v) for k, v in self.extra_arrays().items()})
        config = {
            "kind": self.kind,
            "taxonomy": self.taxonomy.to_dict(),
            "thresholds": self.thresholds,
            **self.extra_config(),
        }
        write_config(directory, config)
        save_file(arrays, str(directory / "weights.safetensors"))

    @classmethod
    def read_saved(cls, path_or_name: str | Path) -> tuple[Path, dict[str, Any], dict[str, np.ndarray]]:
        """Locate a saved folder (or shipped name) and read its config and arrays."""
        path, config = read_config(path_or_name, cls.kind, f"{cls.kind} model")
        return path, config, load_file(str(path / "weights.safetensors"))


@register_kind("tfidf-logreg.v1")
class TfidfLogReg(LinearLabeler):
    """TF-IDF word n-grams + logistic regression (one-vs-rest for types, multinomial for stance).

    For stance, the paragraph's mentions of the target are replaced by one token (:func:`mark_target`).

    Example:
        >>> model = TfidfLogReg.from_pretrained("tfidf-logreg")  # doctest: +SKIP
        >>> model.predict("Rebels shelled the town.").types  # doctest: +SKIP
        ['military_action']
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        weights: dict[str, np.ndarray],
        vocabularies: dict[str, dict[str, int]],
        idf: dict[str, np.ndarray],
        ngram_range: tuple[int, int] = (1, 2),
        thresholds: dict[str, float] | None = None,
        name: str = "tfidf-logreg",
    ) -> None:
        super().__init__(taxonomy, weights, thresholds, name)
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ngram_range = tuple(ngram_range)
        self.vectorizers = {}
        for part in ("paragraph", "pair"):
            vectorizer = TfidfVectorizer(
                ngram_range=self.ngram_range, sublinear_tf=True, vocabulary=vocabularies[part], dtype=np.float32
            )
            vectorizer.idf_ = idf[part]
            self.vectorizers[part] = vectorizer

    def paragraph_features(self, texts: Sequence[str]):
        """Sparse TF-IDF rows of the paragraphs."""
        return self.vectorizers["paragraph"].transform(list(texts))

    def pair_features(self, pairs: Sequence[tuple[str, str]]):
        """Sparse TF-IDF rows of the target-marked paragraphs."""
        return self.vectorizers["pair"].transform([mark_target(t, p) for t, p in pairs])

    def extra_config(self) -> dict[str, Any]:
        """Vocabularies and n-gram range."""
        return {
            "ngram_range": list(self.ngram_range),
            "vocabularies": {k: {t: int(i) for t, i in v.vocabulary.items()} for k, v in self.vectorizers.items()},
        }

    def extra_arrays(self) -> dict[str, np.ndarray]:
        """IDF weights of both vectorisers."""
        return {f"idf_{k}": v.idf_.astype(np.float32) for k, v in self.vectorizers.items()}

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path) -> TfidfLogReg:
        """Load a saved folder or the shipped ``"tfidf-logreg"``."""
        path, config, arrays = cls.read_saved(path_or_name)
        return cls(
            Taxonomy.from_dict(config["taxonomy"], source=str(path / "config.json")),
            weights={k: v for k, v in arrays.items() if not k.startswith("idf_")},
            vocabularies=config["vocabularies"],
            idf={"paragraph": arrays["idf_paragraph"], "pair": arrays["idf_pair"]},
            ngram_range=tuple(config.get("ngram_range", (1, 2))),
            thresholds=config.get("thresholds"),
            name="tfidf-logreg" if path == shipped_path("tfidf-logreg") else str(path_or_name),
        )


@register_kind("embed-logreg.v1")
class EmbedLogReg(LinearLabeler):
    """Frozen sentence embeddings (MiniLM by default) + logistic regression.

    Stance features are ``[paragraph, target, paragraph * target]`` embeddings, so the head sees how the
    paragraph relates to the target, not only what it says.

    Example:
        >>> model = EmbedLogReg.from_pretrained("embed-logreg")  # doctest: +SKIP
        >>> model.predict("Talks resumed in Doha.").types  # doctest: +SKIP
        ['diplomacy']
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        weights: dict[str, np.ndarray],
        encoder_name: str = "minilm",
        thresholds: dict[str, float] | None = None,
        name: str = "embed-logreg",
        encoder=None,
    ) -> None:
        super().__init__(taxonomy, weights, thresholds, name)
        self.encoder_name = encoder_name
        self._encoder = encoder

    @property
    def encoder(self):
        """The frozen :class:`~stancewire.models.embeddings.SentenceEncoder` (loaded on first use)."""
        if self._encoder is None:
            from stancewire.models.embeddings import SentenceEncoder

            self._encoder = SentenceEncoder(self.encoder_name)
        return self._encoder

    def paragraph_features(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of the paragraphs."""
        return self.encoder.encode(list(texts))

    def pair_features(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """``[paragraph, target, paragraph * target]`` for each pair (repeated texts are encoded once)."""
        unique = list(dict.fromkeys([t for t, _ in pairs] + [p for _, p in pairs]))
        vectors = dict(zip(unique, self.encoder.encode(unique)))
        rows = [np.concatenate([vectors[p], vectors[t], vectors[p] * vectors[t]]) for t, p in pairs]
        return np.stack(rows) if rows else np.zeros((0, 3 * self.encoder.dimension), dtype=np.float32)

    def extra_config(self) -> dict[str, Any]:
        """The encoder's name."""
        return {"encoder": self.encoder_name}

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path) -> EmbedLogReg:
        """Load a saved folder or the shipped ``"embed-logreg"``."""
        path, config, arrays = cls.read_saved(path_or_name)
        return cls(
            Taxonomy.from_dict(config["taxonomy"], source=str(path / "config.json")),
            weights=dict(arrays),
            encoder_name=config.get("encoder", "minilm"),
            thresholds=config.get("thresholds"),
            name="embed-logreg" if path == shipped_path("embed-logreg") else str(path_or_name),
        )


def _dot(features, coef: np.ndarray) -> np.ndarray:
    """``features @ coef.T`` for dense or scipy-sparse features."""
    return np.asarray(features @ coef.T, dtype=np.float64)
