"""The shipped default classifier (real MiniLM weights) on three known paragraphs of the test split."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.schema import load_articles

TEST_SPLIT = Path(__file__).resolve().parents[2] / "fixtures" / "test.jsonl"
KNOWN = [  # (article id, paragraph index, targets whose gold stance is checked)
    # The ICC prosecutor seeks warrants for Netanyahu and Hamas leaders: legal action + accusation; against both.
    ("gaza-005", 0, ["Netanyahu", "Hamas"]),
    # Officials reject accusations and blame the rebels: denial + accusation + diplomacy (a government's stated
    # position); favor the government (it defends itself), against the OLA (blamed back).
    ("ethiopia-010", 5, ["Ethiopian government", "OLA"]),
    # Live-blog entry: Hezbollah holds Israel responsible for a deadly strike: accusation + casualty report;
    # against Israel.
    ("lebanon-004", 7, ["Israel"]),
]
# Chosen 2026-12-03 after the label review, among the paragraphs with two types or more and a stance that both
# precisions of the retrained default get right; the previous two (sudan-002 3, sudan-003 3) changed gold labels
# in the review and are now missed (an extra `diplomacy`, a missed `humanitarian`).


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
def test_analyzer_runs_the_shipped_default_in_int8_and_gets_the_same_known_paragraphs_right():
    """Training found the default's int8 copy within 0.5 points, so the Analyzer uses it unless told not to."""
    from stancewire.inference import Analyzer

    analyzer = Analyzer.load("default", summarizer=None)
    assert analyzer.engine.quantized and analyzer.model_name == "default@int8"  # records say which ran
    assert not Analyzer.load("default", summarizer=None, quantize=False).engine.quantized
    paragraphs = {a.id: a.paragraphs for a in load_articles(TEST_SPLIT)}
    for article_id, index, checked in KNOWN:
        gold = paragraphs[article_id][index]
        (prediction,) = analyzer.label([gold.text], targets=list(gold.stance))
        assert set(prediction.types) == set(gold.types), (article_id, index)
        assert all(prediction.stance[t] == gold.stance[t] for t in checked), (article_id, index)


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


@pytest.mark.slow
def test_shipped_default_int8_copy_is_calibrated_and_ignores_batch_mates():
    """quantize=True on the shipped default: calibrated layers, int8 thresholds, same labels alone or batched."""
    import numpy as np

    from stancewire.models.classifier import ParagraphClassifier
    from stancewire.models.quantize import CalibratedInt8Linear, linear_layers

    model = ParagraphClassifier.from_pretrained("default")
    assert set(model.config.int8_thresholds) == set(model.taxonomy.type_names)
    int8 = model.quantized()
    assert not list(linear_layers(int8.network))
    assert sum(isinstance(m, CalibratedInt8Linear) for m in int8.network.modules()) == len(model.config.int8_ranges)
    texts = [p.text for a in load_articles(TEST_SPLIT)[:4] for p in a.paragraphs]
    batched = int8.predict(texts)
    alone = [int8.predict(text) for text in texts]
    assert [p.types for p in batched] == [p.types for p in alone]
    full = model.type_probabilities(texts)
    assert np.abs(int8.type_probabilities(texts) - full).mean() < 0.03  # close to full precision
