"""Per-article statistics of a labeller's predictions and the metrics computed from their sums.

The statistics are additive, so :mod:`stancewire.eval.bootstrap` can resample articles by summing rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stancewire.eval.calibration import bin_stats, ece_from_bins
from stancewire.eval.metrics import multilabel_counts, stance_confusion, stance_metrics, type_metrics
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.schema import Article
from stancewire.models.taxonomy import STANCE_LABELS

HEADLINE_METRICS = (
    "types_micro_f1",
    "types_macro_f1",
    "types_exact_match",
    "stance_macro_f1",
    "stance_semeval_f1",
    "stance_accuracy",
    "types_ece",
    "stance_ece",
)
"""The metrics shown on the leaderboard, each with a bootstrap interval."""
LOWER_IS_BETTER = frozenset({"types_ece", "stance_ece"})
COMPARED_METRICS = HEADLINE_METRICS[:6]
"""The metrics tested pairwise between models."""


def type_score(prediction: ParagraphPrediction, label: str) -> float:
    """The probability of a type label; 1/0 by the predicted set when the model gives no score for it."""
    if label in prediction.type_scores:
        return float(prediction.type_scores[label])
    return 1.0 if label in prediction.types else 0.0


def stance_items(
    article: Article, predictions: Sequence[ParagraphPrediction]
) -> list[tuple[int, str, str, str, float | None]]:
    """Gold/predicted stance pairs of an article: (paragraph, target, gold, predicted, confidence).

    A target the model gave no stance for counts as a prediction of ``none``.
    """
    items = []
    for j, (paragraph, prediction) in enumerate(zip(article.paragraphs, predictions, strict=True)):
        for target, gold in paragraph.stance.items():
            predicted = prediction.stance.get(target, "none")
            scores = prediction.stance_scores.get(target)
            confidence = float(scores[predicted]) if scores and predicted in scores else None
            items.append((j, target, gold, predicted, confidence))
    return items


def article_stats(
    articles: Sequence[Article],
    predictions: Sequence[Sequence[ParagraphPrediction]],
    labels: Sequence[str],
    n_bins: int = 10,
) -> dict[str, np.ndarray]:
    """Additive statistics per article.

    Returns:
        ``type_counts`` ``(n, L, 3)``, ``type_exact`` ``(n,)``, ``paragraphs`` ``(n,)``,
        ``stance_confusion`` ``(n, 3, 3)``, ``type_bins`` and ``stance_bins`` ``(n, n_bins, 3)``.
    """
    if len(articles) != len(predictions):
        raise ValueError(f"Got predictions for {len(predictions)} articles but {len(articles)} articles.")
    n, n_labels = len(articles), len(labels)
    stats = {
        "type_counts": np.zeros((n, n_labels, 3)),
        "type_exact": np.zeros(n),
        "paragraphs": np.zeros(n),
        "stance_confusion": np.zeros((n, 3, 3)),
        "type_bins": np.zeros((n, n_bins, 3)),
        "stance_bins": np.zeros((n, n_bins, 3)),
    }
    for i, (article, preds) in enumerate(zip(articles, predictions, strict=True)):
        gold_types = [p.types for p in article.paragraphs]
        pred_types = [p.types for p in preds]
        counts, exact = multilabel_counts(gold_types, pred_types, labels)
        stats["type_counts"][i], stats["type_exact"][i], stats["paragraphs"][i] = counts, exact, len(preds)
        probs = [type_score(p, label) for p in preds for label in labels]
        outcomes = [label in gold for gold in gold_types for label in labels]
        stats["type_bins"][i] = bin_stats(probs, outcomes, n_bins)
        items = stance_items(article, preds)
        if items:
            gold_stance = [gold for _, _, gold, _, _ in items]
            pred_stance = [pred for _, _, _, pred, _ in items]
            stats["stance_confusion"][i] = stance_confusion(gold_stance, pred_stance)
            scored = [(conf, gold == pred) for _, _, gold, pred, conf in items if conf is not None]
            stats["stance_bins"][i] = bin_stats([c for c, _ in scored], [ok for _, ok in scored], n_bins)
    return stats


def classifier_metrics(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All classifier metrics from summed statistics (leading resample axis allowed).

    Per-label arrays are prefixed ``type_`` (``type_f1`` ...) and per-class arrays ``stance_class_``.
    """
    types = type_metrics(sums["type_counts"], sums["type_exact"], sums["paragraphs"])
    stance = stance_metrics(sums["stance_confusion"])
    out = {k: v for k, v in types.items() if k.startswith("types_")}
    out.update({f"type_{k}": types[k] for k in ("precision", "recall", "f1", "support")})
    out.update({k: v for k, v in stance.items() if k.startswith("stance_")})
    out.update({f"stance_class_{k}": stance[k] for k in ("precision", "recall", "f1", "support")})
    out["types_ece"] = ece_from_bins(sums["type_bins"])
    out["stance_ece"] = ece_from_bins(sums["stance_bins"])
    return out


def type_confusions(
    articles: Sequence[Article], predictions: Sequence[Sequence[ParagraphPrediction]], top: int = 10
) -> list[dict[str, object]]:
    """The most frequent type confusions: predicted X (not in the gold labels) where gold Y was missed.

    ``"(nothing)"`` stands for an extra label with no missed one, or a missed label with no extra one.
    """
    counter: dict[tuple[str, str], int] = {}
    for article, preds in zip(articles, predictions, strict=True):
        for paragraph, prediction in zip(article.paragraphs, preds, strict=True):
            extra = sorted(set(prediction.types) - set(paragraph.types)) or ["(nothing)"]
            missed = sorted(set(paragraph.types) - set(prediction.types)) or ["(nothing)"]
            for x in extra:
                for y in missed:
                    if (x, y) != ("(nothing)", "(nothing)"):
                        counter[(x, y)] = counter.get((x, y), 0) + 1
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [{"predicted": x, "gold": y, "count": c} for (x, y), c in ranked]


def confident_errors(
    articles: Sequence[Article],
    predictions: Sequence[Sequence[ParagraphPrediction]],
    labels: Sequence[str],
    top: int = 20,
) -> list[dict[str, object]]:
    """The ``top`` most confident wrong predictions, with their text.

    A wrong type is a predicted label missing from the gold labels (confidence: its probability) or a gold
    label not predicted (confidence: one minus its probability); a wrong stance is a predicted class that
    differs from the gold one (confidence: its probability, unknown when the model gives no scores).
    """
    errors: list[dict[str, object]] = []
    for article, preds in zip(articles, predictions, strict=True):
        for j, (paragraph, prediction) in enumerate(zip(article.paragraphs, preds, strict=True)):
            base = {"article": article.id, "paragraph": j, "text": paragraph.text}
            for label in labels:
                predicted, gold = label in prediction.types, label in paragraph.types
                if predicted == gold:
                    continue
                score = type_score(prediction, label)
                errors.append(
                    {
                        **base,
                        "task": "type",
                        "target": label,
                        "predicted": "present" if predicted else "absent",
                        "gold": "present" if gold else "absent",
                        "confidence": score if predicted else 1.0 - score,
                    }
                )
        for j, target, gold, predicted, confidence in stance_items(article, preds):
            if gold != predicted:
                errors.append(
                    {
                        "article": article.id,
                        "paragraph": j,
                        "text": article.paragraphs[j].text,
                        "task": "stance",
                        "target": target,
                        "predicted": predicted,
                        "gold": gold,
                        "confidence": confidence,
                    }
                )
    errors.sort(key=lambda e: (-(e["confidence"] if e["confidence"] is not None else -1.0), e["article"]))
    return errors[:top]


def confusion_as_dict(matrix: np.ndarray) -> dict[str, object]:
    """A stance confusion matrix with its row (gold) and column (predicted) labels."""
    return {"labels": list(STANCE_LABELS), "matrix": np.asarray(matrix).astype(int).tolist()}
