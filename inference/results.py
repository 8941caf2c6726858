"""What the Analyzer returns for an article: labelled paragraphs, targets, and an optional summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.summarize import Summary


@dataclass
class ArticleAnalysis:
    """One article's paragraphs with types and stance per target, and its summary when one was asked for.

    Attributes:
        id: The article's id (its file path relative to the labelled folder, or the JSON record's id).
        paragraphs: One prediction per paragraph, in article order (types, type probabilities, stance and
            stance probabilities per target).
        targets: The targets stance was scored toward.
        target_source: ``"user"``, ``"article"`` (the JSON record's own targets) or ``"gazetteer"`` (the
            default, see :mod:`stancewire.inference.targets`).
        model: Name of the paragraph labeller.
        title: The article's title, when the reader found one.
        date: The article's date, when the reader found one.
        path: The file it came from ("" for text passed directly).
        content_hash: ``sha256:...`` of that file's bytes (of the UTF-8 text for direct input).
        line: Line (JSONL) or position (JSON list) of the record in its file; ``None`` for one-article files.
        summary: The summary with its provenance and guard report, or ``None``.

    Example:
        >>> p = ParagraphPrediction("Talks resumed.", ["diplomacy"], {"diplomacy": 0.9})
        >>> a = ArticleAnalysis(id="a1", paragraphs=[p], targets=[], target_source="user", model="tiny")
        >>> ArticleAnalysis.from_dict(a.to_dict()) == a
        True
    """

    id: str
    paragraphs: list[ParagraphPrediction]
    targets: list[str]
    target_source: str
    model: str
    title: str = ""
    date: str = ""
    path: str = ""
    content_hash: str = ""
    line: int | None = None
    summary: Summary | None = None

    @property
    def key(self) -> tuple[str, str, int | None]:
        """``(path, content_hash, line)``: what ``--resume`` uses to know an article is done."""
        return self.path, self.content_hash, self.line

    def type_counts(self) -> Counter[str]:
        """How many paragraphs carry each type label.

        Example:
            >>> p = ParagraphPrediction("Talks resumed.", ["diplomacy"], {"diplomacy": 0.9})
            >>> ArticleAnalysis(id="a", paragraphs=[p, p], targets=[], target_source="user", model="m").type_counts()
            Counter({'diplomacy': 2})
        """
        return Counter(label for p in self.paragraphs for label in p.types)

    def stance_counts(self) -> Counter[str]:
        """How many paragraph-target pairs got each stance (``favor`` / ``against`` / ``none``)."""
        return Counter(label for p in self.paragraphs for label in p.stance.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; one line of the ``stancewire label`` output."""
        return {
            "id": self.id,
            "path": self.path,
            "content_hash": self.content_hash,
            "line": self.line,
            "title": self.title,
            "date": self.date,
            "model": self.model,
            "targets": list(self.targets),
            "target_source": self.target_source,
            "paragraphs": [p.to_dict() for p in self.paragraphs],
            "summary": self.summary.to_dict() if self.summary else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleAnalysis:
        """Inverse of :meth:`to_dict`."""
        missing = [name for name in ("id", "paragraphs", "targets", "model") if name not in data]
        if missing:
            raise ValueError(f"Not an ArticleAnalysis record: missing field(s) {missing}; got keys {sorted(data)}.")
        return cls(
            id=str(data["id"]),
            paragraphs=[ParagraphPrediction.from_dict(p) for p in data["paragraphs"]],
            targets=list(data["targets"]),
            target_source=str(data.get("target_source", "user")),
            model=str(data["model"]),
            title=str(data.get("title", "")),
            date=str(data.get("date", "")),
            path=str(data.get("path", "")),
            content_hash=str(data.get("content_hash", "")),
            line=data.get("line"),
            summary=Summary.from_dict(data["summary"]) if data.get("summary") else None,
        )
