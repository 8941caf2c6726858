"""Rich tables the CLI prints. Kept apart from the commands so each stays a thin wrapper."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from stancewire.models.taxonomy import Taxonomy


def split_table(splits: dict, taxonomy: Taxonomy) -> Table:
    """Label counts per split (rows: articles, paragraphs, each type, no type, each stance)."""
    order = list(splits)  # check_data reads train, dev, test first
    table = Table(title="Label counts per split")
    table.add_column("")
    for split in order:
        table.add_column(split, justify="right")
    table.add_column("total", justify="right")

    def row(name: str, values: list[int]) -> None:
        table.add_row(name, *(str(v) for v in values), str(sum(values)))

    row("articles", [splits[s].articles for s in order])
    row("paragraphs", [splits[s].paragraphs for s in order])
    for label in taxonomy.type_names:
        row(f"type: {label}", [splits[s].types[label] for s in order])
    row("type: (none)", [splits[s].no_type for s in order])
    for stance in taxonomy.stances:
        row(f"stance: {stance}", [splits[s].stance[stance] for s in order])
    conflicts: Counter = Counter()
    for s in order:
        conflicts.update(splits[s].conflicts)
    for conflict in sorted(conflicts):
        row(f"conflict: {conflict}", [splits[s].conflicts[conflict] for s in order])
    sources: Counter = Counter()
    for s in order:
        sources.update(splits[s].sources)
    for source in sorted(sources):
        row(f"source: {source}", [splits[s].sources[source] for s in order])
    return table


def agreement_table(rows: list) -> Table:
    """Kappa, observed agreement and positives per annotator, one row per label."""
    table = Table(title="Inter-annotator agreement")
    for column in ("label", "Cohen's kappa", "agreement", "positives (gold)", "positives (second)", "items"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for row in rows:
        table.add_row(
            row.label,
            f"{row.kappa:.2f}",
            f"{row.observed:.1%}",
            str(row.positives_first),
            str(row.positives_second),
            str(row.items),
        )
    return table
