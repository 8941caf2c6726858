"""Report sections of a classifier evaluation: leaderboard, per-label and stance metrics, calibration,
pairwise tests, confusions and the most confident errors."""

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
    fmt,
    fmt_estimate,
    run_section,
    shorten,
)

METRIC_TITLES = {
    "types_micro_f1": "types micro-F1",
    "types_macro_f1": "types macro-F1",
    "types_exact_match": "types exact match",
    "stance_macro_f1": "stance macro-F1",
    "stance_semeval_f1": "stance F1 (favor+against)/2",
    "stance_accuracy": "stance accuracy",
    "types_ece": "types ECE",
    "stance_ece": "stance ECE",
}


def classify_sections(results: dict[str, Any]) -> list[Section]:
    """All sections of a classifier report, data set by data set, then the run details."""
    primary = results["primary_metric"]
    sections = [
        Section(
            title="Classifier evaluation",
            level=1,
            text=[
                f"Models are ranked by {METRIC_TITLES.get(primary, primary)}. Intervals are 95% bootstrap "
                "intervals over articles (paragraphs of one article are resampled together); ECE is lower-better.",
            ],
        )
    ]
    for index, dataset in enumerate(results["datasets"]):
        sections.extend(_dataset_sections(dataset, primary, index))
    sections.append(run_section(results, "Run details"))
    return sections


def _dataset_sections(dataset: dict[str, Any], primary: str, index: int) -> list[Section]:
    models = dataset["models"]
    unit = f"{dataset['n_paragraphs']} paragraphs, {dataset['n_stance_items']} stance items"
    text = [data_text(dataset, unit)]
    if dataset.get("label_map"):
        label_map = dataset["label_map"]
        text.append(
            f"Scored through label map {label_map['name']!r}: our labels mapped to {label_map['labels']} "
            f"(none of ours -> {label_map['none_of_ours']!r})."
        )
    overview = Section(title=f"Data set {dataset['name']}", text=text, css_id=f"dataset-{index}")
    overview.tables.append(_leaderboard(models, primary, index))
    overview.plots.append(
        Plot(
            title="Speed against quality",
            draw=partial(
                plots.speed_quality_scatter,
                f"{dataset['name']}: quality vs throughput",
                [_speed_point(m, primary) for m in models],
                "paragraphs per second",
                METRIC_TITLES.get(primary, primary),
            ),
            alt="Scatter of the primary metric against paragraphs per second.",
        )
    )
    return [
        overview,
        _per_label_section(dataset, index),
        _stance_section(dataset, index),
        _calibration_section(dataset, index),
        comparison_section(
            dataset,
            METRIC_TITLES,
            "Paired tests",
            "Difference A - B on the same articles, with its paired bootstrap interval; p-values from approximate "
            "randomisation (outputs of each article swapped between the two models).",
        ),
        _confusion_section(dataset),
        _error_section(dataset),
    ]


def _speed_point(model: dict[str, Any], primary: str) -> tuple:
    estimate = model["metrics"][primary]
    speed = (model.get("speed") or {}).get("paragraphs_per_second")
    return (model["name"], speed, estimate["value"], estimate["low"], estimate["high"])


def _leaderboard(models: list[dict[str, Any]], primary: str, index: int) -> Table:
    metric_names = [primary, *[m for m in METRIC_TITLES if m != primary]]
    headers = ["#", "model", *[METRIC_TITLES[m] for m in metric_names]]
    headers += ["paragraphs/s", "p50 ms", "p95 ms", "size MB", "peak MB"]
    rows = []
    for rank, model in enumerate(models, 1):
        speed = model.get("speed") or {}
        rows.append(
            [str(rank), model["name"], *[fmt_estimate(model["metrics"][m]) for m in metric_names]]
            + [
                fmt(speed.get("paragraphs_per_second"), 1),
                fmt(speed.get("latency_p50_ms"), 2),
                fmt(speed.get("latency_p95_ms"), 2),
                fmt(speed.get("size_mb"), 2),
                fmt(speed.get("peak_memory_mb"), 1),
            ]
        )
    batch = next((m["speed"]["batch_size"] for m in models if m.get("speed")), None)
    note = f"Throughput at batch size {batch} for every model, warm-up excluded." if batch else "Speed not measured."
    return Table(
        title="Leaderboard",
        headers=headers,
        rows=rows,
        note=note,
        css_id=f"leaderboard-{index}",
        css_class="leaderboard",
    )


def _per_label_section(dataset: dict[str, Any], index: int) -> Section:
    models = dataset["models"]
    labels = list(dict.fromkeys(label for m in models for label in m["per_label"]))
    headers = ["label", "support", *[f"{m['name']} P / R / F1 [F1 interval]" for m in models]]
    rows = []
    for label in labels:
        support = next((m["per_label"][label]["support"] for m in models if label in m["per_label"]), 0)
        cells = []
        for model in models:
            row = model["per_label"].get(label)
            cells.append(
                "–"
                if row is None
                else f"{fmt(row['precision'])} / {fmt(row['recall'])} / "
                f"{fmt_estimate({'value': row['f1'], 'low': row['f1_low'], 'high': row['f1_high']})}"
            )
        rows.append([label, str(support), *cells])
    series = {
        m["name"]: [
            (
                m["per_label"].get(label, {}).get("f1"),
                m["per_label"].get(label, {}).get("f1_low"),
                m["per_label"].get(label, {}).get("f1_high"),
            )
            for label in labels
        ]
        for m in models
    }
    return Section(
        title="Paragraph types per label",
        level=3,
        tables=[Table(title="Per-label precision / recall / F1", headers=headers, rows=rows)],
        plots=[
            Plot(
                title="F1 per label",
                draw=partial(plots.grouped_bars, f"{dataset['name']}: F1 per type label", labels, series),
                alt="Bar chart of F1 per label and model, with intervals.",
            )
        ],
        css_id=f"labels-{index}",
    )


def _stance_section(dataset: dict[str, Any], index: int) -> Section:
    models = dataset["models"]
    classes = dataset["models"][0]["stance_confusion"]["labels"] if models else []
    headers = ["model", *[f"{c} F1" for c in classes], "macro-F1", "(favor+against)/2"]
    rows = [
        [m["name"]]
        + [
            fmt_estimate({"value": r["f1"], "low": r["f1_low"], "high": r["f1_high"]})
            for r in m["stance_per_class"].values()
        ]
        + [fmt_estimate(m["metrics"]["stance_macro_f1"]), fmt_estimate(m["metrics"]["stance_semeval_f1"])]
        for m in models
    ]
    section = Section(title="Stance", level=3, tables=[Table(title="Stance F1 per class", headers=headers, rows=rows)])
    for model in models:
        matrix = model["stance_confusion"]["matrix"]
        section.tables.append(
            Table(
                title=f"Stance confusion of {model['name']} (rows gold, columns predicted)",
                headers=["gold \\ predicted", *classes],
                rows=[[gold, *map(str, row)] for gold, row in zip(classes, matrix, strict=True)],
            )
        )
        section.plots.append(
            Plot(
                title=f"Stance confusion: {model['name']}",
                draw=partial(plots.confusion_heatmap, model["name"], classes, matrix),
                alt=f"Stance confusion matrix of {model['name']}.",
            )
        )
    section.css_id = f"stance-{index}"
    return section


def _calibration_section(dataset: dict[str, Any], index: int) -> Section:
    section = Section(
        title="Calibration",
        level=3,
        text=[
            "Types: each (paragraph, label) pair is a binary event scored by the label's probability. "
            "Stance: the probability of the predicted class against whether it is right. Bars show the observed "
            "frequency per confidence bin; a calibrated model follows the diagonal."
        ],
        css_id=f"calibration-{index}",
    )
    rows = [
        [m["name"], fmt_estimate(m["metrics"]["types_ece"]), fmt_estimate(m["metrics"]["stance_ece"])]
        for m in dataset["models"]
    ]
    section.tables.append(
        Table(title="Expected calibration error", headers=["model", "types ECE", "stance ECE"], rows=rows)
    )
    for model in dataset["models"]:
        section.plots.append(
            Plot(
                title=f"Reliability: {model['name']}",
                draw=partial(plots.reliability_diagram, model["name"], model["reliability"]),
                alt=f"Reliability diagrams of {model['name']}.",
            )
        )
    return section


def _confusion_section(dataset: dict[str, Any]) -> Section:
    section = Section(title="Most frequent type confusions", level=3)
    for model in dataset["models"]:
        rows = [[c["predicted"], c["gold"], str(c["count"])] for c in model["type_confusions"]]
        section.tables.append(
            Table(
                title=f"{model['name']}: predicted X where gold was Y",
                headers=["predicted", "gold", "count"],
                rows=rows,
            )
        )
    return section


def _error_section(dataset: dict[str, Any]) -> Section:
    section = Section(title="Most confident errors", level=3)
    for model in dataset["models"]:
        rows = [
            [
                fmt(e["confidence"]),
                e["task"],
                str(e["target"]),
                str(e["predicted"]),
                str(e["gold"]),
                f"{e['article']}#{e['paragraph']}",
                shorten(e["text"]),
            ]
            for e in model["errors"]
        ]
        section.tables.append(
            Table(
                title=f"{model['name']}: the {len(rows)} most confident wrong predictions",
                headers=["confidence", "task", "label / target", "predicted", "gold", "where", "text"],
                rows=rows,
                css_class="errors",
            )
        )
    return section
