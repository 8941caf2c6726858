"""Classifier evaluation: run labellers on data sets, score them with intervals, compare them pairwise.

The steps of :func:`evaluate_classifiers` are: load data sets, run each model (timing it), score each run
(metrics with bootstrap intervals, calibration, confusions, errors), then test every pair of models on the
same articles. It returns a results dict; the CLI writes it and the reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stancewire.eval.bootstrap import bootstrap, estimates, paired_test
from stancewire.eval.calibration import reliability_curve
from stancewire.eval.labelmap import LabelMap
from stancewire.eval.predict import Progress, predict_articles, release, run_model
from stancewire.eval.results import data_fingerprint, envelope
from stancewire.eval.scoring import (
    COMPARED_METRICS,
    HEADLINE_METRICS,
    LOWER_IS_BETTER,
    article_stats,
    classifier_metrics,
    confident_errors,
    confusion_as_dict,
    type_confusions,
)
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.schema import Article, load_articles
from stancewire.models.taxonomy import STANCE_LABELS, Taxonomy, load_taxonomy


@dataclass
class ClassifyConfig:
    """Settings of a classifier evaluation run.

    Example:
        >>> ClassifyConfig(n_resamples=200).primary_metric
        'types_macro_f1'
    """

    primary_metric: str = "types_macro_f1"
    batch_size: int = 32
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 13
    calibration_bins: int = 10
    n_errors: int = 20
    n_confusions: int = 10
    warmup: int = 8
    latency_runs: int = 20
    measure_speed: bool = True
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.primary_metric not in HEADLINE_METRICS:
            raise ValueError(f"primary_metric must be one of {list(HEADLINE_METRICS)}; got {self.primary_metric!r}.")
        if self.batch_size < 1 or self.n_resamples < 1 or self.calibration_bins < 1:
            raise ValueError("batch_size, n_resamples and calibration_bins must be at least 1.")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {self.confidence}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class EvalDataset:
    """A data set to score on: its articles, where they came from and the label set of its gold types."""

    name: str
    articles: list[Article]
    labels: tuple[str, ...]
    path: str = ""
    hashes: dict[str, str] = field(default_factory=dict)
    label_map: LabelMap | None = None

    def describe(self) -> dict[str, Any]:
        """Name, path, hashes, counts, labels and label map, for the results file."""
        return {
            "name": self.name,
            "path": self.path,
            "hashes": self.hashes,
            "n_articles": len(self.articles),
            "n_paragraphs": sum(len(a.paragraphs) for a in self.articles),
            "n_stance_items": sum(len(p.stance) for a in self.articles for p in a.paragraphs),
            "labels": list(self.labels),
            "label_map": self.label_map.to_dict() if self.label_map else None,
        }


def load_dataset(
    path: str | Path, label_map: LabelMap | str | Path | None = None, taxonomy: Taxonomy | str | None = None
) -> EvalDataset:
    """Read a data set; with a label map its gold types are read in the map's label set.

    Raises:
        DataError: for a malformed line, naming file and line.
    """
    if label_map is not None and not isinstance(label_map, LabelMap):
        label_map = LabelMap.from_file(label_map)
    taxonomy = label_map.taxonomy() if label_map else load_taxonomy(taxonomy)
    articles = load_articles(path, taxonomy=taxonomy)
    if not articles:
        raise ValueError(f"{path}: the data set holds no article; expected JSON lines of articles or paragraphs.")
    return EvalDataset(
        name=Path(path).stem,
        articles=articles,
        labels=taxonomy.type_names,
        path=str(path),
        hashes=data_fingerprint(path),
        label_map=label_map,
    )


class ClassificationEvaluator:
    """Scores a labeller on one data set; calling it returns a flat dict with a ``primary_metric`` key.

    Example:
        >>> evaluator = ClassificationEvaluator(load_dataset("fixtures/test.jsonl"))  # doctest: +SKIP
        >>> evaluator(model)["primary_metric"]  # doctest: +SKIP
        'types_macro_f1'
    """

    def __init__(self, dataset: EvalDataset, config: ClassifyConfig | None = None) -> None:
        self.dataset = dataset
        self.config = config or ClassifyConfig()

    def labels_for(self, model: Any) -> list[str]:
        """The scored label set: the data set's labels, plus any other label the model can predict."""
        labels = list(self.dataset.labels)
        if self.dataset.label_map is not None:
            self.dataset.label_map.check_covers(model.taxonomy)
            return labels
        extra = [label for label in getattr(getattr(model, "taxonomy", None), "type_names", ()) if label not in labels]
        return labels + extra

    def prepare(self, predictions: list[list[ParagraphPrediction]]) -> list[list[ParagraphPrediction]]:
        """Map predictions into the data set's label set when it has a label map."""
        label_map = self.dataset.label_map
        if label_map is None:
            return predictions
        return [[label_map.map_prediction(p) for p in preds] for preds in predictions]

    def score(self, predictions: list[list[ParagraphPrediction]], labels: Sequence[str]) -> dict[str, Any]:
        """Every metric of one model's predictions (already in the data set's label set)."""
        config, articles = self.config, self.dataset.articles
        stats = article_stats(articles, predictions, labels, config.calibration_bins)
        boot = bootstrap(
            stats, classifier_metrics, n_resamples=config.n_resamples, confidence=config.confidence, seed=config.seed
        )
        totals = {k: v.sum(axis=0) for k, v in stats.items()}
        return {
            "metrics": {m: estimates(boot, m).to_dict() for m in HEADLINE_METRICS},
            "per_label": _per_item(boot, "type_", labels),
            "stance_per_class": _per_item(boot, "stance_class_", STANCE_LABELS),
            "stance_confusion": confusion_as_dict(totals["stance_confusion"]),
            "type_confusions": type_confusions(articles, predictions, config.n_confusions),
            "reliability": {
                "types": reliability_curve(totals["type_bins"]),
                "stance": reliability_curve(totals["stance_bins"]),
            },
            "errors": confident_errors(articles, predictions, labels, config.n_errors),
            "_stats": stats,
        }

    def evaluate(self, model: Any, predictions: list[list[ParagraphPrediction]] | None = None) -> dict[str, Any]:
        """Score a model (predicting first unless ``predictions`` are given); the result keeps raw ``_stats``."""
        if predictions is None:
            run = predict_articles(model, self.dataset.articles, batch_size=self.config.batch_size, warmup=0)
            predictions = run.predictions
        report = self.score(self.prepare(predictions), self.labels_for(model))
        return {"name": str(getattr(model, "name", model)), **report}

    def __call__(self, model: Any) -> dict[str, Any]:
        """Flat metrics: ``{"primary_metric": name, metric: value, metric_low: ..., metric_high: ...}``."""
        report = self.evaluate(model)
        flat: dict[str, Any] = {"primary_metric": self.config.primary_metric}
        for name, estimate in report["metrics"].items():
            flat[name] = estimate["value"]
            flat[f"{name}_low"], flat[f"{name}_high"] = estimate["low"], estimate["high"]
        return flat


def _per_item(boot: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], prefix: str, names: Sequence[str]):
    """Per-label (or per-class) precision, recall, F1 with its interval, and support."""
    out = {}
    for i, name in enumerate(names):
        row = {k: _num(boot[f"{prefix}{k}"][0][i]) for k in ("precision", "recall", "f1")}
        row["support"] = int(boot[f"{prefix}support"][0][i])
        row["f1_low"], row["f1_high"] = _num(boot[f"{prefix}f1"][1][i]), _num(boot[f"{prefix}f1"][2][i])
        out[name] = row
    return out


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def sort_key(primary: str):
    """Leaderboard order for model reports: best primary metric first, undefined last."""

    def key(report: dict[str, Any]) -> tuple[bool, float]:
        value = report["metrics"][primary]["value"]
        if value is None:
            return (True, 0.0)
        return (False, value if primary in LOWER_IS_BETTER else -value)

    return key


def compare_models(
    reports: Sequence[dict[str, Any]], config: ClassifyConfig, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Paired test of every pair of models on the same articles for each compared metric."""
    pairs = list(itertools.combinations(reports, 2))
    out = []
    for done, (a, b) in enumerate(pairs, 1):
        tests = paired_test(
            a["_stats"],
            b["_stats"],
            classifier_metrics,
            COMPARED_METRICS,
            n_resamples=config.n_resamples,
            confidence=config.confidence,
            seed=config.seed,
        )
        for metric, result in tests.items():
            out.append(
                {
                    "a": a["name"],
                    "b": b["name"],
                    "metric": metric,
                    **result.to_dict(),
                    "significant": result.significant(config.alpha),
                }
            )
        if progress is not None:
            progress("compare", done, len(pairs))
    return out


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}#{n}", n + 1
    taken.add(candidate)
    return candidate


def evaluate_classifiers(
    models: Sequence[Any],
    data: Sequence[str | Path | EvalDataset],
    *,
    label_maps: Sequence[LabelMap | str | Path | None] | None = None,
    config: ClassifyConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate labellers (names, paths or loaded objects) on one or more data sets.

    Args:
        models: Model names/paths for :func:`load_labeler`, or labeller objects.
        data: Data files/folders (or prepared :class:`EvalDataset` objects).
        label_maps: One label map for all data sets, or one per data set (``None`` for "our labels").
        config: Run settings.
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        The results dict (schema :data:`~stancewire.eval.results.SCHEMA_VERSION`, kind ``classify``).
    """
    config = config or ClassifyConfig()
    if not models:
        raise ValueError("No model to evaluate; give at least one model name, path or object.")
    maps = list(label_maps or [None])
    if len(maps) == 1:
        maps = maps * len(data)
    if len(maps) != len(data):
        raise ValueError(f"Got {len(maps)} label maps for {len(data)} data sets; give one, or one per data set.")
    datasets = [d if isinstance(d, EvalDataset) else load_dataset(d, m) for d, m in zip(data, maps, strict=True)]
    evaluators = [ClassificationEvaluator(d, config) for d in datasets]
    per_dataset: list[list[dict[str, Any]]] = [[] for _ in datasets]
    taken: set[str] = set()
    for index, spec in enumerate(models, 1):
        if progress is not None:
            progress(
                f"model {spec if isinstance(spec, str | Path) else getattr(spec, 'name', spec)}", index, len(models)
            )
        runs = run_model(
            spec,
            [d.articles for d in datasets],
            batch_size=config.batch_size,
            warmup=config.warmup,
            latency_runs=config.latency_runs,
            measure_speed=config.measure_speed,
            progress=progress,
        )
        name = _unique(runs.name, taken)
        for evaluator, run, speed, reports in zip(evaluators, runs.runs, runs.speed, per_dataset, strict=True):
            report = evaluator.evaluate(runs.labeler, run.predictions)
            reports.append({**report, "name": name, "speed": speed.to_dict() if speed else None})
        release(runs)
    body = []
    for dataset, reports in zip(datasets, per_dataset, strict=True):
        reports.sort(key=sort_key(config.primary_metric))
        comparisons = compare_models(reports, config, progress)
        body.append({**dataset.describe(), "models": [_public(r) for r in reports], "comparisons": comparisons})
    return envelope("classify", config.to_dict(), {"primary_metric": config.primary_metric, "datasets": body})


def _public(report: dict[str, Any]) -> dict[str, Any]:
    """A model report without its raw statistics."""
    return {k: v for k, v in report.items() if not k.startswith("_")}


def evaluate_shipped(
    data: str | Path = "fixtures/test.jsonl",
    *,
    config: ClassifyConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate every model :func:`~stancewire.models.registry.available_models` lists (the shipped ones and the
    zero-shot baselines) on one data set: the comparison report of ``make demo``.

    Example:
        >>> results = evaluate_shipped("fixtures/test.jsonl")  # doctest: +SKIP
        >>> [m["name"] for m in results["datasets"][0]["models"]]  # doctest: +SKIP
    """
    from stancewire.models.registry import available_models

    return evaluate_classifiers(available_models(), [data], config=config, progress=progress)
