"""Where folder labelling writes: a crash-safe JSON Lines journal, errors.jsonl, and CSV/Parquet tables.

Every finished article is appended to the **journal** as one JSON line and flushed in batches, so a run
killed at any moment loses at most the batch in flight. ``--resume`` drops a half-written last line,
reads the keys ``(path, content_hash, line)`` already present and skips those articles, so no record is
ever written twice. For ``--format jsonl`` the journal *is* the output; for ``csv`` and ``parquet`` the
journal sits beside the output (``results.csv.journal.jsonl``) and the table is rebuilt from it, atomically,
at the end of every run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Key = tuple[str, str, int | None]
TableWriter = Callable[[list[dict[str, Any]], Path], None]
TABLE_WRITERS: dict[str, TableWriter | None] = {"jsonl": None}
SCALAR_COLUMNS: tuple[str, ...] = ("id", "path", "content_hash", "line", "title", "date", "model", "target_source")


def register_format(name: str) -> Callable[[TableWriter], TableWriter]:
    """Decorator: ``@register_format("csv")`` on a function ``(records, path) -> None`` writing a table."""

    def decorate(writer: TableWriter) -> TableWriter:
        TABLE_WRITERS[name] = writer
        return writer

    return decorate


def output_formats() -> list[str]:
    """Formats ``stancewire label --format`` accepts."""
    return sorted(TABLE_WRITERS)


@dataclass(frozen=True)
class OutputPaths:
    """The files of one labelling run.

    Example:
        >>> paths = OutputPaths.for_output("runs/results.csv", "csv")
        >>> paths.journal.name, paths.errors.name
        ('results.csv.journal.jsonl', 'errors.jsonl')
    """

    out: Path
    journal: Path
    errors: Path
    format: str

    @classmethod
    def for_output(cls, out: str | Path, fmt: str = "jsonl") -> OutputPaths:
        """Paths for ``--out`` in format ``fmt`` (errors.jsonl goes beside it)."""
        if fmt not in TABLE_WRITERS:
            raise ValueError(f"Unknown output format {fmt!r}; expected one of {output_formats()}.")
        out = Path(out)
        journal = out if fmt == "jsonl" else out.with_name(out.name + ".journal.jsonl")
        return cls(out=out, journal=journal, errors=out.with_name("errors.jsonl"), format=fmt)


def is_current(current: dict[str, str], path: str, digest: str) -> bool:
    """False when this run read ``path`` with another content hash than ``digest`` (the record is superseded)."""
    return current.get(path, digest) == digest


def record_key(record: dict[str, Any]) -> Key:
    """``(path, content_hash, line)`` of an output record."""
    return str(record.get("path", "")), str(record.get("content_hash", "")), record.get("line")


class OtherModelError(ValueError):
    """Resuming a run whose records were written by another labeller (or the same one in another precision)."""


def check_same_model(where: str | Path, models: set[str], model: str) -> None:
    """:class:`OtherModelError` when earlier records in ``where`` name a labeller other than ``model`` (resume).

    Example:
        >>> check_same_model("runs/labels.jsonl", {"default@int8"}, "default@int8")
        >>> check_same_model("runs/labels.jsonl", {"default"}, "default@int8")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        stancewire.inference.output.OtherModelError: runs/labels.jsonl holds records labelled by 'default'; ...
    """
    others = sorted(models - {model})
    if others:
        raise OtherModelError(
            f"{where} holds records labelled by {', '.join(map(repr, others))}; this run labels with {model!r}. "
            "Resume with the same model and precision (--model, --no-quantize), or write to another --out "
            "(or --overwrite)."
        )


class Journal:
    """Append-only JSON Lines of finished records; knows which keys are already done.

    Args:
        path: The journal file.
        resume: Keep what is there (repairing a half-written last line) instead of refusing to start.
        overwrite: Start from an empty file even if one exists.

    Raises:
        FileExistsError: when the file exists and neither ``resume`` nor ``overwrite`` is set.

    Example:
        >>> journal = Journal(Path("/tmp/sw-doc.jsonl"), overwrite=True)
        >>> journal.append([{"path": "a.txt", "content_hash": "sha256:0", "line": None}])
        >>> journal.done(("a.txt", "sha256:0", None))
        True
        >>> journal.close()
    """

    def __init__(self, path: Path, resume: bool = False, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.keys: set[Key] = set()
        self.models: set[str] = set()  # the labellers named by the records already there (resume)
        self.current: dict[str, str] = {}
        self.repaired_bytes = 0
        if self.path.exists() and not (resume or overwrite):
            raise FileExistsError(
                f"{self.path} already exists; pass --resume to continue that run or --overwrite to start afresh."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            self.repaired_bytes = _drop_partial_tail(self.path)
            records = list(read_records(self.path))
            self.keys = {record_key(r) for r in records}
            self.models = {str(r["model"]) for r in records if "model" in r}
            self._handle = self.path.open("a", encoding="utf-8")
        else:
            self._handle = self.path.open("w", encoding="utf-8")

    def done(self, key: Key) -> bool:
        """True when a record with this key is already in the journal."""
        return key in self.keys

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write records (skipping any already done) and flush them to the OS in one go."""
        lines = []
        for record in records:
            key = record_key(record)
            if key not in self.keys:
                self.keys.add(key)
                lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        if lines:
            self._handle.write("".join(lines))
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def note_current(self, path: str, digest: str) -> None:
        """Remember the content hash a file has now (records of its older contents become superseded)."""
        self.current[path] = digest

    def drop_superseded(self) -> int:
        """Rewrite the (closed) journal without records of files whose content changed since they were labelled.

        A file edited between two runs is labelled again under its new content hash by ``--resume``; the
        record of the old content is then dropped here, so each file appears once. Files not seen by this
        run (deleted or moved) keep their records. The rewrite goes to a temporary file that replaces the
        journal only once complete, so an interruption loses nothing. Returns the number of records dropped.
        """
        if all(is_current(self.current, path, digest) for path, digest, _ in self.keys):
            return 0  # nothing edited: no need to read the journal back
        records = list(read_records(self.path))
        kept = [r for r in records if is_current(self.current, *record_key(r)[:2])]
        if len(kept) == len(records):
            return 0
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        self.keys = {record_key(r) for r in kept}
        return len(records) - len(kept)

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def _drop_partial_tail(path: Path) -> int:
    """Truncate a last line that a killed run left without its newline; returns the bytes dropped."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as handle:
        handle.seek(max(0, size - 1))
        if handle.read(1) == b"\n":
            return 0
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            chunk = handle.read(end - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                return size - (start + cut + 1)
            end = start
        handle.truncate(0)
        return size


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a journal, skipping lines that are not JSON objects (never raised on: a journal is ours)."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


class ErrorLog:
    """errors.jsonl: one ``{"path", "line", "reason", "kind"}`` per file or line that failed or was skipped.

    Rewritten at the start of each run (a resumed run retries what failed before).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("w", encoding="utf-8")

    def add(self, path: str, reason: str, kind: str = "failed", line: int | None = None) -> None:
        """Record one problem (``kind`` is ``failed`` or ``skipped``)."""
        entry = {"path": path, "line": line, "reason": reason, "kind": kind}
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def flat_row(record: dict[str, Any]) -> dict[str, Any]:
    """One table row per article: scalar fields, the summary text, and the nested parts as JSON strings.

    Example:
        >>> row = flat_row({"id": "a", "targets": ["Israel"], "paragraphs": [], "summary": None})
        >>> row["targets"], row["n_paragraphs"], row["summary_text"]
        ('["Israel"]', 0, '')
    """
    row = {name: record.get(name) for name in SCALAR_COLUMNS}
    summary = record.get("summary") or {}
    row.update(
        targets=json.dumps(record.get("targets", []), ensure_ascii=False),
        n_paragraphs=len(record.get("paragraphs", [])),
        types=json.dumps([p.get("types", []) for p in record.get("paragraphs", [])], ensure_ascii=False),
        paragraphs=json.dumps(record.get("paragraphs", []), ensure_ascii=False),
        summary_text=summary.get("text", ""),
        summary=json.dumps(summary, ensure_ascii=False) if summary else "",
    )
    return row


@register_format("csv")
def write_csv(records: list[dict[str, Any]], path: Path) -> None:
    """A CSV table, one row per article (see :func:`flat_row`), written atomically."""
    import csv

    rows = [flat_row(r) for r in records]
    columns = list(flat_row({}).keys())
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, path)


@register_format("parquet")
def write_parquet(records: list[dict[str, Any]], path: Path) -> None:
    """A Parquet table, one row per article (see :func:`flat_row`; ``targets`` as a list), written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [flat_row(r) | {"targets": list(r.get("targets", []))} for r in records]
    schema = pa.schema(
        [(name, pa.string()) for name in SCALAR_COLUMNS if name != "line"]
        + [
            ("line", pa.int64()),
            ("targets", pa.list_(pa.string())),
            ("n_paragraphs", pa.int64()),
            ("types", pa.string()),
            ("paragraphs", pa.string()),
            ("summary_text", pa.string()),
            ("summary", pa.string()),
        ]
    )
    temporary = path.with_name(path.name + ".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), temporary)
    os.replace(temporary, path)


def write_table(paths: OutputPaths) -> None:
    """Rebuild the CSV/Parquet output from the journal (nothing to do for JSON Lines)."""
    writer = TABLE_WRITERS[paths.format]
    if writer is not None:
        writer(list(read_records(paths.journal)), paths.out)
