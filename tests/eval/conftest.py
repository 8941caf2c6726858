"""Fakes for the eval tests: labellers and summarisers that need no weights, and small data files."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.taxonomy import DEFAULT_TAXONOMY, STANCE_LABELS

KEYWORDS = {
    "shell": "military_action",
    "killed": "casualty_report",
    "truce": "call_for_ceasefire",
    "talks": "diplomacy",
    "aid": "humanitarian",
}


class FakeLabeler:
    """Predicts from a function ``(text, target) -> (types, stance)``; scores are 0.9/0.1 (or given)."""

    def __init__(self, name, decide, confidence=0.9):
        self.name = name
        self.taxonomy = DEFAULT_TAXONOMY
        self.decide = decide
        self.confidence = confidence
        self.calls = []

    def predict(self, paragraphs, targets=None, batch_size=32):
        single = isinstance(paragraphs, str)
        texts = [paragraphs] if single else list(paragraphs)
        self.calls.append((len(texts), tuple(targets or ()), batch_size))
        out = []
        for text in texts:
            types, stance = self.decide(text, list(targets or []))
            scores = {t: (self.confidence if t in types else 1 - self.confidence) for t in self.taxonomy.type_names}
            stance_scores = {
                target: {s: (self.confidence if s == label else (1 - self.confidence) / 2) for s in STANCE_LABELS}
                for target, label in stance.items()
            }
            out.append(ParagraphPrediction(text, list(types), scores, dict(stance), stance_scores))
        return out[0] if single else out

    def save_pretrained(self, directory):
        Path(directory, "config.json").write_text(json.dumps({"kind": "fake", "name": self.name}))


def gold_lookup(articles):
    """text -> (types, stance) from gold articles, for a perfect fake."""
    table = {}
    for article in articles:
        for p in article.paragraphs:
            table[p.text] = (list(p.types), dict(p.stance))
    return table


def keyword_decide(text, targets):
    types = sorted({label for word, label in KEYWORDS.items() if word in text.lower()})
    stance = {t: ("against" if "condemn" in text.lower() and t.lower() in text.lower() else "none") for t in targets}
    return types, stance


def random_decide_factory(seed):
    rng = random.Random(seed)

    def decide(text, targets):
        types = [t for t in DEFAULT_TAXONOMY.type_names if rng.random() < 0.2]
        return types, {t: rng.choice(STANCE_LABELS) for t in targets}

    return decide


TEXTS = [
    ("Artillery shelling hit the town overnight.", ["military_action"]),
    ("Five civilians were killed in the strike.", ["casualty_report"]),
    ("Leaders called for a truce before the holiday.", ["call_for_ceasefire"]),
    ("Talks resumed in Doha on Tuesday.", ["diplomacy", "peace_process"]),
    ("Aid convoys reached the north.", ["humanitarian"]),
    ("The ministry condemned Hamas for the attack.", ["accusation"]),
    ("Residents described a quiet morning.", []),
]


def make_corpus(n_articles, seed=0, targets=("Hamas", "Israel")):
    """Article records with paragraphs drawn from TEXTS (text made unique per article)."""
    rng = random.Random(seed)
    records = []
    for i in range(n_articles):
        paragraphs = []
        for j in range(rng.randint(2, 4)):
            text, types = rng.choice(TEXTS)
            stance = {t: ("against" if "condemned" in text and t == "Hamas" else "none") for t in targets}
            paragraphs.append({"text": f"{text} (a{i}p{j})", "types": types, "stance": stance})
        records.append(
            {
                "id": f"a{i}",
                "title": f"Article {i}",
                "source": "wire",
                "date": "2024-05-01",
                "conflict": "israel-gaza",
                "targets": list(targets),
                "paragraphs": paragraphs,
                "summary": paragraphs[0]["text"],
            }
        )
    return records


@pytest.fixture
def corpus_file(tmp_path):
    """Write ``make_corpus(n)`` to a JSONL file and return its path."""

    def write(n_articles=12, seed=0, name="test.jsonl"):
        path = tmp_path / name
        path.write_text("\n".join(json.dumps(r) for r in make_corpus(n_articles, seed)) + "\n", encoding="utf-8")
        return path

    return write


COARSE = {
    "name": "coarse",
    "types": {
        "call_for_ceasefire": "politics",
        "accusation": None,
        "denial": None,
        "casualty_report": "violence",
        "military_action": "violence",
        "humanitarian": "aid",
        "diplomacy": "politics",
        "peace_process": "politics",
        "legal_action": "politics",
    },
    "none_of_ours": "other",
}


@pytest.fixture(scope="session")
def fakes():
    """The fake labellers and helpers of this file (test modules cannot import conftest by name)."""
    return SimpleNamespace(
        FakeLabeler=FakeLabeler,
        gold_lookup=gold_lookup,
        keyword_decide=keyword_decide,
        random_decide_factory=random_decide_factory,
        make_corpus=make_corpus,
        COARSE=COARSE,
    )
