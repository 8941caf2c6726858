"""Joint training rows: one packed row per paragraph with its type labels and a stance label per target block."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.classifier_config import ClassifierConfig
from stancewire.models.schema import Article, Paragraph
from stancewire.models.taxonomy import DEFAULT_TAXONOMY
from stancewire.training.config import TrainingConfig
from stancewire.training.features import TaskCollator, joint_rows, task_rows, tokenize_rows
from stancewire.training.warm_start import head_examples

ARTICLES = [
    Article(
        id="a",
        title="t",
        targets=["Israel", "Hamas", "ceasefire"],
        paragraphs=[
            Paragraph(
                "Israel struck the camp overnight; Hamas called it a massacre.",
                ["military_action", "accusation"],
                {"Israel": "against", "Hamas": "none", "ceasefire": "none"},
            ),
            Paragraph(
                "Mediators pressed both sides to accept a truce.",
                ["call_for_ceasefire", "diplomacy"],
                {"Israel": "none", "Hamas": "none", "ceasefire": "favor"},
            ),
            Paragraph("The weather was mild.", [], {"Israel": "none", "Hamas": "none", "ceasefire": "none"}),
        ],
    )
]


@pytest.fixture(scope="module")
def packed(tiny_encoder_config):
    torch.manual_seed(0)
    model = ParagraphClassifier.create(
        ClassifierConfig(max_length=64, stance_encoding="packed"),
        encoder_config=tiny_encoder_config,
        stance_class_weight=torch.tensor([2.0, 1.5, 0.5]),
    )
    model.network.eval()  # no dropout: the two layouts must give the same numbers
    return model


def loss_of(model, rows):
    table = tokenize_rows(rows, model.tokenizer, 64, packed=True)
    batch = TaskCollator(model.tokenizer)([table[i] for i in range(len(table))])
    batch.pop("length", None)
    with torch.no_grad():
        return float(model.network(**batch)["loss"])


def test_joint_rows_give_the_loss_of_a_type_row_plus_one_row_per_target(packed):
    split = loss_of(packed, task_rows(ARTICLES, DEFAULT_TAXONOMY))
    joint = loss_of(packed, joint_rows(ARTICLES, DEFAULT_TAXONOMY))
    assert joint == pytest.approx(split, rel=1e-5)


def test_joint_rows_sample_absent_none_targets_like_split_rows():
    rows = joint_rows(ARTICLES, DEFAULT_TAXONOMY, absent_none_keep=0.0)
    assert [r["targets"] for r in rows] == [["Israel", "Hamas"], ["ceasefire"], []]
    stances = DEFAULT_TAXONOMY.stances
    assert rows[0]["stance_labels"] == [stances.index("against"), stances.index("none")]
    split = task_rows(ARTICLES, DEFAULT_TAXONOMY, absent_none_keep=0.0)
    assert sum(len(r["targets"]) for r in rows) == sum(r["task"] == 1 for r in split)


def test_a_paragraph_without_kept_targets_still_trains_its_types(packed):
    rows = joint_rows(ARTICLES[:1], DEFAULT_TAXONOMY, absent_none_keep=0.0)[2:]
    table = tokenize_rows(rows, packed.tokenizer, 64)
    batch = TaskCollator(packed.tokenizer)([table[0]])
    assert batch["stance_labels"].tolist() == [[-100]]
    assert loss_of(packed, rows) > 0


def test_warm_start_sees_the_same_examples_in_either_layout(packed):
    def examples(rows):
        found = head_examples(packed, tokenize_rows(rows, packed.tokenizer, 64, packed=True))
        order = np.lexsort(found.stance_features.T)
        return found.stance_features[order], found.stance_labels[order], np.sort(found.type_features, axis=0)

    for a, b in zip(examples(task_rows(ARTICLES, DEFAULT_TAXONOMY)), examples(joint_rows(ARTICLES, DEFAULT_TAXONOMY))):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_joint_rows_need_the_packed_encoding():
    with pytest.raises(ValueError, match="joint_rows needs stance_encoding 'packed'"):
        TrainingConfig(train="a", dev="b", output_dir="c", joint_rows=True)
    TrainingConfig(train="a", dev="b", output_dir="c", joint_rows=True, stance_encoding="packed")
