"""Data for summariser evaluation: our article schema (with reference ``summary``) or XSum-style JSON lines.

XSum-style records are ``{"id", "document", "summary"}`` with the paragraphs of ``document`` separated by
single newlines (the format of ``/work/shared/data/xsum_dev``). The format is detected from the first record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancewire.eval.results import data_fingerprint
from stancewire.models.schema import Article, DataError, Paragraph, iter_json_lines, load_articles

XSUM_FIELDS = ("id", "document", "summary")


@dataclass
class SummaryDataset:
    """Articles with reference summaries.

    Example:
        >>> SummaryDataset(name="d", path="d.jsonl", format="xsum", articles=[]).describe()["n_articles"]
        0
    """

    name: str
    path: str
    format: str
    articles: list[Article]
    n_skipped: int = 0
    limit: int | None = None
    hashes: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Name, path, format, hashes and counts, for the results file."""
        return {
            "name": self.name,
            "path": self.path,
            "format": self.format,
            "hashes": self.hashes,
            "n_articles": len(self.articles),
            "n_skipped": self.n_skipped,
            "limit": self.limit,
        }


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"No data file or folder at {path}.")
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise DataError(path, None, "folder holds no *.jsonl file.")
    return files


def is_xsum_file(path: str | Path) -> bool:
    """True when the first record of the file (or folder) has a ``document`` field."""
    for _, record in iter_json_lines(_files(Path(path))[0]):
        return isinstance(record, dict) and "document" in record
    return False


def read_xsum(path: str | Path) -> list[Article]:
    """Read XSum-style records as articles (one paragraph per non-empty line of ``document``).

    Records with an empty document or summary (XSum has a few) are kept with no paragraphs or an empty
    ``summary``; :func:`load_summary_dataset` skips and counts them.

    Raises:
        DataError: naming file and line for malformed JSON or a missing/non-string field.
    """
    articles = []
    for file in _files(Path(path)):
        for line, record in iter_json_lines(file):
            if not isinstance(record, dict):
                raise DataError(
                    file, line, f"expected a JSON object {{id, document, summary}}, found {type(record).__name__}."
                )
            missing = [name for name in XSUM_FIELDS if name not in record]
            if missing:
                raise DataError(
                    file,
                    line,
                    f"missing field(s) {missing}; XSum-style lines need {list(XSUM_FIELDS)} (detected from line 1).",
                )
            for name in ("document", "summary"):
                if not isinstance(record[name], str):
                    raise DataError(
                        file, line, f"field {name!r} must be a string; found {type(record[name]).__name__}."
                    )
            paragraphs = [Paragraph(" ".join(p.split())) for p in record["document"].split("\n") if p.strip()]
            articles.append(
                Article(
                    id=str(record["id"]),
                    paragraphs=paragraphs,
                    summary=record["summary"].strip(),
                    path=str(file),
                    line=line,
                )
            )
    return articles


def load_summary_dataset(path: str | Path, limit: int | None = None) -> SummaryDataset:
    """Read a summarisation data set, keeping articles that have a reference summary.

    Articles without a reference summary or without text are skipped and counted in ``n_skipped``.

    Args:
        path: A JSONL file or folder, in our article schema or XSum-style.
        limit: Keep only the first ``limit`` articles (LLM methods are slow).

    Raises:
        DataError: for a malformed line (file and line named), or when no article has a reference summary.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of articles; got {limit}.")
    path = Path(path)
    fmt = "xsum" if is_xsum_file(path) else "articles"
    loaded = read_xsum(path) if fmt == "xsum" else load_articles(path)
    articles = [a for a in loaded if a.summary.strip() and a.paragraphs]
    skipped = len(loaded) - len(articles)
    if not articles:
        raise DataError(path, None, "no article has both text and a reference 'summary'; ROUGE needs both.")
    if limit is not None:
        articles = articles[:limit]
    return SummaryDataset(
        name=path.stem,
        path=str(path),
        format=fmt,
        articles=articles,
        n_skipped=skipped,
        limit=limit,
        hashes=data_fingerprint(path),
    )
