"""The review loop: export silver labels for a person to check, most doubtful first; import the decisions as gold.

``export_review`` ranks every silver paragraph (and every paragraph the LLM failed on) by its *priority*,
the lower of its LLM confidence and its agreement with the classifier (failed items first, at -1), and
writes a CSV (or Label Studio tasks, see :mod:`stancewire.training.silver_labelstudio`). In the CSV a
reviewer edits the ``types`` and ``stance`` columns (pre-filled with the LLM's labels), sets ``decision`` to
``accept`` or ``edit`` (blank or ``skip`` leaves the row out) and names themselves in ``annotator``.

``import_review`` merges the decisions into a gold file in our schema; each gold paragraph keeps a ``review``
block: who labelled it (annotator; corrected or accepted the LLM), the LLM's proposal, and when.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stancewire.models.schema import iter_json_lines
from stancewire.models.taxonomy import Taxonomy, load_taxonomy

DECISIONS = ("accept", "edit")
SKIPPED = ("", "skip", "reject")
CSV_COLUMNS = (
    "rank", "priority", "item_id", "article_id", "index", "status", "confidence", "weakest", "classifier_agreement",
    "disputed", "text", "targets", "llm_types", "llm_stance", "classifier_types", "classifier_stance",
    "types", "stance", "decision", "annotator", "note", "title", "source", "date", "conflict", "model", "prompt",
)  # fmt: skip


@dataclass
class ReviewItem:
    """One paragraph to review: the LLM's labels, how sure it was, and what the classifier said.

    Example:
        >>> item = ReviewItem({"id": "a1"}, 2, "Talks resumed.", ["UN"], "ok", ["diplomacy"], {"UN": "favor"}, 0.7,
        ...                   classifier={"agreement": 0.5})
        >>> item.item_id, item.priority
        ('a1#2', 0.5)
    """

    article: dict[str, Any]
    index: int
    text: str
    targets: list[str]
    status: str
    types: list[str] = field(default_factory=list)
    stance: dict[str, str] = field(default_factory=dict)
    confidence: float | None = None
    label_confidence: dict[str, dict[str, float]] = field(default_factory=dict)
    classifier: dict[str, Any] | None = None
    model: str = ""
    prompt: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def item_id(self) -> str:
        """``<article id>#<paragraph index>``."""
        return f"{self.article['id']}#{self.index}"

    @property
    def agreement(self) -> float | None:
        """Agreement with the classifier (``None`` when there was no classifier)."""
        return None if self.classifier is None else self.classifier.get("agreement")

    @property
    def priority(self) -> float:
        """Lower is reviewed sooner: -1 for a failed item, else min(confidence, classifier agreement)."""
        if self.status != "ok":
            return -1.0
        values = [v for v in (self.confidence, self.agreement) if v is not None]
        return min(values) if values else 0.0

    def weakest(self, n: int = 3) -> list[str]:
        """The ``n`` least confident decisions, e.g. ``["stance:Israel=0.41", "type:accusation=0.55"]``."""
        scored = [(p, f"type:{k}") for k, p in self.label_confidence.get("types", {}).items()]
        scored += [(p, f"stance:{k}") for k, p in self.label_confidence.get("stance", {}).items()]
        return [f"{name}={p:.2f}" for p, name in sorted(scored)[:n]]


@dataclass
class ReviewDecision:
    """A reviewer's labels for one item, with who gave them and what the LLM had proposed.

    Example:
        >>> d = ReviewDecision({"id": "a1"}, 0, "Talks.", ["UN"], ["diplomacy"], {"UN": "none"}, "rana", "edit",
        ...                    {"status": "ok", "types": ["diplomacy"], "stance": {"UN": "favor"}})
        >>> d.gold_paragraph("review.csv", "2024-01-01T00:00:00+00:00")["review"]["labelled_by"]
        'human'
    """

    article: dict[str, Any]
    index: int
    text: str
    targets: list[str]
    types: list[str]
    stance: dict[str, str]
    annotator: str
    decision: str
    llm: dict[str, Any]
    note: str = ""

    def gold_paragraph(self, source: str, imported_at: str) -> dict[str, Any]:
        """The paragraph as gold data, with its ``review`` provenance block."""
        changed = self.types != self.llm.get("types") or self.stance != self.llm.get("stance")
        review = {
            "labelled_by": "human" if changed or self.llm.get("status") != "ok" else "llm-accepted-by-human",
            "annotator": self.annotator,
            "decision": self.decision,
            "changed": changed,
            "llm": self.llm,
            "source": source,
            "imported_at": imported_at,
            "index": self.index,
        }
        if self.note:
            review["note"] = self.note
        return {"text": self.text, "types": self.types, "stance": self.stance, "review": review}


@dataclass
class ImportReport:
    """What an import did.

    Example:
        >>> ImportReport("gold.jsonl", added=3).to_dict()["added"]
        3
    """

    into: str
    added: int = 0
    updated: int = 0
    skipped: int = 0
    articles: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def load_review_items(silver: str | Path, failed: str | Path | None = None) -> list[ReviewItem]:
    """The items of a silver file (and of its failures file, if given), ranked most doubtful first."""
    items = []
    for _, record in iter_json_lines(silver):
        article = _metadata(record)
        for position, paragraph in enumerate(record.get("paragraphs", [])):
            meta = paragraph.get("silver", {})
            items.append(
                ReviewItem(
                    article=article,
                    index=int(meta.get("index", position)),
                    text=paragraph["text"],
                    targets=list(record.get("targets", [])),
                    status=meta.get("status", "ok"),
                    types=list(paragraph.get("types", [])),
                    stance=dict(paragraph.get("stance", {})),
                    confidence=paragraph.get("confidence"),
                    label_confidence=meta.get("label_confidence", {}),
                    classifier=meta.get("classifier"),
                    model=meta.get("model", ""),
                    prompt=meta.get("prompt", ""),
                )
            )
    if failed is not None and Path(failed).exists():
        for _, record in iter_json_lines(failed):
            targets = list(record.get("targets", []))
            items.append(
                ReviewItem(
                    _metadata(record), int(record["index"]), record["text"], targets, "failed",
                    stance={t: "?" for t in targets}, model=record.get("model", ""), prompt=record.get("prompt", ""),
                    problems=list(record.get("problems", [])),
                )
            )  # fmt: skip
    return sorted(items, key=lambda i: (i.priority, -len((i.classifier or {}).get("disputed", [])), i.item_id))


Exporter = Callable[[Sequence[ReviewItem], Path, Taxonomy], list[Path]]
EXPORTERS: dict[str, Exporter] = {}


def register_exporter(name: str) -> Callable[[Exporter], Exporter]:
    """Decorator for an export format (``"csv"``, ``"label-studio"``)."""

    def decorate(exporter: Exporter) -> Exporter:
        EXPORTERS[name] = exporter
        return exporter

    return decorate


def export_review(
    silver: str | Path,
    out: str | Path,
    fmt: str = "csv",
    failed: str | Path | None = None,
    limit: int | None = None,
    taxonomy: Taxonomy | str | None = None,
) -> list[Path]:
    """Write the review file(s) for a silver file, most doubtful items first; returns the paths written.

    Example:
        >>> export_review("silver.jsonl", "review.csv")  # doctest: +SKIP
        [PosixPath('review.csv')]
    """
    import stancewire.training.silver_labelstudio  # noqa: F401  (registers the label-studio format)

    if fmt not in EXPORTERS:
        raise ValueError(f"Unknown review format {fmt!r}; expected one of {sorted(EXPORTERS)}.")
    items = load_review_items(silver, failed)
    return EXPORTERS[fmt](items[:limit] if limit is not None else items, Path(out), load_taxonomy(taxonomy))


@register_exporter("csv")
def write_csv(items: Sequence[ReviewItem], out: Path, taxonomy: Taxonomy) -> list[Path]:
    """One row per item with the editable ``types``/``stance``/``decision``/``annotator`` columns."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for rank, item in enumerate(items, 1):
            clf = item.classifier or {}
            writer.writerow(
                {
                    **{k: item.article.get(k, "") for k in ("title", "source", "date", "conflict")},
                    "rank": rank, "priority": f"{item.priority:.3f}", "item_id": item.item_id,
                    "article_id": item.article["id"], "index": item.index, "status": item.status,
                    "confidence": "" if item.confidence is None else f"{item.confidence:.3f}",
                    "weakest": "; ".join(item.weakest()) or "; ".join(item.problems)[:300],
                    "classifier_agreement": "" if item.agreement is None else f"{item.agreement:.3f}",
                    "disputed": "; ".join(clf.get("disputed", [])), "text": item.text,
                    "targets": "; ".join(item.targets), "llm_types": "; ".join(item.types),
                    "llm_stance": format_stance(item.stance) if item.status == "ok" else "",
                    "classifier_types": "; ".join(clf.get("types", [])),
                    "classifier_stance": format_stance(clf.get("stance", {})),
                    "types": "; ".join(item.types), "stance": format_stance(item.stance),
                    "decision": "", "annotator": "", "note": "", "model": item.model, "prompt": item.prompt,
                }
            )  # fmt: skip
    return [out]


def format_stance(stance: dict[str, str]) -> str:
    """``"Israel=favor; ceasefire=none"``."""
    return "; ".join(f"{t}={s}" for t, s in stance.items())


def parse_types(value: str, taxonomy: Taxonomy, where: str) -> list[str]:
    """Type labels from a cell (``;`` or ``,`` separated); near-miss spellings mapped, unknown labels an error."""
    labels = []
    for part in value.replace(",", ";").split(";"):
        if not part.strip():
            continue
        label = taxonomy.canonical(part)
        if label is None:
            known = list(taxonomy.type_names)
            raise ValueError(f"{where}: unknown type label {part.strip()!r}; expected some of {known}.")
        labels.append(label)
    return [n for n in taxonomy.type_names if n in labels]


def parse_stance(value: str, targets: Sequence[str], taxonomy: Taxonomy, where: str) -> dict[str, str]:
    """Stances from a cell like ``"Israel=favor; ceasefire=none"``; every target needs one."""
    found = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        target, sep, label = part.rpartition("=")
        target, label = target.strip(), label.strip().lower()
        if not sep or target not in targets:
            hint = f"write TARGET=favor|against|none for each of {list(targets)}"
            raise ValueError(f"{where}: cannot read {part.strip()!r}; {hint}.")
        if label not in taxonomy.stances:
            raise ValueError(f"{where}: stance {label!r} for {target!r}; expected one of {list(taxonomy.stances)}.")
        found[target] = label
    missing = [t for t in targets if t not in found]
    if missing:
        raise ValueError(f"{where}: no stance for target(s) {missing}; write TARGET=favor|against|none.")
    return {t: found[t] for t in targets}


def read_csv_decisions(path: Path, taxonomy: Taxonomy, annotator: str | None) -> tuple[list[ReviewDecision], int]:
    """The accepted/edited rows of a review CSV, and how many rows were skipped."""
    decisions, skipped = [], 0
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = ("item_id", "text", "targets", "types", "stance", "decision")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; export the file with `stancewire review export`.")
        for line, row in enumerate(reader, 2):
            decision = (row.get("decision") or "").strip().lower()
            if decision in SKIPPED:
                skipped += 1
                continue
            where = f"{path}:{line}"
            if decision not in DECISIONS:
                raise ValueError(f"{where}: column 'decision' is {decision!r}; expected accept, edit, skip or blank.")
            who = (row.get("annotator") or "").strip() or annotator
            if not who:
                raise ValueError(f"{where}: column 'annotator' is empty; fill it in or pass --annotator NAME.")
            targets = [t.strip() for t in row["targets"].split(";") if t.strip()]
            decisions.append(
                ReviewDecision(
                    article={"id": row.get("article_id") or row["item_id"].rpartition("#")[0],
                             **{k: row.get(k, "") for k in ("title", "source", "date", "conflict")}},
                    index=int(row.get("index") or row["item_id"].rpartition("#")[2]),
                    text=row["text"], targets=targets,
                    types=parse_types(row["types"], taxonomy, f"{where}: column 'types'"),
                    stance=parse_stance(row["stance"], targets, taxonomy, f"{where}: column 'stance'"),
                    annotator=who, decision=decision, note=(row.get("note") or "").strip(),
                    llm=_llm_block(row, taxonomy),
                )
            )  # fmt: skip
    return decisions, skipped


def _llm_block(row: dict[str, str], taxonomy: Taxonomy) -> dict[str, Any]:
    ok = row.get("status", "ok") == "ok"
    llm_types = [n for n in (taxonomy.canonical(p) for p in (row.get("llm_types") or "").split(";")) if n]
    stance = {}
    for part in (row.get("llm_stance") or "").split(";"):
        target, _, label = part.rpartition("=")
        if target.strip():
            stance[target.strip()] = label.strip()
    return {
        "model": row.get("model", ""),
        "prompt": row.get("prompt", ""),
        "status": row.get("status", "ok"),
        "types": llm_types if ok else [],
        "stance": stance,
        "confidence": float(row["confidence"]) if row.get("confidence") else None,
    }


def import_review(
    review: str | Path, into: str | Path, annotator: str | None = None, taxonomy: Taxonomy | str | None = None
) -> ImportReport:
    """Merge a reviewed CSV (or a Label Studio JSON export) into a gold JSONL file (created if absent).

    A paragraph already in the gold file (same article id and text) is replaced; others are appended to
    their article, which is created from the review's metadata when the gold file lacks it.
    """
    from stancewire.training.silver_labelstudio import read_label_studio_decisions

    taxonomy, review = load_taxonomy(taxonomy), Path(review)
    if not review.exists():
        raise FileNotFoundError(f"No review file at {review}; write one with `stancewire review export`.")
    reader = read_label_studio_decisions if review.suffix.lower() == ".json" else read_csv_decisions
    decisions, skipped = reader(review, taxonomy, annotator)
    report = merge_into_gold(decisions, Path(into), source=review.name)
    report.skipped = skipped
    return report


def merge_into_gold(decisions: Sequence[ReviewDecision], into: Path, source: str) -> ImportReport:
    """Write the decisions into the gold file (atomically), keeping every record already there."""
    records = [record for _, record in iter_json_lines(into)] if into.exists() else []
    by_id = {str(r["id"]): r for r in records if isinstance(r, dict) and "paragraphs" in r}
    report = ImportReport(into=str(into))
    imported_at = datetime.now(UTC).isoformat(timespec="seconds")
    for decision in sorted(decisions, key=lambda d: (str(d.article["id"]), d.index)):
        key = str(decision.article["id"])
        if key not in by_id:
            by_id[key] = {**decision.article, "targets": list(decision.targets), "paragraphs": [], "summary": ""}
            records.append(by_id[key])
        article = by_id[key]
        for target in decision.targets:
            if target not in article["targets"]:
                article["targets"].append(target)
        paragraph = decision.gold_paragraph(source, imported_at)
        position = next((i for i, p in enumerate(article["paragraphs"]) if p.get("text") == decision.text), None)
        if position is None:
            article["paragraphs"].append(paragraph)
            report.added += 1
        else:
            article["paragraphs"][position] = paragraph
            report.updated += 1
    for article in by_id.values():  # a target added later needs a stance in every paragraph of the article
        for paragraph in article["paragraphs"]:
            for target in article["targets"]:
                paragraph.setdefault("stance", {}).setdefault(target, "none")
    into.parent.mkdir(parents=True, exist_ok=True)
    scratch = into.with_name(into.name + ".tmp")
    scratch.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    scratch.replace(into)
    report.articles = len(by_id)
    return report


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(record["id"]), **{k: record.get(k, "") for k in ("title", "source", "date", "conflict")}}
