from __future__ import annotations

import json
import re

import numpy as np
import pytest

from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.predictions import ParagraphPrediction

TEXTS = ["Shelling hit the city overnight, killing three people.", "Talks resumed in Doha.", "Markets were calm."]


def test_heads_have_the_taxonomy_shapes(tiny_classifier):
    assert tiny_classifier.network.type_head.out_features == 9
    assert tiny_classifier.network.stance_head.out_features == 3
    probs = tiny_classifier.type_probabilities(TEXTS)
    assert probs.shape == (3, 9) and ((probs > 0) & (probs < 1)).all()
    stance = tiny_classifier.stance_probabilities([("Israel", TEXTS[0])])
    assert stance.shape == (1, 3) and np.isclose(stance.sum(), 1.0)


def test_predict_str_gives_one_list_gives_list(tiny_classifier):
    one = tiny_classifier.predict(TEXTS[0], targets=["Israel", "ceasefire"])
    assert isinstance(one, ParagraphPrediction)
    assert set(one.stance) == {"Israel", "ceasefire"}
    assert set(one.type_scores) == set(tiny_classifier.taxonomy.type_names)
    many = tiny_classifier.predict(TEXTS)
    assert [p.text for p in many] == TEXTS and all(p.stance == {} for p in many)
    assert tiny_classifier.predict([]) == []


def test_thresholds_decide_the_types(tiny_classifier):
    names = tiny_classifier.taxonomy.type_names
    tiny_classifier.config.thresholds = {n: 0.0 for n in names}
    assert tiny_classifier.predict(TEXTS[0]).types == list(names)
    tiny_classifier.config.thresholds = {n: 1.01 for n in names}
    assert tiny_classifier.predict(TEXTS[0]).types == []


def test_batching_does_not_change_predictions(tiny_classifier):
    a = tiny_classifier.type_probabilities(TEXTS, batch_size=1)
    b = tiny_classifier.type_probabilities(TEXTS, batch_size=32)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_save_load_gives_identical_predictions(tiny_classifier, tmp_path):
    tiny_classifier.config.thresholds["diplomacy"] = 0.3
    tiny_classifier.save_pretrained(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert "config.json" in files and "heads.safetensors" in files and "encoder.safetensors" in files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in files)
    loaded = ParagraphClassifier.from_pretrained(tmp_path / "m")
    assert loaded.config.thresholds["diplomacy"] == 0.3
    before = tiny_classifier.predict(TEXTS, targets=["Hamas"])
    after = loaded.predict(TEXTS, targets=["Hamas"])
    for x, y in zip(before, after):
        assert x.types == y.types and x.stance == y.stance
        np.testing.assert_allclose(list(x.type_scores.values()), list(y.type_scores.values()), atol=1e-5)


def test_loading_a_folder_saved_by_other_versions_warns(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["versions"]["transformers"] = "0.0.1"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.warns(UserWarning, match=re.escape("was saved with transformers 0.0.1")):
        ParagraphClassifier.from_pretrained(tmp_path)


def test_clear_errors_for_bad_input(tiny_classifier, tmp_path):
    with pytest.raises(ValueError, match=re.escape("paragraph 1 is empty; pass non-empty paragraph texts.")):
        tiny_classifier.predict(["Fine.", "  "])
    with pytest.raises(ValueError, match=re.escape("targets must be non-empty strings; got ['Israel', '']")):
        tiny_classifier.predict("Fine.", targets=["Israel", ""])
    with pytest.raises(FileNotFoundError, match=re.escape(f"No saved classifier at {tmp_path}")):
        ParagraphClassifier.from_pretrained(tmp_path)


def test_target_stance_pooling_reads_the_target_segment(tiny_classifier):
    import torch

    network = tiny_classifier.network
    assert network.stance_head.in_features == 2 * network.type_head.in_features
    encoded = tiny_classifier.tokenizer(["Israel", "Hamas"], [TEXTS[0]] * 2, padding=True, return_tensors="pt")
    with torch.inference_mode():
        type_input, stance_input = network.eval().features(**encoded)
    width = network.type_head.in_features
    # the first half is the whole-input mean (the type head's input), the second the target segment's mean
    assert torch.equal(stance_input[:, :width], type_input)
    hidden = network.encoder(**encoded).last_hidden_state
    sep = (encoded["input_ids"][0] == tiny_classifier.tokenizer.sep_token_id).nonzero()[0].item()
    assert torch.allclose(stance_input[0, width:], hidden[0, : sep + 1].mean(0), atol=1e-5)


def test_configs_saved_before_stance_pooling_load_with_the_mean_head(tiny_classifier):
    from stancewire.models.classifier_config import ClassifierConfig

    data = tiny_classifier.config.to_dict()
    assert data["stance_pooling"] == "target"
    del data["stance_pooling"]
    assert ClassifierConfig.from_dict(data).stance_pooling == "mean"
    with pytest.raises(ValueError, match="stance_pooling"):
        ClassifierConfig(stance_pooling="max")


def test_a_classifier_that_saves_its_whole_encoder_needs_no_base(tiny_classifier):
    assert tiny_classifier.base_encoder is None  # built from a config: save_pretrained writes every weight


def test_int8_copy_decides_with_its_own_thresholds_and_leaves_the_original_alone(tiny_classifier, tmp_path):
    import torch

    names = tiny_classifier.taxonomy.type_names
    tiny_classifier.config.int8_thresholds = {n: 0.0 for n in names}
    fp32_thresholds = dict(tiny_classifier.thresholds)
    int8 = tiny_classifier.quantized()  # not calibrated: dynamic int8
    assert int8.is_quantized and not tiny_classifier.is_quantized
    assert isinstance(int8.network.type_head, torch.ao.nn.quantized.dynamic.Linear)
    assert isinstance(tiny_classifier.network.type_head, torch.nn.Linear)
    assert int8.thresholds == {n: 0.0 for n in names} and tiny_classifier.thresholds == fp32_thresholds
    assert int8.predict(TEXTS[0]).types == list(names)
    np.testing.assert_allclose(int8.type_probabilities(TEXTS), tiny_classifier.type_probabilities(TEXTS), atol=0.05)
    with pytest.raises(ValueError, match="int8 copy"):
        int8.save_pretrained(tmp_path / "q")
    tiny_classifier.save_pretrained(tmp_path / "m")
    assert ParagraphClassifier.from_pretrained(tmp_path / "m").config.int8_thresholds == {n: 0.0 for n in names}


def test_int8_copy_without_int8_thresholds_uses_the_full_precision_ones(tiny_classifier):
    tiny_classifier.config.thresholds["diplomacy"] = 0.3
    assert tiny_classifier.config.int8_thresholds == {}
    assert tiny_classifier.quantized().thresholds == tiny_classifier.thresholds


def test_int8_thresholds_naming_unknown_labels_are_refused():
    from stancewire.models.classifier_config import ClassifierConfig

    with pytest.raises(ValueError, match=re.escape("int8_thresholds name unknown label(s) ['nope']")):
        ClassifierConfig(int8_thresholds={"nope": 0.5})


def test_calibrated_int8_copy_gives_each_paragraph_the_same_result_in_any_batch(tiny_classifier, tmp_path):
    from stancewire.models.quantize import CalibratedInt8Linear, linear_layers

    texts = TEXTS + ["A much longer paragraph about a convoy of aid trucks waiting at the crossing for days."]
    tiny_classifier.calibrate_int8(texts, [("Hamas", t) for t in texts])
    ranges = tiny_classifier.config.int8_ranges
    assert all(low <= 0 <= high for low, high in ranges.values())
    int8 = tiny_classifier.quantized()  # the LoRA adapter folded in, then every Linear layer calibrated
    calibrated = {n for n, m in int8.network.named_modules() if isinstance(m, CalibratedInt8Linear)}
    assert calibrated == set(ranges) and "type_head" in calibrated
    assert not list(linear_layers(int8.network))
    alone = np.concatenate([int8.type_probabilities([t]) for t in texts])
    batched = int8.type_probabilities(texts, batch_size=4)
    np.testing.assert_allclose(alone, batched, atol=1e-3)
    np.testing.assert_allclose(batched, tiny_classifier.type_probabilities(texts), atol=0.05)
    tiny_classifier.save_pretrained(tmp_path / "m")
    loaded = ParagraphClassifier.from_pretrained(tmp_path / "m")
    assert loaded.config.int8_ranges == ranges
    np.testing.assert_allclose(loaded.quantized().type_probabilities(texts), batched, atol=1e-6)


def test_bad_int8_ranges_in_config_json_are_named(tiny_classifier):
    from stancewire.models.classifier_config import ClassifierConfig

    data = tiny_classifier.config.to_dict()
    with pytest.raises(ValueError, match=re.escape("'int8_ranges' of layer 'type_head' must be [low, high]")):
        ClassifierConfig.from_dict({**data, "int8_ranges": {"type_head": [1.0]}})
    with pytest.raises(ValueError, match="low > high"):
        ClassifierConfig.from_dict({**data, "int8_ranges": {"type_head": [1.0, -1.0]}})


def test_int8_default_round_trips_and_a_bad_value_is_named(tiny_classifier):
    from stancewire.models.classifier_config import ClassifierConfig

    tiny_classifier.config.int8_default = True
    data = tiny_classifier.config.to_dict()
    assert ClassifierConfig.from_dict(data).int8_default is True
    del data["int8_default"]  # saved before the option: full precision
    assert ClassifierConfig.from_dict(data).int8_default is False
    with pytest.raises(ValueError, match=re.escape("config.json 'int8_default' must be true or false; got 'yes'")):
        ClassifierConfig.from_dict({**data, "int8_default": "yes"})


def test_name_at_int8_loads_the_int8_copy_and_other_labellers_are_refused(tiny_classifier, tmp_path):
    from stancewire.models.registry import load_labeler

    tiny_classifier.calibrate_int8(TEXTS, [("Israel", t) for t in TEXTS])
    tiny_classifier.save_pretrained(tmp_path / "m")
    int8 = load_labeler(f"{tmp_path / 'm'}@int8")
    assert int8.is_quantized and int8.name == f"{tmp_path / 'm'}@int8"
    assert load_labeler(int8.name).name == int8.name  # a record's model name loads the same model again
    with pytest.raises(ValueError, match=re.escape("'zero-shot-embed@int8': 'zero-shot-embed' has no int8 copy")):
        load_labeler("zero-shot-embed@int8")
