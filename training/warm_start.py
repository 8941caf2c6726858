"""Linear probing before fine-tuning (LP-FT): fit both heads on the frozen encoder's features first.

Fine-tuning from randomly initialised heads spends its first epochs undoing what the random heads
push back into the encoder, and on small data it may never recover; it also distorts the pretrained
features more, which hurts on text unlike the training data (Kumar et al., 2022, "Fine-Tuning can
Distort Pretrained Features and Underperform Out-of-Distribution"). So the heads start as logistic
regressions on the frozen, pooled encoder outputs, and fine-tuning only refines them.
"""

from __future__ import annotations

import numpy as np
import torch
from datasets import Dataset
from sklearn.linear_model import LogisticRegression

from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.classifier_network import TYPE_TASK
from stancewire.training.features import TOKEN_COLUMNS, TaskCollator

NEVER_LOGIT = -8.0  # bias for a label with no positive example: predicted almost never


def pooled_features(model: ParagraphClassifier, rows: Dataset, batch_size: int = 64) -> np.ndarray:
    """What each row's own head reads from the frozen encoder (no dropout, no gradients).

    Type rows give the type head's input, stance rows the stance head's; the array is as wide as the wider.
    """
    collate = TaskCollator(model.tokenizer)
    network = model.network.eval()
    order = np.argsort(rows["length"])
    task = np.array(rows["task"])
    width = max(network.type_head.in_features, network.stance_head.in_features)
    features = np.zeros((len(rows), width), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = collate([rows[int(i)] for i in index])
            type_input, stance_input = network.head_inputs(**{k: v for k, v in batch.items() if k in TOKEN_COLUMNS})
            for row, i in enumerate(index):
                vector = type_input[row] if task[i] == TYPE_TASK else stance_input[row]
                features[i, : vector.shape[0]] = vector.numpy()
    return features


def warm_start_heads(model: ParagraphClassifier, rows: Dataset, C: float = 1.0) -> None:
    """Set the type and stance heads to logistic regressions fitted on frozen features of ``rows``.

    Sample weights of the rows (silver data weighs less) are honoured. Classes are balanced, as the
    training loss is.
    """
    features = pooled_features(model, rows)
    task = np.array(rows["task"])
    weights = np.array(rows["sample_weight"], dtype=float)
    is_type = task == TYPE_TASK
    type_width, stance_width = model.network.type_head.in_features, model.network.stance_head.in_features
    type_labels = np.array(rows["type_labels"])[is_type]
    type_weight = np.zeros(tuple(model.network.type_head.weight.shape), dtype=np.float32)
    type_bias = np.full(type_weight.shape[0], NEVER_LOGIT, dtype=np.float32)
    for j in range(type_labels.shape[1]):
        y = type_labels[:, j] > 0.5
        if y.any() and not y.all():
            clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
            clf.fit(features[is_type][:, :type_width], y, sample_weight=weights[is_type])
            type_weight[j], type_bias[j] = clf.coef_[0], clf.intercept_[0]
    stance_labels = np.array(rows["stance_labels"])[~is_type]
    stance_weight = np.zeros(tuple(model.network.stance_head.weight.shape), dtype=np.float32)
    stance_bias = np.full(stance_weight.shape[0], NEVER_LOGIT, dtype=np.float32)
    if len(np.unique(stance_labels)) > 2:
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        clf.fit(features[~is_type][:, :stance_width], stance_labels, sample_weight=weights[~is_type])
        for row, cls in enumerate(clf.classes_):
            stance_weight[cls], stance_bias[cls] = clf.coef_[row], clf.intercept_[row]
    with torch.no_grad():
        model.network.type_head.weight.copy_(torch.from_numpy(type_weight))
        model.network.type_head.bias.copy_(torch.from_numpy(type_bias))
        if len(np.unique(stance_labels)) > 2:
            model.network.stance_head.weight.copy_(torch.from_numpy(stance_weight))
            model.network.stance_head.bias.copy_(torch.from_numpy(stance_bias))
