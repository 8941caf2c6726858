"""Frozen sentence embeddings (mean-pooled, L2-normalised), by default from the bundled MiniLM-L6."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from stancewire.models.hub import resolve_encoder


class SentenceEncoder:
    """Encode texts into unit vectors, as sentence-transformers' all-MiniLM-L6-v2 does.

    Example:
        >>> enc = SentenceEncoder()  # doctest: +SKIP
        >>> enc.encode(["Shelling resumed.", "Talks began."]).shape  # doctest: +SKIP
        (2, 384)
    """

    def __init__(self, model: str = "minilm", max_length: int = 256) -> None:
        self.model_name = model
        self.max_length = max_length
        source = resolve_encoder(model)
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.model = AutoModel.from_pretrained(source).eval()

    @property
    def dimension(self) -> int:
        """Width of the vectors."""
        return int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings, shape ``(len(texts), dimension)``; batches are sorted by length."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                index = order[start : start + batch_size]
                encoded = self.tokenizer(
                    [texts[i] for i in index],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[index] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out
