"""The shipped default classifier (real MiniLM weights) on three known paragraphs of the test split."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.schema import load_articles

TEST_SPLIT = Path(__file__).resolve().parents[2] / "fixtures" / "test.jsonl"
KNOWN = [  # (article id, paragraph index, targets whose gold stance is checked)
    # Damascus calls the ICJ case disinformation: denial + accusation + legal action; favor the government.
    ("syria-013", 4, ["Assad government", "ICJ case"]),
    # A minister accuses Moscow over strikes on the grid: accusation + military action; against Russia.
    ("ukraine-001", 5, ["Russia"]),
    # A governor killed after accusing the RSF of genocide: accusation + casualty report; against the RSF.
    ("sudan-003", 3, ["RSF"]),
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

    model = load_labeler("default")
    assert model.name == "default"
    assert model.base_encoder == "minilm"  # its folder holds the LoRA adapter; the base weights come from elsewhere


@pytest.mark.slow
def test_shipped_ensemble_averages_the_shipped_default_and_tfidf():
    import numpy as np

    from stancewire.models.registry import load_labeler

    ensemble = load_labeler("default-ensemble")
    assert ensemble.name == "default-ensemble" and [m.name for m in ensemble.members] == ["default", "tfidf-logreg"]
    text = load_articles(TEST_SPLIT)[0].paragraphs[0].text
    expected = sum(
        w * load_labeler(m.name).type_probabilities([text]) for w, m in zip(ensemble.weights, ensemble.members)
    )
    np.testing.assert_allclose(ensemble.type_probabilities([text]), expected, rtol=1e-5)
