"""The fast encoder path: same predictions as the classifier's own predict, batching, quantisation, cache."""

from __future__ import annotations

import re

import numpy as np
import pytest

from stancewire.inference.engine import EncoderSettings, LabelEngine, idle_cores, length_batches, quantize_labeler
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.taxonomy import DEFAULT_TAXONOMY

TEXTS = [
    "Israeli strikes hit Rafah overnight, killing at least 12 people, the health ministry said.",
    "Hamas said it was studying the proposal.",
    "The UN chief urged an immediate ceasefire and unhindered aid access to the enclave, "
    "warning that famine was imminent in the north.",
    "Talks resume Monday.",
]


def _close(a: list[ParagraphPrediction], b: list[ParagraphPrediction], tol: float = 1e-5) -> None:
    assert [p.text for p in a] == [p.text for p in b]
    for x, y in zip(a, b):
        assert x.stance == y.stance
        assert max(abs(x.type_scores[k] - y.type_scores[k]) for k in x.type_scores) <= tol
        for target in x.stance_scores:
            assert (
                max(abs(x.stance_scores[target][s] - y.stance_scores[target][s]) for s in "favor against none".split())
                <= tol
            )


def test_engine_matches_the_classifiers_own_predict_across_groups(tiny_classifier):
    expected = tiny_classifier.predict(TEXTS, targets=["Israel", "ceasefire"])
    engine = LabelEngine(tiny_classifier, EncoderSettings(batch_size=3, max_batch_tokens=64))
    first, second, empty = engine.label_groups(
        [(TEXTS[:1], ["Israel", "ceasefire"]), (TEXTS[1:], ["Israel", "ceasefire"]), ([], ["x"])]
    )
    _close(first + second, expected)
    assert empty == []
    only_types = engine.label_groups([(TEXTS, [])])[0]
    assert all(p.stance == {} for p in only_types)
    _close(only_types, tiny_classifier.predict(TEXTS))


def test_groups_keep_their_own_targets(tiny_classifier):
    engine = LabelEngine(tiny_classifier)
    a, b = engine.label_groups([(TEXTS[:2], ["Israel"]), (TEXTS[2:], ["Hamas", "ceasefire"])])
    assert [list(p.stance) for p in a] == [["Israel"], ["Israel"]]
    assert [list(p.stance) for p in b] == [["Hamas", "ceasefire"], ["Hamas", "ceasefire"]]
    _close(b, tiny_classifier.predict(TEXTS[2:], targets=["Hamas", "ceasefire"]))


def test_saved_and_reloaded_model_gives_the_same_predictions(tiny_classifier, tmp_path):
    from stancewire.models.registry import load_labeler

    tiny_classifier.save_pretrained(tmp_path / "m")
    before = LabelEngine(tiny_classifier).label_groups([(TEXTS, ["Israel"])])[0]
    after = LabelEngine(load_labeler(tmp_path / "m")).label_groups([(TEXTS, ["Israel"])])[0]
    _close(before, after)


def test_quantised_copy_is_close_and_leaves_the_original_alone(tiny_classifier):
    import torch

    original = tiny_classifier.network.type_head.weight.clone()
    with pytest.warns(UserWarning, match="saved without int8 input ranges .* and thresholds tuned for int8"):
        quantized = quantize_labeler(tiny_classifier)
    assert isinstance(quantized.network.type_head, torch.ao.nn.quantized.dynamic.Linear)
    assert isinstance(tiny_classifier.network.type_head, torch.nn.Linear)
    assert torch.equal(tiny_classifier.network.type_head.weight, original)
    exact = LabelEngine(tiny_classifier).label_groups([(TEXTS, ["Israel"])])[0]
    tiny_classifier.config.int8_thresholds = dict(tiny_classifier.thresholds)
    tiny_classifier.calibrate_int8(TEXTS, [("Israel", t) for t in TEXTS])
    approx = LabelEngine(tiny_classifier, EncoderSettings(quantize=True)).label_groups([(TEXTS, ["Israel"])])[0]
    diffs = [abs(x.type_scores[k] - y.type_scores[k]) for x, y in zip(exact, approx) for k in x.type_scores]
    assert 0 < max(diffs) < 0.05


def test_without_quantize_the_model_chooses_its_precision(tiny_classifier):
    tiny_classifier.calibrate_int8(TEXTS, [("Israel", t) for t in TEXTS])
    tiny_classifier.config.int8_thresholds = dict(tiny_classifier.thresholds)
    assert not LabelEngine(tiny_classifier).quantized  # int8_default is False unless training set it
    tiny_classifier.config.int8_default = True
    assert LabelEngine(tiny_classifier).quantized
    assert not LabelEngine(tiny_classifier, EncoderSettings(quantize=False)).quantized
    assert not tiny_classifier.is_quantized  # the engine quantised a copy
    assert not LabelEngine(PredictOnlyLabeler()).quantized  # nothing to quantise: full precision, no error


def test_length_batches_bound_rows_and_padded_tokens():
    lengths = [30, 5, 12, 7, 50, 9]
    batches = length_batches(lengths, batch_size=2, max_batch_tokens=1000)
    assert batches == [[1, 3], [5, 2], [0, 4]]
    assert length_batches(lengths, batch_size=10, max_batch_tokens=40) == [[1, 3, 5], [2], [0], [4]]
    assert sorted(i for b in length_batches(lengths, 3, 60) for i in b) == list(range(6))


def test_predict_uses_the_cache_and_returns_the_callers_text(tiny_classifier):
    engine = LabelEngine(tiny_classifier, EncoderSettings(cache_size=10))
    labelled = engine.label_groups([(["The demands were:\n- a truce\n- aid"], ["Israel"])])[0][0]
    calls = []
    engine._encode = lambda *args: calls.append(args)  # any encoder call now fails the test
    again = engine.predict("The demands were: - a truce - aid", targets=["Israel"])
    assert calls == [] and again.text == "The demands were: - a truce - aid"
    assert again.type_scores == labelled.type_scores


class ProbabilityLabeler:
    """Has probabilities but no torch network (like the baselines)."""

    name, taxonomy, thresholds = "probs", DEFAULT_TAXONOMY, {}

    def type_probabilities(self, texts, batch_size=32):
        return np.array([[0.9 if "truce" in t else 0.1] * 9 for t in texts])

    def stance_probabilities(self, pairs, batch_size=32):
        return np.array([[0.7, 0.2, 0.1] if target in text else [0.1, 0.1, 0.8] for target, text in pairs])


class PredictOnlyLabeler:
    name, taxonomy = "plain", DEFAULT_TAXONOMY

    def predict(self, paragraphs, targets=None, batch_size=32):
        return [ParagraphPrediction(t, [], {}, {x: "none" for x in targets or []}) for t in paragraphs]


def test_other_labellers_are_driven_through_their_own_interfaces():
    a, b = LabelEngine(ProbabilityLabeler()).label_groups([(["A truce."], ["truce"]), (["War."], ["Israel"])])
    assert a[0].types == list(DEFAULT_TAXONOMY.type_names) and a[0].stance == {"truce": "favor"}
    assert b[0].types == [] and b[0].stance == {"Israel": "none"}
    (c,) = LabelEngine(PredictOnlyLabeler()).label_groups([(["War."], ["M23"])])
    assert c[0].stance == {"M23": "none"}
    with pytest.raises(ValueError, match=re.escape("quantize needs a labeller with a torch .network")):
        LabelEngine(PredictOnlyLabeler(), EncoderSettings(quantize=True))


def test_bad_inputs_and_settings():
    engine = LabelEngine(PredictOnlyLabeler())
    with pytest.raises(ValueError, match=re.escape("group 1: paragraph 0 is empty; pass non-empty paragraph texts.")):
        engine.label_groups([(["ok"], []), ([" "], [])])
    with pytest.raises(ValueError, match=re.escape("num_threads must be a number >= 1, 'auto' or None; got 0.")):
        EncoderSettings(num_threads=0)
    with pytest.raises(ValueError, match=re.escape("batch_size and max_batch_tokens must be >= 1; got 0 and 2048.")):
        EncoderSettings(batch_size=0)
    assert 1 <= idle_cores()


def test_identical_inputs_are_encoded_once(tiny_classifier):
    engine = LabelEngine(tiny_classifier)
    seen = []
    encode = engine._encode
    engine._encode = lambda texts, pairs: seen.append((len(texts), len(pairs))) or encode(texts, pairs)
    a, b = engine.label_groups([([TEXTS[0], TEXTS[1], TEXTS[0]], ["Israel"]), ([TEXTS[1]], ["Israel", "Hamas"])])
    assert seen == [(2, 3)]
    assert a[0] == a[2] and a[1].type_scores == b[0].type_scores
    assert a[1].stance_scores["Israel"] == b[0].stance_scores["Israel"]
