"""Shared fixtures: small data files written to a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def article(article_id: str, texts: list[str], targets=("Israel", "ceasefire"), **extra) -> dict:
    """A valid article record whose paragraphs carry the given texts."""
    record = {
        "id": article_id,
        "title": f"Title {article_id}",
        "source": "wire",
        "date": "2024-05-01",
        "conflict": "israel-gaza",
        "targets": list(targets),
        "paragraphs": [
            {"text": text, "types": ["military_action"] if i == 0 else [], "stance": {t: "none" for t in targets}}
            for i, text in enumerate(texts)
        ],
        "summary": "A summary. It has two sentences.",
    }
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    """Write records (dicts, or raw strings for malformed lines) as JSON Lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def make_article():
    return article


@pytest.fixture
def jsonl():
    return write_jsonl


@pytest.fixture(scope="session")
def tiny_encoder_config():
    """A 2-layer, 32-wide BERT config (random weights; uses the bundled MiniLM tokenizer's vocabulary)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )


@pytest.fixture(scope="session")
def _tiny_classifier(tiny_encoder_config):
    import torch

    from stancewire.models.classifier import ParagraphClassifier
    from stancewire.models.classifier_config import ClassifierConfig

    torch.manual_seed(0)
    return ParagraphClassifier.create(ClassifierConfig(max_length=64), encoder_config=tiny_encoder_config)


@pytest.fixture
def tiny_classifier(_tiny_classifier):
    """An untrained tiny classifier, built once per session and deep-copied per test."""
    import copy

    return copy.deepcopy(_tiny_classifier)
