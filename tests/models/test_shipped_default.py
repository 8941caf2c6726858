"""The shipped default classifier (real MiniLM weights) on three known paragraphs of the test split."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.schema import load_articles

TEST_SPLIT = Path(__file__).resolve().parents[2] / "fixtures" / "test.jsonl"
KNOWN = [  # (article id, paragraph index, targets whose gold stance is checked)
    ("syria-013", 2, []),  # a case brought at the ICJ: legal action + accusation
    ("ukraine-001", 7, []),  # a claimed strike on energy sites: military action + accusation
    ("haiti-001", 9, ["Kenya-led mission"]),  # officials reject criticism of the force: denial, favor
]


@pytest.mark.slow
def test_shipped_default_labels_three_known_test_paragraphs():
    from stancewire.models.classifier import ParagraphClassifier

    model = ParagraphClassifier.from_pretrained("default")
    paragraphs = {a.id: a.paragraphs for a in load_articles(TEST_SPLIT)}
    for article_id, index, checked in KNOWN:
        gold = paragraphs[article_id][index]
        prediction = model.predict(gold.text, targets=list(gold.stance))
        assert set(prediction.types) == set(gold.types), (article_id, index)
        for target in checked:
            assert gold.stance[target] != "none"
            assert prediction.stance[target] == gold.stance[target], (article_id, index, target)


@pytest.mark.slow
def test_shipped_default_loaded_by_name_is_called_default():
    """Reports and label files say "default", not the folder the package was installed to."""
    from stancewire.models.registry import load_labeler

    assert load_labeler("default").name == "default"
