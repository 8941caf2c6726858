"""Summariser evaluation: ROUGE with intervals, faithfulness before/after the guard, length and time.

The steps of :func:`evaluate_summarisers` are: load the data, run each method on every article (timing
it), count ROUGE and faithfulness per article, bootstrap every metric over articles, then test every pair
of methods on ROUGE. It returns a results dict; the CLI writes it and the reports.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stancewire.eval.bootstrap import bootstrap, estimates, paired_test
from stancewire.eval.faithfulness import FaithfulnessCounter, guard_counts
from stancewire.eval.predict import Progress
from stancewire.eval.results import envelope
from stancewire.eval.summary_data import SummaryDataset, load_summary_dataset
from stancewire.eval.summary_metrics import (
    ROUGE_TYPES,
    SUMMARY_HEADLINE,
    rouge,
    sentences,
    stack_rows,
    summary_metrics,
    summary_row,
    word_count,
)
from stancewire.models.schema import Article

LOWER_IS_BETTER_SUMMARY = frozenset({"fallback_rate", "seconds_per_article"})


@dataclass
class SummariseConfig:
    """Settings of a summariser evaluation run.

    Example:
        >>> SummariseConfig(limit=20).primary_metric
        'rougeL'
    """

    primary_metric: str = "rougeL"
    limit: int | None = None
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 13
    n_examples: int = 3
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.primary_metric not in SUMMARY_HEADLINE:
            raise ValueError(f"primary_metric must be one of {list(SUMMARY_HEADLINE)}; got {self.primary_metric!r}.")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be a positive number of articles; got {self.limit}.")
        if self.n_resamples < 1 or not 0.0 < self.confidence < 1.0:
            raise ValueError("n_resamples must be at least 1 and confidence between 0 and 1 (e.g. 0.95).")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


class SummarisationEvaluator:
    """Scores a summariser on one data set; calling it returns a flat dict with a ``primary_metric`` key.

    Example:
        >>> evaluator = SummarisationEvaluator(load_summary_dataset("fixtures/test.jsonl"))  # doctest: +SKIP
        >>> evaluator(load_summarizer("lead"))["rougeL"]  # doctest: +SKIP
        0.31
    """

    def __init__(
        self,
        dataset: SummaryDataset,
        config: SummariseConfig | None = None,
        counter: FaithfulnessCounter | None = None,
    ) -> None:
        self.dataset = dataset
        self.config = config or SummariseConfig()
        self.counter = counter or guard_counts

    def run(
        self, summariser: Any, progress: Progress | None = None
    ) -> tuple[list[dict[str, float]], list[dict[str, Any]]]:
        """Summarise every article: per-article statistics and the summaries (text, reference, guard)."""
        rows, outputs = [], []
        articles = self.dataset.articles
        for done, article in enumerate(articles, 1):
            began = time.perf_counter()
            summary = summariser.summarise(article)
            seconds = time.perf_counter() - began
            rows.append(self.row(summary, article, seconds))
            outputs.append(
                {
                    "article": article.id,
                    "summary": summary.text,
                    "reference": article.summary,
                    "guarded_draft": getattr(summary, "guard_before", None) is not None,
                }
            )
            if progress is not None:
                progress("summarise", done, len(articles))
        return rows, outputs

    def row(self, summary: Any, article: Article, seconds: float) -> dict[str, float]:
        """One article's statistics from its summary."""
        summary_sentences = list(getattr(summary, "sentences", None) or sentences(summary.text))
        return summary_row(
            rouge_scores=rouge(summary_sentences, article.summary),
            faithfulness=self.counter(summary, article),
            fallback=bool(getattr(summary, "fallback", False)),
            summary_words=word_count(summary.text),
            source_words=word_count(article.text),
            seconds=seconds,
        )

    def score(self, rows: list[dict[str, float]]) -> dict[str, Any]:
        """Every metric with its bootstrap interval; keeps the raw statistics under ``_stats``."""
        stats = stack_rows(rows)
        config = self.config
        boot = bootstrap(
            stats, summary_metrics, n_resamples=config.n_resamples, confidence=config.confidence, seed=config.seed
        )
        return {"metrics": {m: estimates(boot, m).to_dict() for m in SUMMARY_HEADLINE}, "_stats": stats}

    def evaluate(self, summariser: Any, progress: Progress | None = None) -> dict[str, Any]:
        """Run and score one summariser: name, metrics, example summaries and raw statistics."""
        rows, outputs = self.run(summariser, progress)
        report = self.score(rows)
        return {
            "name": str(getattr(summariser, "name", summariser)),
            "guarded_draft": any(o["guarded_draft"] for o in outputs),
            **report,
            "examples": [
                {k: v for k, v in o.items() if k != "guarded_draft"} for o in outputs[: self.config.n_examples]
            ],
        }

    def __call__(self, summariser: Any) -> dict[str, Any]:
        """Flat metrics: ``{"primary_metric": name, metric: value, metric_low: ..., metric_high: ...}``."""
        report = self.evaluate(summariser)
        flat: dict[str, Any] = {"primary_metric": self.config.primary_metric}
        for name, estimate in report["metrics"].items():
            flat[name] = estimate["value"]
            flat[f"{name}_low"], flat[f"{name}_high"] = estimate["low"], estimate["high"]
        return flat


def compare_methods(reports: Sequence[dict[str, Any]], config: SummariseConfig) -> list[dict[str, Any]]:
    """Paired tests of every pair of methods on ROUGE, on the same articles."""
    out = []
    for a, b in itertools.combinations(reports, 2):
        tests = paired_test(
            a["_stats"],
            b["_stats"],
            summary_metrics,
            ROUGE_TYPES,
            n_resamples=config.n_resamples,
            confidence=config.confidence,
            seed=config.seed,
        )
        for metric, result in tests.items():
            row = {"a": a["name"], "b": b["name"], "metric": metric, **result.to_dict()}
            out.append({**row, "significant": result.significant(config.alpha)})
    return out


def _sort_key(primary: str) -> Callable[[dict[str, Any]], tuple[bool, float]]:
    def key(report: dict[str, Any]) -> tuple[bool, float]:
        value = report["metrics"][primary]["value"]
        if value is None:
            return (True, 0.0)
        return (False, value if primary in LOWER_IS_BETTER_SUMMARY else -value)

    return key


def evaluate_summarisers(
    methods: Sequence[Any],
    data: str | Path | SummaryDataset,
    *,
    config: SummariseConfig | None = None,
    labeler: Any = None,
    llm: Any = None,
    counter: FaithfulnessCounter | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate summarisers (method names for ``load_summarizer``, or objects) on one data set.

    Args:
        methods: Method names (``"lead"``, ``"textrank"``, ``"llm"`` ...) or summariser objects.
        data: A data file/folder (our schema or XSum-style) or a prepared :class:`SummaryDataset`.
        config: Run settings (``limit`` keeps the first N articles).
        labeler: Passed to ``load_summarizer`` for methods that use paragraph labels.
        llm: Passed to ``load_summarizer`` for LLM methods.
        counter: Faithfulness counter (default: the summarisers' own guard, see
            :func:`~stancewire.eval.faithfulness.guard_counts`).
        progress: Optional callback ``(stage, done, total)``.

    Returns:
        The results dict (kind ``summarise``).
    """
    config = config or SummariseConfig()
    if not methods:
        raise ValueError("No summarisation method to evaluate; give at least one, e.g. 'lead'.")
    dataset = data if isinstance(data, SummaryDataset) else load_summary_dataset(data, config.limit)
    evaluator = SummarisationEvaluator(dataset, config, counter)
    reports, taken = [], set()
    for index, spec in enumerate(methods, 1):
        summariser = _load(spec, labeler, llm)
        if progress is not None:
            progress(f"method {getattr(summariser, 'name', spec)}", index, len(methods))
        report = evaluator.evaluate(summariser, progress)
        name, n = report["name"], 2
        while report["name"] in taken:
            report["name"], n = f"{name}#{n}", n + 1
        taken.add(report["name"])
        reports.append(report)
    reports.sort(key=_sort_key(config.primary_metric))
    comparisons = compare_methods(reports, config)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in reports]
    body = {**dataset.describe(), "methods": public, "comparisons": comparisons}
    return envelope("summarise", config.to_dict(), {"primary_metric": config.primary_metric, "datasets": [body]})


def _load(spec: Any, labeler: Any, llm: Any) -> Any:
    """A summariser object from a method name (via ``load_summarizer``) or as given."""
    if not isinstance(spec, str):
        return spec
    from stancewire.models.summarize import load_summarizer

    return load_summarizer(spec, labeler=labeler, llm=llm)
