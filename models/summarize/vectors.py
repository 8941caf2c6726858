"""Sentence vectors for the extractive rankers: TF-IDF (fast, no weights) or a transformer encoder (MiniLM)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

TFIDF = "tfidf"


def sentence_vectors(sentences: list[str], encoder: str = TFIDF) -> np.ndarray:
    """L2-normalised vectors, one row per sentence, so a dot product is a cosine similarity.

    Args:
        sentences: The sentences of one article.
        encoder: ``"tfidf"`` (fitted on these sentences: unigrams and bigrams, English stopwords removed),
            or ``"minilm"``, a Hugging Face id or a local folder of a sentence encoder (mean pooling).

    Example:
        >>> sentence_vectors(["Shelling resumed in Goma.", "Goma was shelled."]).shape[0]
        2
    """
    if not sentences:
        return np.zeros((0, 1), dtype=np.float32)
    if encoder == TFIDF:
        return _tfidf_vectors(sentences)
    return _encoder_vectors(sentences, encoder)


def _tfidf_vectors(sentences: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(sentences).toarray().astype(np.float32)
    except ValueError:  # only stopwords: no vocabulary at all
        return np.zeros((len(sentences), 1), dtype=np.float32)
    return _normalise(matrix)


@lru_cache(maxsize=2)
def _load_encoder(name_or_path: str) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from stancewire.models.hub import resolve_encoder

    path = resolve_encoder(name_or_path)
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def _encoder_vectors(sentences: list[str], encoder: str, batch_size: int = 32) -> np.ndarray:
    import torch

    tokenizer, model = _load_encoder(encoder)
    rows = []
    with torch.no_grad():
        for start in range(0, len(sentences), batch_size):
            batch = tokenizer(
                sentences[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            rows.append(((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).numpy())
    return _normalise(np.concatenate(rows).astype(np.float32))


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
