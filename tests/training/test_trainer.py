from __future__ import annotations

import re

import numpy as np
import pytest
from transformers import AutoTokenizer, BertModel

from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.hub import minilm_path
from stancewire.training.config import TrainingConfig
from stancewire.training.trainer import class_weights, train_classifier

PARAGRAPHS = [
    ("Troops shelled the eastern district overnight.", ["military_action"], "against"),
    ("The envoy urged both sides to agree a truce at once.", ["call_for_ceasefire"], "favor"),
    ("Aid convoys were blocked at the crossing for a week.", ["humanitarian"], "none"),
]


def write_split(jsonl, path, prefix, make_article):
    records = []
    for i, (text, types, stance) in enumerate(PARAGRAPHS):
        record = make_article(f"{prefix}{i}", [f"{text} ({prefix})"], targets=("ceasefire",))
        record["paragraphs"][0]["types"] = types
        record["paragraphs"][0]["stance"] = {"ceasefire": stance}
        records.append(record)
    return jsonl(path, records)


@pytest.fixture
def tiny_pretrained(tmp_path_factory, tiny_encoder_config):
    """A tiny random BERT saved as a local 'pretrained' model, so the LoRA adapter path runs without real weights."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertModel(tiny_encoder_config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(folder)
    return folder


def config(tmp_path, jsonl, make_article, base_model, out="model", **extra):
    train = write_split(jsonl, tmp_path / "train.jsonl", "tr", make_article)
    dev = write_split(jsonl, tmp_path / "dev.jsonl", "dv", make_article)
    return TrainingConfig(
        train=str(train),
        dev=str(dev),
        test=str(dev),
        output_dir=str(tmp_path / out),
        base_model=str(base_model),
        max_steps=2,
        batch_size=4,
        max_length=32,
        **extra,
    )


def test_two_step_lora_run_saves_a_small_adapter_and_model_card(tmp_path, jsonl, make_article, tiny_pretrained):
    result = train_classifier(config(tmp_path, jsonl, make_article, tiny_pretrained))
    files = {p.name for p in result.output_dir.iterdir()}
    assert {"config.json", "adapter.safetensors", "heads.safetensors", "README.md"} <= files
    assert "encoder.safetensors" not in files
    assert set(result.metrics) == {"dev", "test", "dev, int8", "test, int8"}
    card = (result.output_dir / "README.md").read_text()
    assert "| test |" in card and "| test, int8 |" in card and "Training time:" in card
    loaded = ParagraphClassifier.from_pretrained(result.output_dir)
    texts = [p[0] for p in PARAGRAPHS]
    a = result.model.type_probabilities(texts)
    b = loaded.type_probabilities(texts)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert loaded.config.thresholds == result.model.config.thresholds
    names = set(loaded.taxonomy.type_names)
    assert set(loaded.config.int8_thresholds) == names  # tuned on dev for the int8 copy, and saved
    assert loaded.quantized().thresholds == loaded.config.int8_thresholds
    assert loaded.config.int8_ranges  # calibrated on training paragraphs, saved
    assert "int8 by default: " in card and "dev + test paragraphs" in card
    assert loaded.config.int8_default == result.model.config.int8_default
    assert loaded.config.int8_stance_none_shift is not None and "multiplied by exp(shift)" in card  # tuned on dev


def test_same_seed_gives_the_same_model(tmp_path, jsonl, make_article, tiny_encoder_config):
    first = train_classifier(config(tmp_path, jsonl, make_article, minilm_path(), out="a"), tiny_encoder_config)
    second = train_classifier(config(tmp_path, jsonl, make_article, minilm_path(), out="b"), tiny_encoder_config)
    texts = [p[0] for p in PARAGRAPHS]
    np.testing.assert_array_equal(first.model.type_probabilities(texts), second.model.type_probabilities(texts))
    other_seed = config(tmp_path, jsonl, make_article, minilm_path(), out="c", seed=99)
    third = train_classifier(other_seed, tiny_encoder_config)
    assert not np.array_equal(first.model.type_probabilities(texts), third.model.type_probabilities(texts))


def test_class_weights_favour_rare_labels(tmp_path, jsonl, make_article):
    from stancewire.models.schema import load_articles
    from stancewire.models.taxonomy import DEFAULT_TAXONOMY

    articles = load_articles(write_split(jsonl, tmp_path / "t.jsonl", "x", make_article))
    pos_weight, stance_weight = class_weights(articles, DEFAULT_TAXONOMY, "balanced")
    assert pos_weight[DEFAULT_TAXONOMY.index("military_action")] == 2.0  # 1 positive, 2 negatives
    assert pos_weight[DEFAULT_TAXONOMY.index("legal_action")] == 3.0  # no positive: neg / 1
    assert stance_weight.tolist() == [1.0, 1.0, 1.0]
    assert class_weights(articles, DEFAULT_TAXONOMY, "none") == (None, None)


def test_bad_training_configs_are_named(tmp_path):
    with pytest.raises(ValueError, match=re.escape("class_weighting must be one of ['balanced', 'sqrt', 'none']")):
        TrainingConfig(train="a", dev="b", output_dir="c", class_weighting="heavy")
    path = tmp_path / "cfg.yaml"
    path.write_text("train: a\ndev: b\noutput_dir: c\nepoch: 3\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}: unknown setting(s) ['epoch']")):
        TrainingConfig.from_file(path)


def test_lora_on_the_upper_layers_only_saves_and_reloads_those_adapters(
    tmp_path, jsonl, make_article, tiny_pretrained
):
    from safetensors.torch import load_file

    result = train_classifier(config(tmp_path, jsonl, make_article, tiny_pretrained, lora_layers=[1]))
    keys = load_file(result.output_dir / "adapter.safetensors").keys()
    layers = {int(m.group(1)) for k in keys if (m := re.search(r"layer\.(\d+)\.", k))}
    assert layers == {1}  # nothing adapted in layer 0, so training never backpropagates through it
    loaded = ParagraphClassifier.from_pretrained(result.output_dir)
    assert loaded.config.lora.layers == (1,)
    texts = [p[0] for p in PARAGRAPHS]
    np.testing.assert_allclose(result.model.type_probabilities(texts), loaded.type_probabilities(texts), atol=1e-5)


def test_int8_becomes_the_default_only_within_the_tolerance():
    from stancewire.training.int8_choice import Int8Choice

    assert Int8Choice(fp32=0.760, int8=0.755, paragraphs=10, tolerance=0.5).use_int8  # -0.5 points: allowed
    assert not Int8Choice(fp32=0.760, int8=0.754, paragraphs=10, tolerance=0.5).use_int8
    assert Int8Choice(fp32=0.760, int8=0.770, paragraphs=10, tolerance=0.0).use_int8
    never = Int8Choice(fp32=0.760, int8=0.770, paragraphs=10, tolerance=None)
    assert not never.use_int8 and "never" in never.describe() and "+1.00 points" in never.describe()
    with pytest.raises(ValueError, match="int8_tolerance must be >= 0"):
        TrainingConfig(train="a", dev="b", output_dir="c", int8_tolerance=-1)


def test_bad_lora_layers_are_named():
    for bad in ([], [-1], ["top"]):
        with pytest.raises(ValueError, match="lora_layers must be a non-empty list of layer indices"):
            TrainingConfig(train="a", dev="b", output_dir="c", lora_layers=bad)


def test_a_packed_model_trains_saves_and_reloads_with_the_same_predictions(
    tmp_path, jsonl, make_article, tiny_pretrained
):
    result = train_classifier(config(tmp_path, jsonl, make_article, tiny_pretrained, stance_encoding="packed"))
    loaded = ParagraphClassifier.from_pretrained(result.output_dir)
    assert loaded.config.stance_encoding == "packed"
    texts, targets = [p[0] for p in PARAGRAPHS], ["ceasefire", "the army"]
    for before, after in zip(result.model.predict(texts, targets=targets), loaded.predict(texts, targets=targets)):
        assert before.types == after.types and before.stance == after.stance
        assert before.stance_scores["the army"]["favor"] == pytest.approx(after.stance_scores["the army"]["favor"])
    assert "stance_encoding: packed" in (result.output_dir / "README.md").read_text()


def test_packed_training_rows_hold_the_paragraph_and_one_target_block():
    from stancewire.models.taxonomy import DEFAULT_TAXONOMY
    from stancewire.training.features import TaskCollator, tokenize_rows

    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    rows = [
        {"task": 0, "first": "Talks resumed.", "second": None, "type_labels": [0.0] * 9, "stance_labels": -100},
        {"task": 1, "first": "UN", "second": "Talks resumed.", "type_labels": [0.0] * 9, "stance_labels": 0},
    ]
    for row in rows:
        row["sample_weight"] = 1.0
    table = tokenize_rows(rows, tokenizer, 32, packed=True)
    batch = TaskCollator(tokenizer)([table[0], table[1]])
    assert set(batch) >= {"position_ids", "segment_ids", "attention_mask"} and len(DEFAULT_TAXONOMY.type_names) == 9
    paragraph = len(table[0]["input_ids"])
    assert batch["segment_ids"][0].tolist() == [0] * paragraph + [-1] * (batch["segment_ids"].shape[1] - paragraph)
    assert batch["segment_ids"][1].tolist()[paragraph:] == [1] * (len(table[1]["input_ids"]) - paragraph)
    assert table[1]["input_ids"][:paragraph] == table[0]["input_ids"]
    assert batch["attention_mask"].sum(1).tolist() == [paragraph, len(table[1]["input_ids"])]


def test_a_packed_model_trains_on_joint_rows(tmp_path, jsonl, make_article, tiny_pretrained):
    result = train_classifier(
        config(tmp_path, jsonl, make_article, tiny_pretrained, stance_encoding="packed", joint_rows=True)
    )
    assert set(result.metrics) == {"dev", "test", "dev, int8", "test, int8"}
    loaded = ParagraphClassifier.from_pretrained(result.output_dir)
    texts = [p[0] for p in PARAGRAPHS]
    for before, after in zip(result.model.predict(texts, targets=["ceasefire"]), loaded.predict(texts, ["ceasefire"])):
        assert before.types == after.types and before.stance == after.stance
    assert "joint_rows: True" in (result.output_dir / "README.md").read_text()


def test_calibration_keeps_the_draw_best_on_dev(tiny_classifier, make_article, monkeypatch):
    """Each seeded calibration sample is scored on dev; the model keeps the best one's ranges (first on ties)."""
    from stancewire.models.schema import article_from_record
    from stancewire.training import trainer

    records = [make_article(f"a{i}", [text], targets=("ceasefire",)) for i, (text, _, _) in enumerate(PARAGRAPHS)]
    articles = [article_from_record(record) for record in records]
    dev_scores = iter([0.2, 0.7, 0.7])
    monkeypatch.setattr(trainer, "outcome_scores", lambda outcomes: {"types_macro_f1": next(dev_scores)})
    seen = []
    original = tiny_classifier.calibrate_int8

    def calibrate(texts, pairs=()):
        original(texts, pairs)
        seen.append((list(texts), tiny_classifier.config.int8_ranges))

    monkeypatch.setattr(tiny_classifier, "calibrate_int8", calibrate)
    scores = trainer.calibrate_on_dev(tiny_classifier, articles, articles, seed=5, draws=3)
    assert scores == [0.2, 0.7, 0.7]
    assert [texts for texts, _ in seen] == [trainer.calibration_inputs(articles, 5 + i)[0] for i in range(3)]
    assert tiny_classifier.config.int8_ranges is seen[1][1]
    tuned = trainer.tune_thresholds(tiny_classifier.quantized(), articles)  # what the kept draw was tuned to
    assert tiny_classifier.config.int8_thresholds == tuned
