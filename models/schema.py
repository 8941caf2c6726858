"""The data schema: articles with labelled paragraphs, read from JSON Lines.

Two record shapes are accepted, one per line:

* an **article**: ``{"id", "title", "source", "date", "conflict", "targets": [...],
  "paragraphs": [{"text", "types": [...], "stance": {target: label}}], "summary"}``;
* a **flat paragraph**, so external sets plug in: ``{"id", "text", "types", "stance"}``. It is read as
  an article with one paragraph whose targets are the keys of its ``stance``.

The schema lives in ``models`` because training, inference and eval all read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancewire.models.taxonomy import Taxonomy, load_taxonomy

ARTICLE_FIELDS: tuple[str, ...] = ("id", "title", "source", "date", "conflict", "targets", "paragraphs", "summary")
PARAGRAPH_FIELDS: tuple[str, ...] = ("id", "text", "types", "stance")


class DataError(ValueError):
    """A problem in a data file, naming the file and line.

    Example:
        >>> str(DataError("train.jsonl", 3, "missing field 'id'"))
        "train.jsonl:3: missing field 'id'"
    """

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class Paragraph:
    """One paragraph with its gold labels (empty when unlabelled)."""

    text: str
    types: tuple[str, ...] = ()
    stance: dict[str, str] = field(default_factory=dict)
    confidence: float | None = None  # set on silver (LLM-labelled) data; gold data leaves it empty

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as in the article schema."""
        data: dict[str, Any] = {"text": self.text, "types": list(self.types), "stance": dict(self.stance)}
        if self.confidence is not None:
            data["confidence"] = self.confidence
        return data


def _paragraph(record: dict[str, Any]) -> Paragraph:
    confidence = record.get("confidence")
    return Paragraph(
        record["text"],
        tuple(record.get("types", [])),
        dict(record.get("stance", {})),
        None if confidence is None else float(confidence),
    )


@dataclass
class Article:
    """An article: metadata, targets, labelled paragraphs and an optional reference summary.

    Example:
        >>> a = Article(id="a1", paragraphs=[Paragraph("Shelling resumed.", ("military_action",))])
        >>> a.text
        'Shelling resumed.'
    """

    id: str
    paragraphs: list[Paragraph]
    title: str = ""
    source: str = ""
    date: str = ""
    conflict: str = ""
    targets: list[str] = field(default_factory=list)
    summary: str = ""
    path: str = ""
    line: int | None = None

    @property
    def text(self) -> str:
        """The paragraphs joined by blank lines."""
        return "\n\n".join(p.text for p in self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form in the article schema (without the file position)."""
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "conflict": self.conflict,
            "targets": list(self.targets),
            "paragraphs": [p.to_dict() for p in self.paragraphs],
            "summary": self.summary,
        }


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, value)`` for each non-blank line; raises :class:`DataError` on bad JSON."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield line_number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(path, line_number, f"malformed JSON ({exc.msg} at column {exc.colno}).") from None


def is_flat_record(record: dict[str, Any]) -> bool:
    """True for a flat paragraph record (has ``text``, no ``paragraphs``)."""
    return "paragraphs" not in record and "text" in record


def record_problems(record: Any, taxonomy: Taxonomy, strict: bool = True) -> list[str]:
    """List what is wrong with one record (empty when valid).

    Args:
        record: The decoded JSON value of one line.
        taxonomy: Labels to accept.
        strict: Require every metadata field of the article schema (``data check`` does); when
            false only what labelling needs (id, paragraphs or text) is required.
    """
    if not isinstance(record, dict):
        return [f"expected a JSON object, found {type(record).__name__}."]
    flat = is_flat_record(record)
    required = PARAGRAPH_FIELDS if flat else ARTICLE_FIELDS
    if not strict:
        required = ("id", "text") if flat else ("id", "paragraphs")
    problems = [f"missing field '{name}'." for name in required if name not in record]
    if "id" in record and (not isinstance(record["id"], str | int) or str(record["id"]).strip() == ""):
        problems.append("field 'id' must be a non-empty string.")
    if flat:
        paragraphs = [record]
        targets = list(record.get("stance") or {})
    else:
        paragraphs = record.get("paragraphs", [])
        targets = record.get("targets", [])
        if not isinstance(targets, list) or not all(isinstance(t, str) and t.strip() for t in targets):
            problems.append("field 'targets' must be a list of non-empty strings.")
            targets = []
        if not isinstance(paragraphs, list):
            return problems + ["field 'paragraphs' must be a list of {text, types, stance} objects."]
        if "paragraphs" in record and not paragraphs:
            problems.append("field 'paragraphs' is empty.")
    for index, paragraph in enumerate(paragraphs):
        where = "" if flat else f"paragraphs[{index}]: "
        problems.extend(where + p for p in _paragraph_problems(paragraph, targets, taxonomy, flat))
    return problems


def _paragraph_problems(paragraph: Any, targets: list[str], taxonomy: Taxonomy, flat: bool) -> list[str]:
    if not isinstance(paragraph, dict):
        return ["expected an object with 'text', 'types' and 'stance'."]
    problems = []
    text = paragraph.get("text")
    if not isinstance(text, str):
        problems.append("field 'text' must be a string.")
    elif not text.strip():
        problems.append("empty paragraph text.")
    types = paragraph.get("types", [])
    if not isinstance(types, list):
        problems.append("field 'types' must be a list of labels.")
        types = []
    for label in types:
        if label not in taxonomy.type_names:
            problems.append(f"unknown type label {label!r}; expected one of {list(taxonomy.type_names)}.")
    if len(set(map(str, types))) != len(types):
        problems.append("a type label is repeated.")
    confidence = paragraph.get("confidence")
    if confidence is not None and (not isinstance(confidence, int | float) or not 0 <= confidence <= 1):
        problems.append(f"field 'confidence' must be a number in [0, 1]; got {confidence!r}.")
    stance = paragraph.get("stance", {})
    if not isinstance(stance, dict):
        return problems + ["field 'stance' must be an object {target: favor|against|none}."]
    for target, label in stance.items():
        if not flat and target not in targets:
            problems.append(f"stance for target {target!r}, which the article does not list in 'targets' {targets}.")
        if label not in taxonomy.stances:
            problems.append(
                f"unknown stance {label!r} for target {target!r}; expected one of {list(taxonomy.stances)}."
            )
    if not flat and stance:
        problems.extend(f"no stance for target {t!r}." for t in targets if t not in stance)
    return problems


def article_from_record(record: dict[str, Any], path: str = "", line: int | None = None) -> Article:
    """Build an :class:`Article` from an already validated record (either shape)."""
    if is_flat_record(record):
        paragraph = _paragraph(record)
        return Article(
            id=str(record["id"]),
            paragraphs=[paragraph],
            targets=list(paragraph.stance),
            conflict=str(record.get("conflict", "")),
            source=str(record.get("source", "")),
            path=path,
            line=line,
        )
    paragraphs = [_paragraph(p) for p in record["paragraphs"]]
    return Article(
        id=str(record["id"]),
        paragraphs=paragraphs,
        title=str(record.get("title", "")),
        source=str(record.get("source", "")),
        date=str(record.get("date", "")),
        conflict=str(record.get("conflict", "")),
        targets=list(record.get("targets", [])),
        summary=str(record.get("summary", "")),
        path=path,
        line=line,
    )


def load_articles(path: str | Path, taxonomy: Taxonomy | str | None = None, strict: bool = False) -> list[Article]:
    """Read one JSONL file (or every ``*.jsonl`` in a folder) of articles or flat paragraphs.

    Raises:
        DataError: on the first invalid line, naming file, line and field.
        FileNotFoundError: if ``path`` does not exist.

    Example:
        >>> articles = load_articles("fixtures/test.jsonl")  # doctest: +SKIP
    """
    taxonomy = load_taxonomy(taxonomy)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No data file or folder at {path}.")
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise DataError(path, None, "folder holds no *.jsonl file.")
    articles = []
    for file in files:
        for line_number, record in iter_json_lines(file):
            problems = record_problems(record, taxonomy, strict=strict)
            if problems:
                raise DataError(file, line_number, problems[0])
            articles.append(article_from_record(record, str(file), line_number))
    return articles
