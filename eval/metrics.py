"""Classification metrics computed from counts, so the bootstrap can resample articles by summing counts.

Every function takes count arrays with any leading batch shape (one row per bootstrap resample) and
returns arrays of the same leading shape. Undefined values (a label neither in the gold labels nor in the
predictions of a sample) are ``nan`` and are left out of macro averages, like scikit-learn does when it
infers the label set from the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stancewire.models.taxonomy import STANCE_LABELS

TYPE_HEADLINE = ("types_micro_f1", "types_macro_f1", "types_exact_match")
STANCE_HEADLINE = ("stance_macro_f1", "stance_semeval_f1", "stance_accuracy")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, ``nan`` where the denominator is zero."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def prf_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall and F1 per position from true positive, false positive and false negative counts.

    A label with gold instances but no predictions gets precision 0 (and F1 0); a label predicted but absent
    from the gold labels gets recall 0; a label absent from both is undefined (``nan``).

    Example:
        >>> m = prf_from_counts(np.array([1, 0]), np.array([1, 0]), np.array([0, 0]))
        >>> [round(float(x), 3) for x in m["f1"][:1]], bool(np.isnan(m["f1"][1]))
        ([0.667], True)
    """
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    seen = (tp + fp + fn) > 0
    precision = np.where(seen, np.nan_to_num(_ratio(tp, tp + fp)), np.nan)
    recall = np.where(seen, np.nan_to_num(_ratio(tp, tp + fn)), np.nan)
    f1 = np.where(seen, np.nan_to_num(_ratio(2 * tp, 2 * tp + fp + fn)), np.nan)
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def _nanmean_last(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring ``nan``; ``nan`` when every value is ``nan`` (without a warning)."""
    valid = ~np.isnan(values)
    count = valid.sum(axis=-1)
    total = np.where(valid, values, 0.0).sum(axis=-1)
    return _ratio(total, count)


def type_metrics(counts: np.ndarray, exact: np.ndarray, n_paragraphs: np.ndarray) -> dict[str, np.ndarray]:
    """Multi-label metrics of paragraph types.

    Args:
        counts: Shape ``(..., L, 3)``: true positives, false positives and false negatives per label.
        exact: Shape ``(...)``: paragraphs whose predicted label set equals the gold set (both empty counts).
        n_paragraphs: Shape ``(...)``: paragraphs scored.

    Returns:
        Per-label ``precision``/``recall``/``f1``/``support`` (shape ``(..., L)``) and the headline
        ``types_micro_f1``, ``types_macro_f1``, ``types_exact_match``.
    """
    counts = np.asarray(counts, dtype=float)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    per_label = prf_from_counts(tp, fp, fn)
    micro = prf_from_counts(tp.sum(-1), fp.sum(-1), fn.sum(-1))
    return {
        **per_label,
        "types_micro_precision": micro["precision"],
        "types_micro_recall": micro["recall"],
        "types_micro_f1": micro["f1"],
        "types_macro_f1": _nanmean_last(per_label["f1"]),
        "types_exact_match": _ratio(exact, n_paragraphs),
    }


def stance_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Stance metrics from a confusion matrix ``(..., 3, 3)`` (rows gold, columns predicted, favor/against/none).

    Returns per-class ``precision``/``recall``/``f1``/``support`` (shape ``(..., 3)``), ``stance_macro_f1``
    (mean over the classes present), ``stance_semeval_f1`` (mean F1 of favor and against, SemEval-2016 Task 6)
    and ``stance_accuracy``.

    Example:
        >>> m = stance_metrics(np.array([[2, 0, 0], [0, 1, 1], [0, 0, 1]]))
        >>> round(float(m["stance_accuracy"]), 2), round(float(m["stance_semeval_f1"]), 3)
        (0.8, 0.833)
    """
    confusion = np.asarray(confusion, dtype=float)
    diagonal = np.diagonal(confusion, axis1=-2, axis2=-1)
    tp = diagonal
    fp = confusion.sum(-2) - diagonal
    fn = confusion.sum(-1) - diagonal
    per_class = prf_from_counts(tp, fp, fn)
    f1 = per_class["f1"]
    return {
        **per_class,
        "stance_macro_f1": _nanmean_last(f1),
        "stance_semeval_f1": _nanmean_last(f1[..., :2]),
        "stance_accuracy": _ratio(diagonal.sum(-1), confusion.sum((-2, -1))),
    }


def multilabel_counts(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> tuple[np.ndarray, int]:
    """Count true/false positives and false negatives per label, and exact matches.

    Args:
        gold: Gold label sets, one per paragraph.
        predicted: Predicted label sets, aligned with ``gold``.
        labels: The label order of the output rows.

    Returns:
        ``(counts, exact)``: an ``(L, 3)`` int array and the number of exact set matches.

    Example:
        >>> counts, exact = multilabel_counts([["a"], []], [["a", "b"], []], ["a", "b"])
        >>> counts.tolist(), exact
        ([[1, 0, 0], [0, 1, 0]], 1)
    """
    if len(gold) != len(predicted):
        raise ValueError(f"Got {len(gold)} gold label sets but {len(predicted)} predictions; they must align.")
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), 3), dtype=np.int64)
    exact = 0
    for gold_set, pred_set in zip(map(set, gold), map(set, predicted), strict=True):
        unknown = (gold_set | pred_set) - index.keys()
        if unknown:
            raise ValueError(f"Label(s) {sorted(unknown)} are not in the scored label set {list(labels)}.")
        for label in gold_set & pred_set:
            counts[index[label], 0] += 1
        for label in pred_set - gold_set:
            counts[index[label], 1] += 1
        for label in gold_set - pred_set:
            counts[index[label], 2] += 1
        exact += gold_set == pred_set
    return counts, exact


def stance_confusion(gold: Sequence[str], predicted: Sequence[str]) -> np.ndarray:
    """A 3x3 confusion matrix (rows gold, columns predicted) over favor/against/none.

    Example:
        >>> stance_confusion(["favor", "none"], ["favor", "against"]).tolist()
        [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    """
    index = {label: i for i, label in enumerate(STANCE_LABELS)}
    matrix = np.zeros((3, 3), dtype=np.int64)
    for g, p in zip(gold, predicted, strict=True):
        if g not in index or p not in index:
            raise ValueError(f"Stance labels must be one of {list(STANCE_LABELS)}; got gold {g!r}, predicted {p!r}.")
        matrix[index[g], index[p]] += 1
    return matrix


def multilabel_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> dict[str, float | dict[str, dict[str, float]]]:
    """Type metrics straight from label sets (convenience wrapper, no intervals).

    Example:
        >>> s = multilabel_scores([["a"], ["b"]], [["a"], []], ["a", "b"])
        >>> s["types_micro_f1"], s["types_macro_f1"], s["types_exact_match"]
        (0.6666666666666666, 0.5, 0.5)
    """
    counts, exact = multilabel_counts(gold, predicted, labels)
    metrics = type_metrics(counts, np.array(exact), np.array(len(gold)))
    per_label = {
        label: {key: float(metrics[key][i]) for key in ("precision", "recall", "f1", "support")}
        for i, label in enumerate(labels)
    }
    headline = {key: float(metrics[key]) for key in (*TYPE_HEADLINE, "types_micro_precision", "types_micro_recall")}
    return {**headline, "per_label": per_label}


def stance_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float | dict[str, dict[str, float]]]:
    """Stance metrics straight from label lists (convenience wrapper, no intervals)."""
    metrics = stance_metrics(stance_confusion(gold, predicted))
    per_class = {
        label: {key: float(metrics[key][i]) for key in ("precision", "recall", "f1", "support")}
        for i, label in enumerate(STANCE_LABELS)
    }
    return {**{key: float(metrics[key]) for key in STANCE_HEADLINE}, "per_class": per_class}
