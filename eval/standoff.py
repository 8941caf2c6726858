"""Labels without text ("stand-off" labels) for external articles we may read but not redistribute.

Real news sets such as XSum may be used for evaluation but not copied into the repository. Our own labels
of their paragraphs can be: a stand-off file keeps, per article, the external document's id and, per
paragraph, the line of the document it labels plus a short hash of that line's text. ``attach_text``
joins such a file with the documents (JSON lines ``{"id", "document"}``, paragraphs separated by single
newlines, the XSum format) into ordinary labelled articles that ``stancewire eval classify`` reads;
``strip_text`` goes the other way. A hash mismatch (a different version of the document) is an error
naming the article and line, never a silently wrong label.

Stand-off record, one per line::

    {"id": "xsum-123", "document": "123", "source": ..., "date": ..., "conflict": ...,
     "targets": [...], "paragraphs": [{"line": 0, "sha1": "3f2a9c1b0d4e", "types": [...],
     "stance": {...}}, ...]}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stancewire.models.schema import (
    Article,
    DataError,
    article_from_record,
    iter_json_lines,
    load_articles,
    record_problems,
)
from stancewire.models.taxonomy import load_taxonomy

HASH_CHARS = 12
# Kept: metadata that holds no wording. Titles and summaries are dropped: an external title or summary is the
# publisher's text, and even our own paraphrase of one sits too close to it to share.
METADATA = ("source", "date", "conflict")


def line_hash(text: str) -> str:
    """Short SHA-1 of a paragraph's text (stripped), as stored in stand-off files.

    Example:
        >>> line_hash("  Troops moved in. ")
        '2500c82fd752'
    """
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:HASH_CHARS]


def load_documents(path: str | Path, text_field: str = "document") -> dict[str, list[str]]:
    """Documents by id, each as its list of lines, from JSON lines ``{"id", text_field}``.

    Raises:
        DataError: naming the file and line of a record without ``id`` or ``text_field``.
    """
    documents: dict[str, list[str]] = {}
    for line_number, record in iter_json_lines(path):
        if not isinstance(record, dict) or "id" not in record or not isinstance(record.get(text_field), str):
            raise DataError(path, line_number, f"a document needs 'id' and a string {text_field!r} field.")
        documents[str(record["id"])] = record[text_field].split("\n")
    return documents


def strip_text(articles: Sequence[Article], documents: dict[str, list[str]], prefix: str = "xsum-") -> list[dict]:
    """Stand-off records for labelled articles whose ids are ``prefix + document id``.

    Each paragraph is located in its document: the next line, at or after the previous paragraph's, whose
    stripped text equals the paragraph's.

    Raises:
        ValueError: naming the article and paragraph that has no document or no matching line.
    """
    records = []
    for article in articles:
        doc_id = article.id.removeprefix(prefix)
        lines = documents.get(doc_id)
        if lines is None:
            raise ValueError(f"article {article.id!r}: no document with id {doc_id!r}.")
        stripped = [line.strip() for line in lines]
        start, paragraphs = 0, []
        for index, paragraph in enumerate(article.paragraphs):
            try:
                line = stripped.index(paragraph.text.strip(), start)
            except ValueError:
                raise ValueError(
                    f"article {article.id!r}, paragraph {index}: its text is not a line of document {doc_id!r} "
                    f"(after line {start - 1})."
                ) from None
            paragraphs.append(
                {
                    "line": line,
                    "sha1": line_hash(paragraph.text),
                    "types": list(paragraph.types),
                    "stance": dict(paragraph.stance),
                }
            )
            start = line + 1
        record = {"id": article.id, "document": doc_id}
        record.update({key: getattr(article, key) for key in METADATA})
        record.update({"targets": list(article.targets), "paragraphs": paragraphs})
        records.append(record)
    return records


def attach_text(path: str | Path, documents: dict[str, list[str]]) -> list[Article]:
    """Labelled articles from a stand-off file and the documents it points into.

    Raises:
        DataError: naming the stand-off file, line and article when a document is missing, a paragraph's
            line is out of range or does not match its stored hash, or a label is not in the taxonomy.
    """
    taxonomy = load_taxonomy()
    articles = []
    for line_number, record in iter_json_lines(path):
        try:
            joined = _joined_record(record, documents)
        except ValueError as exc:
            raise DataError(path, line_number, str(exc)) from None
        problems = record_problems(joined, taxonomy, strict=False)
        if problems:
            raise DataError(path, line_number, f"article {joined['id']!r}: {problems[0]}")
        articles.append(article_from_record(joined, str(path), line_number))
    return articles


def _joined_record(record: Any, documents: dict[str, list[str]]) -> dict[str, Any]:
    """One stand-off record with each paragraph's text put back (as an article record of our schema)."""
    if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("paragraphs"), list):
        raise ValueError("a stand-off record needs 'id', 'document' and a 'paragraphs' list.")
    name = f"article {record['id']!r}"
    lines = documents.get(str(record.get("document")))
    if lines is None:
        raise ValueError(f"{name}: no document with id {record.get('document')!r} in the documents file.")
    paragraphs = []
    for index, item in enumerate(record["paragraphs"]):
        line = item.get("line") if isinstance(item, dict) else None
        if not isinstance(line, int) or not 0 <= line < len(lines):
            raise ValueError(f"{name}, paragraph {index}: line {line!r} is not a line of the document ({len(lines)}).")
        if line_hash(lines[line]) != item.get("sha1"):
            raise ValueError(f"{name}, paragraph {index}: line {line} does not match its hash; another version?")
        paragraphs.append(
            {"text": lines[line].strip(), "types": item.get("types", []), "stance": item.get("stance", {})}
        )
    joined = {key: value for key, value in record.items() if key not in ("document", "paragraphs")}
    joined["paragraphs"] = paragraphs
    return joined


def write_jsonl(records: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write JSON records one per line (UTF-8, creating the folder); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def strip_file(labelled: str | Path, documents: str | Path, out: str | Path, prefix: str = "xsum-") -> int:
    """``strip_text`` from files: labelled articles + documents -> stand-off file; returns the article count."""
    records = strip_text(load_articles(labelled, strict=True), load_documents(documents), prefix=prefix)
    write_jsonl(records, out)
    return len(records)


def attach_file(standoff: str | Path, documents: str | Path, out: str | Path) -> int:
    """``attach_text`` from files: stand-off file + documents -> labelled articles; returns the article count."""
    articles = attach_text(standoff, load_documents(documents))
    write_jsonl([article.to_dict() for article in articles], out)
    return len(articles)
