"""Linear probing before fine-tuning (LP-FT): fit both heads on the frozen encoder's features first.

Fine-tuning from randomly initialised heads spends its first epochs undoing what the random heads
push back into the encoder, and on small data it may never recover; it also distorts the pretrained
features more, which hurts on text unlike the training data (Kumar et al., 2022, "Fine-Tuning can
Distort Pretrained Features and Underperform Out-of-Distribution"). So the heads start as logistic
regressions on the frozen, pooled encoder outputs, and fine-tuning only refines them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from datasets import Dataset
from sklearn.linear_model import LogisticRegression

from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.classifier_network import IGNORE_INDEX, STANCE_TASK
from stancewire.training.features import TOKEN_COLUMNS, TaskCollator

NEVER_LOGIT = -8.0  # bias for a label with no positive example: predicted almost never


@dataclass
class HeadExamples:
    """Frozen-encoder inputs of each head with their labels and sample weights."""

    type_features: np.ndarray
    type_labels: np.ndarray
    type_weights: np.ndarray
    stance_features: np.ndarray
    stance_labels: np.ndarray
    stance_weights: np.ndarray


def head_examples(model: ParagraphClassifier, rows: Dataset, batch_size: int = 64) -> HeadExamples:
    """What each head reads from the frozen encoder (no dropout, no gradients), for every labelled item of ``rows``.

    Type rows (and joint rows) give type examples; stance rows give one stance example, joint rows one per
    labelled target block.
    """
    collate = TaskCollator(model.tokenizer)
    network = model.network.eval()
    order = np.argsort(rows["length"])
    found: dict[str, list] = {key: [] for key in ("tf", "ty", "tw", "sf", "sy", "sw")}
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            items = [rows[int(i)] for i in order[start : start + batch_size]]
            batch = collate(items)
            joint = batch["stance_labels"].dim() == 2
            type_input, stance_input = network.head_inputs(
                **{k: v for k, v in batch.items() if k in TOKEN_COLUMNS}, all_blocks=joint
            )
            for row, item in enumerate(items):
                if item["task"] != STANCE_TASK:
                    found["tf"].append(type_input[row].numpy())
                    found["ty"].append(item["type_labels"])
                    found["tw"].append(item["sample_weight"])
                labels = item["stance_labels"] if joint else [item["stance_labels"]]
                for block, label in enumerate(labels):
                    if label == IGNORE_INDEX:  # a type row's
                        continue
                    found["sf"].append((stance_input[row, block] if joint else stance_input[row]).numpy())
                    found["sy"].append(label)
                    found["sw"].append(item["sample_weight"])
    type_width, stance_width = network.type_head.in_features, network.stance_head.in_features
    return HeadExamples(
        np.array(found["tf"], dtype=np.float32).reshape(-1, type_width),
        np.array(found["ty"], dtype=float).reshape(-1, network.type_head.out_features),
        np.array(found["tw"], dtype=float),
        np.array(found["sf"], dtype=np.float32).reshape(-1, stance_width),
        np.array(found["sy"], dtype=int),
        np.array(found["sw"], dtype=float),
    )


def warm_start_heads(model: ParagraphClassifier, rows: Dataset, C: float = 1.0) -> None:
    """Set the type and stance heads to logistic regressions fitted on frozen features of ``rows``.

    Sample weights of the rows (silver data weighs less) are honoured. Classes are balanced, as the
    training loss is.
    """
    examples = head_examples(model, rows)
    type_weight = np.zeros(tuple(model.network.type_head.weight.shape), dtype=np.float32)
    type_bias = np.full(type_weight.shape[0], NEVER_LOGIT, dtype=np.float32)
    for j in range(type_weight.shape[0]):
        y = examples.type_labels[:, j] > 0.5
        if y.any() and not y.all():
            clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
            clf.fit(examples.type_features, y, sample_weight=examples.type_weights)
            type_weight[j], type_bias[j] = clf.coef_[0], clf.intercept_[0]
    stance_labels = examples.stance_labels
    stance_weight = np.zeros(tuple(model.network.stance_head.weight.shape), dtype=np.float32)
    stance_bias = np.full(stance_weight.shape[0], NEVER_LOGIT, dtype=np.float32)
    if len(np.unique(stance_labels)) > 2:
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        clf.fit(examples.stance_features, stance_labels, sample_weight=examples.stance_weights)
        for row, cls in enumerate(clf.classes_):
            stance_weight[cls], stance_bias[cls] = clf.coef_[row], clf.intercept_[row]
    with torch.no_grad():
        model.network.type_head.weight.copy_(torch.from_numpy(type_weight))
        model.network.type_head.bias.copy_(torch.from_numpy(type_bias))
        if len(np.unique(stance_labels)) > 2:
            model.network.stance_head.weight.copy_(torch.from_numpy(stance_weight))
            model.network.stance_head.bias.copy_(torch.from_numpy(stance_bias))
