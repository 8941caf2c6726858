"""The stance head's tuned ``none`` shift: the math, its tuning on dev, and where models apply it."""

from __future__ import annotations

import numpy as np
import pytest

from stancewire.inference.engine import EncoderSettings, LabelEngine
from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.classifier_config import ClassifierConfig
from stancewire.models.schema import Article, Paragraph
from stancewire.models.stance_prior import shift_none
from stancewire.training.thresholds import best_none_shift, tune_none_shift

TEXTS = ["Troops shelled the eastern district overnight.", "The envoy urged both sides to agree a truce at once."]
TARGETS = ["Israel", "ceasefire"]


def test_shift_multiplies_none_and_renormalises():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dtype=np.float32)
    assert shift_none(probs, 0.0, 2) is probs
    shifted = shift_none(probs, 1.0, 2)
    np.testing.assert_allclose(shifted.sum(1), 1.0, rtol=1e-6)
    odds = (shifted[:, 2] / shifted[:, 0]) / (probs[:, 2] / probs[:, 0])
    np.testing.assert_allclose(odds, np.e, rtol=1e-5)
    np.testing.assert_allclose(shifted[:, 1] / shifted[:, 0], probs[:, 1] / probs[:, 0], rtol=1e-5)
    np.testing.assert_allclose(shift_none(shifted, -1.0, 2), probs, rtol=1e-5)


def test_best_shift_corrects_an_under_stated_none_and_keeps_zero_without_evidence():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3))
    logits[np.arange(300), gold] += 1.5
    logits[:, 2] -= 1.0  # the head under-states none, as class weighting makes it do
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert best_none_shift(probs, gold, 2) > 0
    assert best_none_shift(probs, np.full(300, 2), 2) == 0.0


@pytest.mark.parametrize("encoding", ["pair", "packed"])
def test_models_apply_their_shift_everywhere_and_tuning_undoes_it_first(tiny_encoder_config, encoding, tmp_path):
    model = ParagraphClassifier.create(
        ClassifierConfig(max_length=64, stance_encoding=encoding), encoder_config=tiny_encoder_config
    )
    pairs = [(t, p) for p in TEXTS for t in TARGETS]
    raw = model.stance_probabilities(pairs)
    model.config.stance_none_shift = 1.5
    shifted = model.stance_probabilities(pairs)
    np.testing.assert_allclose(shifted, shift_none(raw, 1.5, 2), atol=1e-5)
    engine = LabelEngine(model, EncoderSettings(quantize=False, cache_size=0))
    (labelled,) = engine.label_groups([(TEXTS, TARGETS)])
    got = np.array([[p.stance_scores[t][s] for s in ("favor", "against", "none")] for p in labelled for t in TARGETS])
    np.testing.assert_allclose(got, shifted, atol=1e-5)
    dev = [
        Article(id="d", paragraphs=[Paragraph(TEXTS[0], stance={"Israel": "against", "ceasefire": "none"})]),
    ]
    first = tune_none_shift(model, dev)
    model.config.stance_none_shift = first
    assert tune_none_shift(model, dev) == first
    model.config.stance_none_shift, model.config.int8_stance_none_shift = 0.5, -0.25
    model.calibrate_int8(TEXTS, pairs)
    assert model.quantized().config.stance_none_shift == -0.25
    model.save_pretrained(tmp_path / encoding)
    loaded = ParagraphClassifier.from_pretrained(tmp_path / encoding).config
    assert (loaded.stance_none_shift, loaded.int8_stance_none_shift) == (0.5, -0.25)


def test_old_configs_have_no_shift_and_bad_values_are_named(tiny_classifier):
    saved = {k: v for k, v in tiny_classifier.config.to_dict().items() if "shift" not in k}
    old = ClassifierConfig.from_dict(saved)
    assert (old.stance_none_shift, old.int8_stance_none_shift) == (0.0, None)
    for bad in ("1", float("nan"), True):
        with pytest.raises(ValueError, match="stance_none_shift must be a finite number"):
            ClassifierConfig(stance_none_shift=bad)
