"""Report figures as base64 PNG strings, drawn with matplotlib's Agg canvas (no pyplot, no global state)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def to_base64_png(figure: Figure, dpi: int = 110) -> str:
    """Render a figure to PNG and return it base64-encoded (ASCII)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _interval_errors(values: Sequence[float | None], lows: Sequence[float | None], highs: Sequence[float | None]):
    """Asymmetric error bar lengths; zero where an interval is missing."""
    v = np.array([x if x is not None else np.nan for x in values], dtype=float)
    lo = np.array([x if x is not None else np.nan for x in lows], dtype=float)
    hi = np.array([x if x is not None else np.nan for x in highs], dtype=float)
    return np.nan_to_num(v), np.vstack(
        [np.nan_to_num(np.clip(v - lo, 0, None)), np.nan_to_num(np.clip(hi - v, 0, None))]
    )


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: dict[str, Sequence[tuple[float | None, float | None, float | None]]],
    xlabel: str = "F1",
) -> str:
    """Horizontal grouped bars, one group per category and one bar per series, with interval whiskers.

    Args:
        title: Figure title.
        categories: Category names (labels, metrics), one group each.
        series: series name -> one ``(value, low, high)`` per category.
        xlabel: Axis label of the values.
    """
    n_series = max(1, len(series))
    height = max(2.5, 0.28 * len(categories) * n_series + 1.2)
    figure = Figure(figsize=(7.0, height))
    axes = figure.add_subplot(1, 1, 1)
    positions = np.arange(len(categories))
    bar = 0.8 / n_series
    for k, (name, points) in enumerate(series.items()):
        values, errors = _interval_errors(*zip(*points, strict=True)) if points else (np.zeros(0), None)
        offsets = positions - 0.4 + bar * (k + 0.5)
        axes.barh(offsets, values, height=bar, xerr=errors, color=PALETTE[k % len(PALETTE)], label=name, capsize=2)
    axes.set_yticks(positions, list(categories))
    axes.invert_yaxis()
    axes.set_xlim(0, 1.0)
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / height), ncol=min(n_series, 4), fontsize="small")
    return to_base64_png(figure)


def reliability_diagram(title: str, curves: dict[str, list[dict[str, Any]]]) -> str:
    """One panel per curve (e.g. types, stance): observed frequency against mean confidence per bin."""
    figure = Figure(figsize=(3.4 * max(1, len(curves)), 3.6))
    for k, (name, curve) in enumerate(curves.items(), 1):
        axes = figure.add_subplot(1, max(1, len(curves)), k)
        axes.plot([0, 1], [0, 1], linestyle="--", color="#888888", linewidth=1)
        lows = [b["low"] for b in curve]
        widths = [b["high"] - b["low"] for b in curve]
        freqs = [b["frequency"] or 0.0 for b in curve]
        axes.bar(lows, freqs, width=widths, align="edge", color="#1f77b4", edgecolor="white", alpha=0.85)
        points = [(b["confidence"], b["frequency"]) for b in curve if b["count"]]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", color="#d62728", linewidth=1)
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.set_xlabel("confidence")
        axes.set_ylabel("observed frequency")
        axes.set_title(f"{title}: {name}" if title else name, fontsize="medium")
    figure.tight_layout()
    return to_base64_png(figure)


def speed_quality_scatter(
    title: str,
    points: Sequence[tuple[str, float | None, float | None, float | None, float | None]],
    xlabel: str,
    ylabel: str,
    log_x: bool = True,
) -> str:
    """Quality (with interval) against speed, one labelled point per model.

    Args:
        title: Figure title.
        points: ``(name, speed, value, low, high)``; points without speed or value are skipped.
        xlabel: Speed axis label.
        ylabel: Quality axis label.
        log_x: Log-scale the speed axis.
    """
    figure = Figure(figsize=(6.5, 4.2))
    axes = figure.add_subplot(1, 1, 1)
    shown = [p for p in points if p[1] is not None and p[2] is not None and p[1] > 0]
    for k, (name, speed, value, low, high) in enumerate(shown):
        _, errors = _interval_errors([value], [low], [high])
        axes.errorbar([speed], [value], yerr=errors, fmt="o", color=PALETTE[k % len(PALETTE)], capsize=3, label=name)
        axes.annotate(name, (speed, value), textcoords="offset points", xytext=(5, 5), fontsize="small")
    speeds = [p[1] for p in shown]
    if shown and log_x and max(speeds) / min(speeds) > 10:  # a log axis only helps across orders of magnitude
        axes.set_xscale("log")
    if not shown:
        axes.text(0.5, 0.5, "no speed measured", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    return to_base64_png(figure)


def confusion_heatmap(title: str, labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """A labelled confusion matrix (rows gold, columns predicted) with counts in the cells."""
    data = np.asarray(matrix, dtype=float)
    figure = Figure(figsize=(3.8, 3.4))
    axes = figure.add_subplot(1, 1, 1)
    axes.imshow(data, cmap="Blues")
    axes.set_xticks(range(len(labels)), list(labels))
    axes.set_yticks(range(len(labels)), list(labels))
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(title, fontsize="medium")
    peak = data.max() if data.size else 0
    for (i, j), count in np.ndenumerate(data):
        axes.text(j, i, str(int(count)), ha="center", va="center", color="white" if count > peak / 2 else "black")
    figure.tight_layout()
    return to_base64_png(figure)
