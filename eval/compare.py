"""What changed between two evaluation runs: metric by metric, flagging changes outside the intervals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stancewire.eval.results import read_results

SYSTEMS_KEY = {"classify": "models", "summarise": "methods"}
"""Results kind -> the key listing the evaluated systems of a data set."""


@dataclass
class MetricChange:
    """One metric of one system on one data set in both runs.

    ``flagged`` is true when either point estimate lies outside the other run's interval.

    Example:
        >>> MetricChange("test", "tfidf", "types_macro_f1", 0.5, 0.45, 0.55, 0.7, 0.65, 0.75).flagged
        True
    """

    dataset: str
    system: str
    metric: str
    old: float | None
    old_low: float | None
    old_high: float | None
    new: float | None
    new_low: float | None
    new_high: float | None
    delta: float | None = field(init=False)
    flagged: bool = field(init=False)

    def __post_init__(self) -> None:
        both = self.old is not None and self.new is not None
        self.delta = self.new - self.old if both else None
        self.flagged = both and (
            _outside(self.new, self.old_low, self.old_high) or _outside(self.old, self.new_low, self.new_high)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _outside(value: float, low: float | None, high: float | None) -> bool:
    return low is not None and high is not None and not (low - 1e-12 <= value <= high + 1e-12)


@dataclass
class Comparison:
    """The differences between two results files.

    Attributes:
        a: Path of the old run; b: path of the new run.
        changes: Every metric present in both runs.
        notes: Differences of setup: data hashes, configs, systems or data sets present in only one run.
    """

    a: str
    b: str
    kind: str
    changes: list[MetricChange]
    notes: list[str]

    @property
    def flagged(self) -> list[MetricChange]:
        """The changes outside the intervals."""
        return [c for c in self.changes if c.flagged]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "notes": self.notes,
            "changes": [c.to_dict() for c in self.changes],
        }


def compare_results(a: dict[str, Any], b: dict[str, Any], a_name: str = "a", b_name: str = "b") -> Comparison:
    """Compare two results dicts of the same kind (data sets and systems matched by name).

    Raises:
        ValueError: when the two runs are of different kinds.
    """
    if a["kind"] != b["kind"]:
        raise ValueError(f"Cannot compare a {a['kind']} run ({a_name}) with a {b['kind']} run ({b_name}).")
    key = SYSTEMS_KEY[a["kind"]]
    notes = _config_notes(a, b)
    changes = []
    old_sets, new_sets = {d["name"]: d for d in a["datasets"]}, {d["name"]: d for d in b["datasets"]}
    notes += [f"data set {n!r} only in {a_name}" for n in old_sets if n not in new_sets]
    notes += [f"data set {n!r} only in {b_name}" for n in new_sets if n not in old_sets]
    for name in [n for n in old_sets if n in new_sets]:
        old, new = old_sets[name], new_sets[name]
        if old.get("hashes") != new.get("hashes"):
            notes.append(f"data set {name!r}: the data files differ (sha256), so scores are not on the same items")
        old_systems, new_systems = {s["name"]: s for s in old[key]}, {s["name"]: s for s in new[key]}
        notes += [f"{name}: {s!r} only in {a_name}" for s in old_systems if s not in new_systems]
        notes += [f"{name}: {s!r} only in {b_name}" for s in new_systems if s not in old_systems]
        for system in [s for s in old_systems if s in new_systems]:
            old_metrics, new_metrics = old_systems[system]["metrics"], new_systems[system]["metrics"]
            for metric in [m for m in old_metrics if m in new_metrics]:
                o, n = old_metrics[metric], new_metrics[metric]
                changes.append(
                    MetricChange(
                        name, system, metric, o["value"], o["low"], o["high"], n["value"], n["low"], n["high"]
                    )
                )
    return Comparison(a=a_name, b=b_name, kind=a["kind"], changes=changes, notes=notes)


def _config_notes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    old, new = a.get("config", {}), b.get("config", {})
    return [
        f"config {k}: {old.get(k)!r} -> {new.get(k)!r}"
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def compare_files(a: str | Path, b: str | Path) -> Comparison:
    """Read two results.json files and compare them."""
    return compare_results(read_results(a), read_results(b), str(a), str(b))
