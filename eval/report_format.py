"""The document model shared by the Markdown and HTML reports: sections holding text, tables and plots.

Section builders (:mod:`stancewire.eval.report_classify`, :mod:`stancewire.eval.report_summarise`) turn a
results dict into sections; the renderers only lay them out. Plots are deferred callables, so the Markdown
report never pays for drawing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """A table of already formatted cells.

    Example:
        >>> Table(title="Leaderboard", headers=["model", "F1"], rows=[["a", "0.800"]]).rows[0][1]
        '0.800'
    """

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""
    css_id: str = ""
    css_class: str = ""
    collapsed: bool = False


@dataclass
class Plot:
    """A figure drawn on demand: ``draw()`` returns a base64 PNG."""

    title: str
    draw: Callable[[], str]
    alt: str = ""


@dataclass
class Section:
    """A titled part of a report.

    Example:
        >>> Section(title="Data", text=["12 articles."]).level
        2
    """

    title: str
    level: int = 2
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    css_id: str = ""


def fmt(value: Any, digits: int = 3) -> str:
    """A number with fixed decimals; an en dash for a missing value.

    Example:
        >>> fmt(0.81234), fmt(None), fmt(12)
        ('0.812', '–', '12')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_estimate(estimate: dict[str, Any] | None, digits: int = 3) -> str:
    """``value [low, high]`` of an estimate dict.

    Example:
        >>> fmt_estimate({"value": 0.5, "low": 0.4, "high": 0.61})
        '0.500 [0.400, 0.610]'
    """
    if not estimate or estimate.get("value") is None:
        return "–"
    if estimate.get("low") is None:
        return fmt(estimate["value"], digits)
    return f"{fmt(estimate['value'], digits)} [{fmt(estimate['low'], digits)}, {fmt(estimate['high'], digits)}]"


def fmt_p(p: float | None) -> str:
    """A p-value with three significant digits (``<0.001`` below that)."""
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def shorten(text: str, limit: int = 220) -> str:
    """Text cut to ``limit`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def run_section(results: dict[str, Any], title: str) -> Section:
    """Where and how the results were made: time, schema, config and environment."""
    env = results.get("environment", {})
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    config = ", ".join(f"{k}={v}" for k, v in results.get("config", {}).items())
    return Section(
        title=title,
        text=[
            f"Created {results.get('created', '?')} with schema {results.get('schema', '?')}.",
            f"Config: {config}.",
            f"Environment: Python {env.get('python', '?')} on {env.get('platform', '?')} "
            f"({env.get('cpu_count', '?')} CPUs); {packages}.",
        ],
    )


def data_text(dataset: dict[str, Any], unit: str) -> str:
    """One sentence on a data set: path, size and the start of its hashes."""
    hashes = ", ".join(f"{path} sha256 {digest[:12]}" for path, digest in dataset.get("hashes", {}).items())
    return f"Data: {dataset.get('path', '?')}, {dataset.get('n_articles', 0)} articles, {unit}. {hashes}."


PAIRED_HEADERS = ["A", "B", "metric", "A - B [interval]", "p", "significant"]


def comparison_section(dataset: dict[str, Any], titles: dict[str, str], what: str, explanation: str) -> Section:
    """The pairwise-comparison section: one row per (A, B, metric) paired test of ``dataset["comparisons"]``.

    Args:
        dataset: One data set's results, with its ``comparisons``.
        titles: Display names of the metrics.
        what: Table title ("Paired tests", "Paired tests on ROUGE").
        explanation: The paragraph above the table.
    """
    rows = [
        [
            c["a"],
            c["b"],
            titles.get(c["metric"], c["metric"]),
            fmt_estimate({"value": c["delta"], "low": c["low"], "high": c["high"]}),
            fmt_p(c["p_value"]),
            "yes" if c["significant"] else "no",
        ]
        for c in dataset["comparisons"]
    ]
    if not rows:
        return Section(title="Pairwise comparisons", level=3, text=["Only one model or method: nothing to compare."])
    table = Table(title=what, headers=PAIRED_HEADERS, rows=rows, collapsed=len(rows) > 12)
    return Section(title="Pairwise comparisons", level=3, text=[explanation], tables=[table])
