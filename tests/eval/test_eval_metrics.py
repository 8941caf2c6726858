"""Metrics, calibration and label maps against values computed by hand on tiny inputs."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from stancewire.eval.calibration import bin_stats, ece_from_bins, expected_calibration_error, reliability_curve
from stancewire.eval.labelmap import LabelMap
from stancewire.eval.metrics import multilabel_counts, multilabel_scores, stance_confusion, stance_scores
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.taxonomy import DEFAULT_TAXONOMY


def test_multilabel_scores_match_hand_computation():
    gold = [["a", "b"], [], ["c"], []]
    pred = [["a"], ["b"], [], []]
    s = multilabel_scores(gold, pred, ["a", "b", "c"])
    # a: tp1; b: fp1 (paragraph 2) + fn1 (paragraph 1); c: fn1. Micro: tp1 fp1 fn2.
    assert s["per_label"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1.0}
    assert s["per_label"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1.0}
    assert s["per_label"]["c"]["f1"] == 0.0 and s["per_label"]["c"]["precision"] == 0.0
    assert s["types_micro_precision"] == 0.5
    assert s["types_micro_recall"] == pytest.approx(1 / 3)
    assert s["types_micro_f1"] == pytest.approx(0.4)
    assert s["types_macro_f1"] == pytest.approx(1 / 3)
    assert s["types_exact_match"] == 0.25  # only the paragraph with no gold and no predicted label


def test_no_gold_labels_and_no_predictions_is_an_exact_match_with_undefined_f1():
    s = multilabel_scores([[], []], [[], []], ["a", "b"])
    assert s["types_exact_match"] == 1.0
    assert math.isnan(s["types_micro_f1"]) and math.isnan(s["types_macro_f1"])
    assert math.isnan(s["per_label"]["a"]["f1"])


def test_no_predictions_scores_zero_and_labels_absent_everywhere_leave_the_macro_average():
    s = multilabel_scores([["a"], ["a"]], [[], ["a"]], ["a", "b"])
    assert s["per_label"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2.0}
    assert math.isnan(s["per_label"]["b"]["f1"])  # neither gold nor predicted: not averaged
    assert s["types_macro_f1"] == pytest.approx(2 / 3)
    only_false = multilabel_scores([[]], [["a"]], ["a"])
    assert only_false["types_micro_f1"] == 0.0 and only_false["types_exact_match"] == 0.0


def test_multilabel_counts_rejects_unknown_labels_and_misaligned_input():
    with pytest.raises(ValueError, match=re.escape("Label(s) ['zz'] are not in the scored label set ['a'].")):
        multilabel_counts([["zz"]], [[]], ["a"])
    with pytest.raises(ValueError, match=re.escape("Got 2 gold label sets but 1 predictions; they must align.")):
        multilabel_counts([[], []], [[]], ["a"])


def test_stance_scores_match_hand_computation():
    gold = ["favor", "against", "none", "none", "favor"]
    pred = ["favor", "none", "none", "against", "against"]
    assert stance_confusion(gold, pred).tolist() == [[1, 1, 0], [0, 0, 1], [0, 1, 1]]
    s = stance_scores(gold, pred)
    assert s["per_class"]["favor"]["f1"] == pytest.approx(2 / 3)
    assert s["per_class"]["against"]["f1"] == 0.0
    assert s["per_class"]["none"]["f1"] == pytest.approx(0.5)
    assert s["stance_macro_f1"] == pytest.approx((2 / 3 + 0 + 0.5) / 3)
    assert s["stance_semeval_f1"] == pytest.approx(1 / 3)
    assert s["stance_accuracy"] == pytest.approx(0.4)


def test_stance_confusion_rejects_unknown_label():
    with pytest.raises(ValueError, match=re.escape("got gold 'pro', predicted 'none'")):
        stance_confusion(["pro"], ["none"])


def test_ece_and_reliability_bins_by_hand():
    # Bin [0.9, 1.0): two items at 0.9, one right -> |1.8 - 1| = 0.8; bin [0.2, 0.3): 0.2 wrong -> 0.2.
    assert expected_calibration_error([0.9, 0.9, 0.2], [1, 0, 0], n_bins=10) == pytest.approx(1.0 / 3)
    assert expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0
    bins = bin_stats([0.9, 0.9, 0.2], [1, 0, 0], n_bins=10)
    curve = reliability_curve(bins)
    assert curve[9] == {"low": 0.9, "high": 1.0, "count": 2, "confidence": 0.9, "frequency": 0.5}
    assert curve[0]["count"] == 0 and curve[0]["frequency"] is None
    assert math.isnan(float(ece_from_bins(np.zeros((10, 3)))))


def test_label_map_is_many_to_one_with_a_none_rule(fakes):
    m = LabelMap.from_dict(fakes.COARSE)
    assert m.labels == ("politics", "violence", "aid", "other")
    assert m.map_types(["military_action", "casualty_report"]) == ["violence"]
    assert m.map_types(["accusation"]) == ["other"]
    assert m.map_types([]) == ["other"]
    scores = dict.fromkeys(DEFAULT_TAXONOMY.type_names, 0.1) | {"military_action": 0.7, "diplomacy": 0.3}
    mapped = m.map_prediction(ParagraphPrediction("x", ["military_action"], scores, {"t": "none"}))
    assert mapped.types == ["violence"] and mapped.stance == {"t": "none"}
    assert mapped.type_scores == pytest.approx({"politics": 0.3, "violence": 0.7, "aid": 0.1, "other": 0.3})
    m.check_covers(DEFAULT_TAXONOMY)


def test_label_map_errors_name_the_file_and_field(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"types": {"military_action": "violence"}}))
    with pytest.raises(ValueError, match=re.escape(f"{path}: field 'types' does not map our label(s) ['call_for_")):
        LabelMap.from_file(path).check_covers(DEFAULT_TAXONOMY)
    path.write_text('{"types": {"a": 3}}')
    with pytest.raises(ValueError, match=re.escape(f"{path}: field 'types' maps ['a'] to something other than")):
        LabelMap.from_file(path)
    path.write_text('{"types": ')
    with pytest.raises(ValueError, match=re.escape(f"{path}:1: label map is not valid JSON")):
        LabelMap.from_file(path)
    bad_label = LabelMap(name="x", types={"a": "Remote violence"}, source=str(path))
    with pytest.raises(ValueError, match=re.escape(f"{path}: Label name must be a non-empty identifier")):
        bad_label.taxonomy()
