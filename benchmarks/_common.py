"""Shared helpers of the benchmark scripts: the model under test, fixture paragraphs, machine load, memory."""

from __future__ import annotations

import json
import os
import random
import resource
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").glob("*.jsonl"))
UNTRAINED = "untrained-minilm"


def load_model(name: str):
    """The labeller to benchmark: a registered name or folder, or ``untrained-minilm``.

    ``untrained-minilm`` is the default model's architecture (bundled all-MiniLM-L6-v2 plus the two heads,
    adapter merged) with untrained heads: it costs exactly as much per paragraph as the trained model, so
    it stands in for speed figures while models/shipped/default does not exist yet.
    """
    if name == UNTRAINED:
        from stancewire.models.classifier import ParagraphClassifier
        from stancewire.models.classifier_config import ClassifierConfig

        model = ParagraphClassifier.create(ClassifierConfig(finetune="full"))
        model.name = UNTRAINED
        model.network.eval()
        return model
    from stancewire.models.registry import load_labeler

    return load_labeler(name)


def fixture_paragraphs() -> list[str]:
    """Every paragraph text of fixtures/*.jsonl, in file order."""
    texts = []
    for path in FIXTURES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts += [p["text"] for p in json.loads(line)["paragraphs"]]
    return texts


def sample_paragraphs(n: int, seed: int = 0) -> list[str]:
    """``n`` fixture paragraphs drawn with a fixed seed (with replacement beyond the corpus size)."""
    texts = fixture_paragraphs()
    rng = random.Random(seed)
    return [rng.choice(texts) for _ in range(n)]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    """Cores and the one-minute load average when the measurement started (other jobs share the cores)."""
    return {"cores": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)}
