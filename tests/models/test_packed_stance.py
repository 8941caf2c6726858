"""Packed stance encoding: a paragraph and all its targets in one row, with block attention."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertModel

from stancewire.inference.engine import EncoderSettings, LabelEngine
from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.classifier_config import ClassifierConfig
from stancewire.models.hub import minilm_path
from stancewire.models.labeler_base import ProbabilisticLabeler
from stancewire.models.packed_inputs import group_pairs, packed_row
from stancewire.training import config as training_config

TEXTS = [
    "Troops shelled the eastern district overnight, residents said.",
    "The envoy urged both sides to agree a truce at once.",
    "Aid convoys were blocked at the crossing for a week.",
]
TARGETS = ["Israel", "Hamas", "the United Nations", "ceasefire"]


@pytest.fixture(scope="module")
def packed(tiny_encoder_config):
    torch.manual_seed(0)
    config = ClassifierConfig(max_length=64, stance_encoding="packed")
    return ParagraphClassifier.create(config, encoder_config=tiny_encoder_config)


def test_types_do_not_depend_on_the_targets_and_match_the_paragraph_alone(packed):
    alone, _ = packed.packed_probabilities(TEXTS, [[] for _ in TEXTS])
    with_targets, _ = packed.packed_probabilities(TEXTS, [TARGETS, TARGETS[:1], TARGETS[2:]])
    np.testing.assert_allclose(alone, with_targets, atol=1e-5)
    np.testing.assert_allclose(packed.type_probabilities(TEXTS), alone, atol=1e-5)


def test_a_targets_stance_depends_on_neither_the_other_targets_nor_their_order(packed):
    _, together = packed.packed_probabilities(TEXTS[:1], [TARGETS])
    for i, target in enumerate(TARGETS):
        _, alone = packed.packed_probabilities(TEXTS[:1], [[target]])
        np.testing.assert_allclose(together[0][i], alone[0][0], atol=1e-5)
    _, reversed_ = packed.packed_probabilities(TEXTS[:1], [TARGETS[::-1]])
    np.testing.assert_allclose(together[0], reversed_[0][::-1], atol=1e-5)
    assert not np.allclose(together[0][0], together[0][1], atol=1e-4)  # the target does matter


def test_stance_probabilities_of_pairs_equal_the_packed_rows(packed):
    pairs = [(target, text) for text in TEXTS for target in TARGETS]
    flat = packed.stance_probabilities(pairs)
    _, blocks = packed.packed_probabilities(TEXTS, [TARGETS] * len(TEXTS))
    np.testing.assert_allclose(flat, np.concatenate(blocks), atol=1e-5)
    np.testing.assert_allclose(flat.sum(1), 1.0, atol=1e-5)


def test_batch_mates_and_padding_do_not_change_results(packed):
    one = [packed.packed_probabilities([t], [TARGETS]) for t in TEXTS]
    batched = packed.packed_probabilities(TEXTS, [TARGETS] * 3, batch_size=3)
    for i, (types, stances) in enumerate(one):
        np.testing.assert_allclose(batched[0][i], types[0], atol=1e-5)
        np.testing.assert_allclose(batched[1][i], stances[0], atol=1e-5)


def test_predict_save_load_and_the_engine_agree(packed, tmp_path):
    expected = packed.predict(TEXTS, targets=TARGETS)
    packed.save_pretrained(tmp_path / "packed")
    loaded = ParagraphClassifier.from_pretrained(tmp_path / "packed")
    assert loaded.config.stance_encoding == "packed"
    engine = LabelEngine(loaded, EncoderSettings(quantize=False, cache_size=0))
    two_calls = ProbabilisticLabeler.predict(loaded, TEXTS, targets=TARGETS)  # type_ and stance_probabilities
    for got in (loaded.predict(TEXTS, targets=TARGETS), engine.label_groups([(TEXTS, TARGETS)])[0], two_calls):
        for a, b in zip(expected, got):
            assert a.types == b.types and a.stance == b.stance
            for target in TARGETS:
                for stance, p in a.stance_scores[target].items():
                    assert b.stance_scores[target][stance] == pytest.approx(p, abs=1e-5)


def test_engine_mixes_paragraphs_without_targets_and_repeated_ones(packed):
    engine = LabelEngine(packed, EncoderSettings(quantize=False, cache_size=0))
    groups = [(TEXTS, TARGETS[:2]), (TEXTS[:1], []), (TEXTS[1:] + TEXTS[1:], TARGETS[3:])]
    results = engine.label_groups(groups)
    for (texts, targets), predictions in zip(groups, results):
        direct = packed.predict(texts, targets=targets or None)
        assert [p.types for p in predictions] == [p.types for p in direct]
        assert [p.stance for p in predictions] == [p.stance for p in direct]


def test_int8_copy_of_a_packed_model_runs(packed):
    packed.calibrate_int8(TEXTS, [(t, p) for p in TEXTS for t in TARGETS[:2]])
    int8 = packed.quantized()
    types, stances = int8.packed_probabilities(TEXTS, [TARGETS] * 3)
    assert types.shape == (3, len(packed.taxonomy.type_names)) and stances[0].shape == (4, 3)
    assert np.abs(types - packed.type_probabilities(TEXTS)).max() < 0.1


def test_rows_layout_and_truncation():
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    row = packed_row(tokenizer, "word " * 100, ["a very long target name " * 10, "UN"], max_length=20)
    segments = row["segment_ids"]
    assert segments.count(0) == 20 and segments.count(1) == 16 and segments[-1] == 2
    assert row["position_ids"][20:36] == list(range(20, 36)) and row["position_ids"][36] == 20
    assert row["token_type_ids"] == [int(s > 0) for s in segments]
    assert row["input_ids"][35] == row["input_ids"][-1] == tokenizer.sep_token_id
    assert group_pairs([]) == ([], [], [])


def test_roberta_style_positions_are_offset(tiny_encoder_config):
    from transformers import RobertaConfig, RobertaModel

    from stancewire.models.classifier_network import ClassifierNetwork

    cfg = RobertaConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, type_vocab_size=1
    )
    roberta = ClassifierNetwork(
        RobertaModel(cfg), 32, 9, 3, stance_pooling="target", sep_token_id=2, stance_encoding="packed"
    )
    bert = ClassifierNetwork(
        BertModel(tiny_encoder_config), 32, 9, 3, stance_pooling="target", sep_token_id=102, stance_encoding="packed"
    )
    assert roberta.position_offset == cfg.pad_token_id + 1 and bert.position_offset == 0
    assert not roberta.uses_token_types and bert.uses_token_types


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="stance_encoding must be one of"):
        ClassifierConfig(stance_encoding="cross")
    with pytest.raises(ValueError, match="needs stance_pooling='target'"):
        ClassifierConfig(stance_encoding="packed", stance_pooling="mean")
    with pytest.raises(ValueError, match="stance_encoding must be one of"):
        training_config.TrainingConfig(train="a", dev="b", output_dir="c", stance_encoding="cross")
    from stancewire.models.classifier_network import STANCE_ENCODINGS

    assert training_config.STANCE_ENCODINGS == STANCE_ENCODINGS


def test_pair_models_refuse_packed_probabilities_and_old_configs_are_pair(tiny_classifier):
    saved = {k: v for k, v in tiny_classifier.config.to_dict().items() if k != "stance_encoding"}
    assert ClassifierConfig.from_dict(saved).stance_encoding == "pair"
    with pytest.raises(ValueError, match="packed_probabilities needs 'packed'"):
        tiny_classifier.packed_probabilities(TEXTS, [[]] * 3)


def test_packed_rows_need_position_ids(packed):
    row = packed_row(packed.tokenizer, TEXTS[0], TARGETS, 64)
    ids = torch.tensor([row["input_ids"]])
    with pytest.raises(ValueError, match="position_ids"):
        packed.network(
            input_ids=ids, attention_mask=torch.ones_like(ids), segment_ids=torch.tensor([row["segment_ids"]])
        )


def test_a_max_length_the_encoder_has_no_positions_for_is_refused(tiny_encoder_config):
    limit = tiny_encoder_config.max_position_embeddings  # 256
    with pytest.raises(ValueError, match=f"use max_length <= {limit - 16}"):
        ParagraphClassifier.create(
            ClassifierConfig(max_length=limit, stance_encoding="packed"), encoder_config=tiny_encoder_config
        )
    ParagraphClassifier.create(ClassifierConfig(max_length=limit), encoder_config=tiny_encoder_config)  # pair: fine
