"""Report sections of a summariser evaluation: leaderboard, ROUGE chart, faithfulness, speed, pairwise tests."""

from __future__ import annotations

from functools import partial
from typing import Any

from stancewire.eval import plots
from stancewire.eval.report_format import (
    Plot,
    Section,
    Table,
    comparison_section,
    data_text,
    fmt_estimate,
    run_section,
    shorten,
)
from stancewire.eval.summary_metrics import ROUGE_TYPES

SUMMARY_TITLES = {
    "rouge1": "ROUGE-1",
    "rouge2": "ROUGE-2",
    "rougeL": "ROUGE-L",
    "rougeLsum": "ROUGE-Lsum",
    "numbers_supported": "numbers supported",
    "entities_supported": "names supported",
    "unsupported_numbers": "unsupported numbers/summary",
    "unsupported_entities": "unsupported names/summary",
    "unsupported_numbers_before_guard": "unsupported numbers/draft",
    "unsupported_entities_before_guard": "unsupported names/draft",
    "guard_pass_rate": "passed guard",
    "draft_pass_rate": "draft passed guard",
    "fallback_rate": "guard fallbacks",
    "length_words": "words",
    "compression_ratio": "summary/source words",
    "seconds_per_article": "seconds/article",
}


def summarise_sections(results: dict[str, Any]) -> list[Section]:
    """All sections of a summariser report, then the run details."""
    primary = results["primary_metric"]
    sections = [
        Section(
            title="Summariser evaluation",
            level=1,
            text=[
                f"Methods are ranked by {SUMMARY_TITLES.get(primary, primary)} (F-measure, rouge-score with "
                "stemming). Intervals are 95% bootstrap intervals over articles. Faithfulness counts the distinct "
                "numbers and names of each summary that the source supports, pooled over articles.",
            ],
        )
    ]
    for index, dataset in enumerate(results["datasets"]):
        sections.extend(_dataset_sections(dataset, primary, index))
    sections.append(run_section(results, "Run details"))
    return sections


def _estimate(method: dict[str, Any], metric: str) -> str:
    return fmt_estimate(method["metrics"][metric], 2 if metric in ("length_words", "seconds_per_article") else 3)


def _dataset_sections(dataset: dict[str, Any], primary: str, index: int) -> list[Section]:
    methods = dataset["methods"]
    unit = f"format {dataset['format']}" + (f", first {dataset['limit']} only" if dataset.get("limit") else "")
    if dataset.get("n_skipped"):
        unit += f", {dataset['n_skipped']} skipped for lack of a reference summary or of text"
    rouge_names = [primary, *[m for m in ROUGE_TYPES if m != primary]]
    rows = [
        [str(rank), m["name"], *[_estimate(m, r) for r in rouge_names], _estimate(m, "seconds_per_article")]
        for rank, m in enumerate(methods, 1)
    ]
    leaderboard = Table(
        title="Leaderboard",
        headers=["#", "method", *[SUMMARY_TITLES.get(r, r) for r in rouge_names], "seconds/article"],
        rows=rows,
        css_id=f"leaderboard-{index}",
        css_class="leaderboard",
    )
    series = {
        m["name"]: [(m["metrics"][r]["value"], m["metrics"][r]["low"], m["metrics"][r]["high"]) for r in ROUGE_TYPES]
        for m in methods
    }
    overview = Section(
        title=f"Data set {dataset['name']}",
        text=[data_text(dataset, unit)],
        tables=[leaderboard],
        plots=[
            Plot(
                title="ROUGE per method",
                draw=partial(
                    plots.grouped_bars,
                    f"{dataset['name']}: ROUGE F-measure",
                    [SUMMARY_TITLES[r] for r in ROUGE_TYPES],
                    series,
                    "F-measure",
                ),
                alt="Bar chart of ROUGE scores per method with intervals.",
            ),
            Plot(
                title="Speed against quality",
                draw=partial(
                    plots.speed_quality_scatter,
                    f"{dataset['name']}: quality vs speed",
                    [_speed_point(m, primary) for m in methods],
                    "articles per second",
                    SUMMARY_TITLES.get(primary, primary),
                ),
                alt="Scatter of the primary metric against articles per second.",
            ),
        ],
        css_id=f"dataset-{index}",
    )
    return [
        overview,
        _faithfulness_section(methods),
        comparison_section(
            dataset,
            SUMMARY_TITLES,
            "Paired tests on ROUGE",
            "Paired bootstrap interval of A - B; p-values from approximate randomisation over articles.",
        ),
        _example_section(methods),
    ]


def _speed_point(method: dict[str, Any], primary: str) -> tuple:
    seconds = method["metrics"]["seconds_per_article"]["value"]
    estimate = method["metrics"][primary]
    speed = 1.0 / seconds if seconds else None
    return (method["name"], speed, estimate["value"], estimate["low"], estimate["high"])


def _faithfulness_section(methods: list[dict[str, Any]]) -> Section:
    metrics = [
        "numbers_supported",
        "entities_supported",
        "unsupported_numbers_before_guard",
        "unsupported_numbers",
        "unsupported_entities_before_guard",
        "unsupported_entities",
        "draft_pass_rate",
        "guard_pass_rate",
        "fallback_rate",
        "length_words",
        "compression_ratio",
    ]
    rows = [[m["name"], *[_estimate(m, metric) for metric in metrics]] for m in methods]
    return Section(
        title="Faithfulness, length and compression",
        level=3,
        text=[
            "Supported shares pool the distinct numbers and names of every summary. Draft columns describe the "
            "first LLM draft, before the guard made the LLM retry or fell back to an extractive summary (LLM "
            "methods only); compare them with the unsupported counts of the final summaries."
        ],
        tables=[
            Table(
                title="Faithfulness and length", headers=["method", *[SUMMARY_TITLES[m] for m in metrics]], rows=rows
            )
        ],
    )


def _example_section(methods: list[dict[str, Any]]) -> Section:
    rows = [
        [m["name"], str(e["article"]), shorten(e["summary"], 400), shorten(e["reference"], 300)]
        for m in methods
        for e in m.get("examples", [])
    ]
    return Section(
        title="Example summaries",
        level=3,
        tables=[
            Table(
                title="First articles",
                headers=["method", "article", "summary", "reference"],
                rows=rows,
                css_class="wrap",
            )
        ],
    )
