"""Tokenised training tables for the two-task classifier, and the collator that pads them.

Each paragraph gives one *type row* (``task=0``: the paragraph alone, multi-hot type labels) and one
*stance row* per labelled target (``task=1``: the pair (target, paragraph), a stance class index; for
packed models the paragraph followed by that one target's block).

Packed models may instead train on **joint rows** (:func:`joint_rows`, ``task=2``): one row per paragraph,
the paragraph followed by a block for each of its targets, with the type labels and one stance class per
block. Block attention makes each block's stance exactly what the one-target row would give, so the losses
are those of the split rows, but the paragraph is encoded once per step instead of once per target.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from stancewire.models.classifier_network import IGNORE_INDEX, JOINT_TASK, STANCE_TASK, TYPE_TASK
from stancewire.models.packed_inputs import PADDING_SEGMENT, packed_row
from stancewire.models.schema import Article
from stancewire.models.taxonomy import Taxonomy

TOKEN_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "segment_ids")
LABEL_COLUMNS = ("task", "type_labels", "stance_labels", "sample_weight")


def mentions(target: str, text: str) -> bool:
    """Whether ``text`` mentions ``target`` (case-insensitive, at a word start: "Israel" matches "Israeli")."""
    return re.search(r"\b" + re.escape(target), text, re.IGNORECASE) is not None


def task_rows(
    articles: Sequence[Article],
    taxonomy: Taxonomy,
    weight: float = 1.0,
    absent_none_keep: float = 1.0,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Untokenised rows of both tasks: each of :func:`joint_rows`' rows split into a type row and a stance row
    per kept target (so both layouts keep the same pairs).

    Args:
        articles: Labelled articles.
        taxonomy: Label order.
        weight: Loss weight of these rows (silver data gets less than 1).
        absent_none_keep: Share of ``none`` pairs whose paragraph does not mention the target to keep.
        seed: Seed of that sampling.
    """
    rows = []
    zeros = [0.0] * len(taxonomy.type_names)
    for joint in joint_rows(articles, taxonomy, weight, absent_none_keep, seed):
        rows.append(
            {
                "task": TYPE_TASK,
                "first": joint["first"],
                "second": None,
                "type_labels": joint["type_labels"],
                "stance_labels": IGNORE_INDEX,
                "sample_weight": weight,
            }
        )
        for target, label in zip(joint["targets"], joint["stance_labels"]):
            rows.append(
                {
                    "task": STANCE_TASK,
                    "first": target,
                    "second": joint["first"],
                    "type_labels": zeros,
                    "stance_labels": label,
                    "sample_weight": weight,
                }
            )
    return rows


def joint_rows(
    articles: Sequence[Article],
    taxonomy: Taxonomy,
    weight: float = 1.0,
    absent_none_keep: float = 1.0,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Untokenised joint rows: one per paragraph, with its type labels and a stance class per kept target.

    Arguments as in :func:`task_rows`; ``stance_labels`` is a list in the order of ``targets`` (empty when no
    target is kept).
    """
    rng = random.Random(seed)
    rows = []
    for article in articles:
        for paragraph in article.paragraphs:
            targets = [
                target
                for target, stance in paragraph.stance.items()
                if _kept(target, stance, paragraph.text, rng, absent_none_keep)
            ]
            rows.append(
                {
                    "task": JOINT_TASK,
                    "first": paragraph.text,
                    "targets": targets,
                    "type_labels": [float(n in paragraph.types) for n in taxonomy.type_names],
                    "stance_labels": [taxonomy.stances.index(paragraph.stance[t]) for t in targets],
                    "sample_weight": weight,
                }
            )
    return rows


def _kept(target: str, stance: str, text: str, rng: random.Random, absent_none_keep: float) -> bool:
    """Whether a (paragraph, target) pair is trained on: always, unless ``none`` for a target the text never names
    (then with probability ``absent_none_keep``)."""
    return stance != "none" or mentions(target, text) or rng.random() < absent_none_keep


def tokenize_rows(
    rows: list[dict[str, Any]], tokenizer: PreTrainedTokenizerBase, max_length: int, packed: bool = False
) -> Dataset:
    """Tokenise rows (no padding; the collator pads per batch) into a ``datasets.Dataset``.

    With ``packed`` a stance row is the paragraph followed by its target's block and a type row the paragraph
    alone, both with ``position_ids`` and ``segment_ids`` (see :mod:`~stancewire.models.packed_inputs`). Joint
    rows (:func:`joint_rows`) are always packed.
    """
    if rows and rows[0]["task"] == JOINT_TASK:
        packed = True
    if packed:
        return _packed_table(rows, tokenizer, max_length)
    columns: dict[str, list] = {k: [] for k in ("input_ids", "attention_mask", "token_type_ids", *LABEL_COLUMNS)}
    columns["length"] = []
    singles = [r for r in rows if r["second"] is None]
    pairs = [r for r in rows if r["second"] is not None]
    encoded_singles = (
        tokenizer([r["first"] for r in singles], truncation=True, max_length=max_length) if singles else {}
    )
    encoded_pairs = (
        tokenizer(
            [r["first"] for r in pairs], [r["second"] for r in pairs], truncation="only_second", max_length=max_length
        )
        if pairs
        else {}
    )
    for group, encoded in ((singles, encoded_singles), (pairs, encoded_pairs)):
        for i, row in enumerate(group):
            ids = encoded["input_ids"][i]
            columns["input_ids"].append(ids)
            columns["attention_mask"].append(encoded["attention_mask"][i])
            columns["token_type_ids"].append(
                encoded["token_type_ids"][i] if "token_type_ids" in encoded else [0] * len(ids)
            )
            columns["length"].append(len(ids))
            for key in LABEL_COLUMNS:
                columns[key].append(row[key])
    return Dataset.from_dict(columns)


def _packed_table(rows: list[dict[str, Any]], tokenizer: PreTrainedTokenizerBase, max_length: int) -> Dataset:
    columns: dict[str, list] = {k: [] for k in (*TOKEN_COLUMNS, *LABEL_COLUMNS, "length")}
    for row in rows:
        if row["task"] == JOINT_TASK:
            paragraph, targets = row["first"], row["targets"]
        elif row["second"] is None:
            paragraph, targets = row["first"], []
        else:
            paragraph, targets = row["second"], [row["first"]]
        packed = packed_row(tokenizer, paragraph, targets, max_length)
        for key, value in packed.items():
            columns[key].append(value)
        columns["attention_mask"].append([1] * len(packed["input_ids"]))
        columns["length"].append(len(packed["input_ids"]))
        for key in LABEL_COLUMNS:
            columns[key].append(row[key])
    return Dataset.from_dict(columns)


@dataclass
class TaskCollator:
    """Pads token columns to the longest row of the batch and stacks the label columns.

    Joint rows' stance labels (one per target block) are padded with ``IGNORE_INDEX`` to the most blocks of
    the batch (at least one column).
    """

    tokenizer: PreTrainedTokenizerBase

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Collate a list of tokenised rows into a batch of tensors."""
        width = max(len(f["input_ids"]) for f in features)
        pad = {
            "input_ids": self.tokenizer.pad_token_id or 0,
            "attention_mask": 0,
            "token_type_ids": 0,
            "position_ids": 0,
            "segment_ids": PADDING_SEGMENT,
        }
        batch = {
            key: torch.tensor([f[key] + [value] * (width - len(f[key])) for f in features], dtype=torch.long)
            for key, value in pad.items()
            if key in features[0]
        }
        batch.update(
            {
                "task": torch.tensor([f["task"] for f in features], dtype=torch.long),
                "type_labels": torch.tensor([f["type_labels"] for f in features], dtype=torch.float),
                "stance_labels": _stance_labels([f["stance_labels"] for f in features]),
                "sample_weight": torch.tensor([f["sample_weight"] for f in features], dtype=torch.float),
            }
        )
        return batch


def _stance_labels(labels: list) -> torch.Tensor:
    """Stance labels as a tensor: ``(batch,)`` for split rows, ``(batch, blocks)`` for joint rows."""
    if not labels or not isinstance(labels[0], list):
        return torch.tensor(labels, dtype=torch.long)
    width = max([1, *(len(row) for row in labels)])
    return torch.tensor([row + [IGNORE_INDEX] * (width - len(row)) for row in labels], dtype=torch.long)
