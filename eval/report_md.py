"""Render a results dict as a Markdown report (tables only; the figures are in report.html)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stancewire.eval.report_classify import classify_sections
from stancewire.eval.report_format import Section, Table
from stancewire.eval.report_summarise import summarise_sections

SECTION_BUILDERS: dict[str, Callable[[dict[str, Any]], list[Section]]] = {
    "classify": classify_sections,
    "summarise": summarise_sections,
}
"""Results kind -> the function building its report sections."""


def build_sections(results: dict[str, Any]) -> list[Section]:
    """The sections of the report of a results dict, by its ``kind``."""
    kind = results.get("kind")
    if kind not in SECTION_BUILDERS:
        raise ValueError(f"Cannot report results of kind {kind!r}; expected one of {sorted(SECTION_BUILDERS)}.")
    return SECTION_BUILDERS[kind](results)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table) -> str:
    """A GitHub-flavoured Markdown table with its title in bold and its note below.

    Example:
        >>> print(markdown_table(Table(title="T", headers=["a", "b"], rows=[["1", "x|y"]])))
        **T**
        <BLANKLINE>
        | a | b |
        | --- | --- |
        | 1 | x\\|y |
    """
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
    lines.append("| " + " | ".join("---" for _ in table.headers) + " |")
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows)
    if not table.rows:
        lines.append("| " + " | ".join(["(none)"] + [""] * (len(table.headers) - 1)) + " |")
    if table.note:
        lines.extend(["", f"_{table.note}_"])
    return "\n".join(lines)


def render_markdown(results: dict[str, Any]) -> str:
    """The whole Markdown report of a results dict.

    Example:
        >>> text = render_markdown(read_results("reports/demo/results.json"))  # doctest: +SKIP
    """
    parts = []
    for section in build_sections(results):
        parts.append("#" * section.level + " " + section.title)
        parts.extend(section.text)
        parts.extend(markdown_table(t) for t in section.tables)
        if section.plots:
            parts.append("_Figures: " + "; ".join(p.title for p in section.plots) + " (see report.html)._")
    return "\n\n".join(parts) + "\n"
