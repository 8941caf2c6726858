"""Run a paragraph labeller over articles: stance is predicted for each article's own targets.

Paragraphs of articles that share the same target list are predicted in one call, so every model sees the
same batch size; a warm-up call runs first and is not timed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancewire.eval.speed import PeakMemory, SpeedResult, model_folder, model_size_mb, percentiles_ms, time_calls
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.registry import available_models, load_labeler
from stancewire.models.schema import Article

Progress = Callable[[str, int, int], None]
"""Progress callback: ``(stage, done, total)``."""


@dataclass
class LabelerRun:
    """Predictions of one model on one data set, aligned with the articles, and the time they took.

    Example:
        >>> LabelerRun(predictions=[[]], seconds=0.0, paragraphs=0).paragraphs_per_second is None
        True
    """

    predictions: list[list[ParagraphPrediction]]
    seconds: float
    paragraphs: int

    @property
    def paragraphs_per_second(self) -> float | None:
        """Throughput of the timed pass."""
        return self.paragraphs / self.seconds if self.seconds > 0 and self.paragraphs else None


def _as_list(result: ParagraphPrediction | list[ParagraphPrediction]) -> list[ParagraphPrediction]:
    return [result] if isinstance(result, ParagraphPrediction) else list(result)


def group_by_targets(articles: Sequence[Article]) -> dict[tuple[str, ...], list[tuple[int, int]]]:
    """(article index, paragraph index) positions grouped by the article's target list.

    Example:
        >>> from stancewire.models.schema import Paragraph
        >>> a = Article(id="a", paragraphs=[Paragraph("x"), Paragraph("y")], targets=["t"])
        >>> group_by_targets([a])
        {('t',): [(0, 0), (0, 1)]}
    """
    groups: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for i, article in enumerate(articles):
        key = tuple(article.targets)
        groups.setdefault(key, []).extend((i, j) for j in range(len(article.paragraphs)))
    return groups


def predict_articles(
    model: Any,
    articles: Sequence[Article],
    *,
    batch_size: int = 32,
    warmup: int = 8,
    progress: Progress | None = None,
) -> LabelerRun:
    """Predict every paragraph of every article with the model, stance for the article's targets.

    Args:
        model: A paragraph labeller (``.predict(texts, targets=..., batch_size=...)``).
        articles: The articles.
        batch_size: Passed to every ``predict`` call.
        warmup: Paragraphs predicted once, untimed, before the timed pass (loads lazy weights, fills caches).
        progress: Called with ``("predict", done, total)`` after each call.

    Returns:
        A :class:`LabelerRun`; predictions[i][j] belongs to paragraph j of article i.
    """
    groups = group_by_targets(articles)
    total = sum(len(a.paragraphs) for a in articles)
    if warmup and total:
        first_targets, first_positions = next(iter(groups.items()))
        sample = [articles[i].paragraphs[j].text for i, j in first_positions[:warmup]]
        model.predict(sample, targets=list(first_targets) or None, batch_size=batch_size)
    predictions: list[list[ParagraphPrediction | None]] = [[None] * len(a.paragraphs) for a in articles]
    done, seconds = 0, 0.0
    for targets, positions in groups.items():
        for start in range(0, len(positions), batch_size * 8):
            chunk = positions[start : start + batch_size * 8]
            texts = [articles[i].paragraphs[j].text for i, j in chunk]
            began = time.perf_counter()
            result = _as_list(model.predict(texts, targets=list(targets) or None, batch_size=batch_size))
            seconds += time.perf_counter() - began
            if len(result) != len(texts):
                raise ValueError(
                    f"Model {getattr(model, 'name', model)!r} returned {len(result)} predictions for {len(texts)} "
                    "paragraphs; predict() must return one prediction per paragraph."
                )
            for (i, j), prediction in zip(chunk, result, strict=True):
                predictions[i][j] = prediction
            done += len(chunk)
            if progress is not None:
                progress("predict", done, total)
    return LabelerRun(predictions=predictions, seconds=seconds, paragraphs=total)  # type: ignore[arg-type]


def measure_latency(
    model: Any, articles: Sequence[Article], runs: int = 20, budget_seconds: float = 30.0
) -> tuple[float | None, float | None, int]:
    """p50/p95 milliseconds of single-paragraph calls (with the article's targets) after one warm-up call,
    and the number of calls timed (at most ``runs``; fewer, but at least 5, once ``budget_seconds`` is spent)."""
    items = [(p.text, a.targets) for a in articles for p in a.paragraphs]
    if not items or runs <= 0:
        return None, None, 0

    def call(i: int) -> None:
        text, targets = items[i % len(items)]
        model.predict([text], targets=list(targets) or None, batch_size=1)

    durations = time_calls(call, runs=runs, warmup=1, budget_seconds=budget_seconds)
    return (*percentiles_ms(durations), len(durations))


@dataclass
class ModelRuns:
    """One model's name, runs per data set and speed (shared by the data sets)."""

    name: str
    labeler: Any
    runs: list[LabelerRun]
    speed: list[SpeedResult | None]


def run_model(
    spec: Any,
    datasets: Sequence[Sequence[Article]],
    *,
    batch_size: int,
    warmup: int,
    latency_runs: int,
    measure_speed: bool,
    progress: Progress | None = None,
) -> ModelRuns:
    """Load (when given a name or path) and run one model on every data set, measuring speed and memory.

    Peak memory is measured in this process (load included for names and paths); the memory a previous
    model freed may be reused, so treat it as an estimate.
    """
    if isinstance(spec, str | Path):
        available_models()  # imports the built-in model modules (torch, sklearn) outside the measured block
    with PeakMemory() as peak:
        labeler = load_labeler(spec) if isinstance(spec, str | Path) else spec
        runs = [
            predict_articles(labeler, articles, batch_size=batch_size, warmup=warmup, progress=progress)
            for articles in datasets
        ]
        latencies = [measure_latency(labeler, a, latency_runs) if measure_speed else (None, None, 0) for a in datasets]
    name = str(getattr(labeler, "name", spec))
    if not measure_speed:
        return ModelRuns(name, labeler, runs, [None] * len(runs))
    size = model_size_mb(labeler, model_folder(spec))
    speed = [
        SpeedResult(
            paragraphs_per_second=run.paragraphs_per_second,
            batch_size=batch_size,
            latency_p50_ms=p50,
            latency_p95_ms=p95,
            size_mb=size,
            peak_memory_mb=peak.mb,
            latency_runs=n,
        )
        for run, (p50, p95, n) in zip(runs, latencies, strict=True)
    ]
    return ModelRuns(name, labeler, runs, speed)


def release(runs: ModelRuns) -> None:
    """Drop the reference to a loaded model so its memory can be reclaimed before the next one."""
    runs.labeler = None
    gc.collect()
