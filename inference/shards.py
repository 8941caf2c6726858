"""A folder of Parquet shards: where a distributed run writes, each shard whole or not at all.

Records are buffered and written ``rows_per_shard`` at a time as ``part-<run>-<n>.parquet`` with the local
engine's Parquet writer (same columns, see :func:`~stancewire.inference.output.flat_row`), first to a
``.tmp`` file that is then renamed, so a killed run leaves only complete shards and loses at most the rows
not yet written. ``resume`` reads the keys ``(path, content_hash, line)`` of the shards already there (and,
once the run is complete, drops the records of files edited since); ``overwrite`` deletes them (and only
them). errors.jsonl sits in the same folder.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stancewire.inference.output import Key, is_current, record_key, write_parquet

SHARD_PATTERN = "part-*.parquet"
KEY_COLUMNS = ["path", "content_hash", "line"]


def shard_paths(folder: str | Path) -> list[Path]:
    """The complete shards in ``folder``, sorted by name.

    Example:
        >>> shard_paths("/nonexistent")
        []
    """
    folder = Path(folder)
    return sorted(folder.glob(SHARD_PATTERN)) if folder.is_dir() else []


def read_shard_rows(folder: str | Path, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of every shard in ``folder`` (all columns, or ``columns``), shard by shard."""
    import pyarrow.parquet as pq

    for path in shard_paths(folder):
        yield from pq.read_table(path, columns=columns).to_pylist()


def shard_index(folder: str | Path) -> tuple[set[Key], set[str]]:
    """The keys of every article already written to ``folder`` and the labellers (``model``) that wrote them."""
    import pyarrow.parquet as pq

    keys: set[Key] = set()
    models: set[str] = set()
    for path in shard_paths(folder):
        columns = KEY_COLUMNS + (["model"] if "model" in pq.read_schema(path).names else [])
        for r in pq.read_table(path, columns=columns).to_pylist():
            keys.add((str(r["path"]), str(r["content_hash"]), r["line"]))
            if r.get("model") is not None:
                models.add(str(r["model"]))
    return keys, models


class ShardFolder:
    """Writes records into Parquet shards in ``folder``; knows which keys are already done.

    Args:
        folder: The output folder (created if missing).
        resume: Keep the shards there and skip their articles instead of refusing to start.
        overwrite: Delete the shards there first.
        rows_per_shard: Records per shard (the most a killed run can lose).

    Raises:
        FileExistsError: when ``folder`` holds shards and neither ``resume`` nor ``overwrite`` is set.
        NotADirectoryError: when ``folder`` is a file.

    Example:
        >>> shards = ShardFolder("/tmp/sw-doc-shards", overwrite=True, rows_per_shard=2)
        >>> shards.append([{"id": "a", "path": "a.txt", "content_hash": "sha256:0", "line": None}])
        >>> shards.done(("a.txt", "sha256:0", None)), len(shard_paths("/tmp/sw-doc-shards"))
        (True, 0)
        >>> shards.close()
        >>> len(shard_paths("/tmp/sw-doc-shards"))
        1
    """

    def __init__(
        self, folder: str | Path, resume: bool = False, overwrite: bool = False, rows_per_shard: int = 1000
    ) -> None:
        if rows_per_shard < 1:
            raise ValueError(f"rows_per_shard must be >= 1; got {rows_per_shard}.")
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise NotADirectoryError(
                f"{self.folder} is a file; --engine ray writes a folder of Parquet shards, give a folder for --out."
            )
        existing = shard_paths(self.folder)
        if existing and not (resume or overwrite):
            raise FileExistsError(
                f"{self.folder} already holds {len(existing)} shard(s) ({SHARD_PATTERN}); pass --resume to continue "
                "that run or --overwrite to start afresh."
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.folder.glob(SHARD_PATTERN + ".tmp"):  # a shard a killed run was writing
            leftover.unlink()
        if overwrite:
            for path in existing:
                path.unlink()
        self.keys: set[Key] = set()
        self.models: set[str] = set()  # the labellers named by the records already there (resume)
        if resume:
            self.keys, self.models = shard_index(self.folder)
        self.rows_per_shard = rows_per_shard
        self.run = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.written: list[Path] = []
        self._buffer: list[dict[str, Any]] = []

    def done(self, key: Key) -> bool:
        """True when a record with this key is already written or waiting to be."""
        return key in self.keys

    def append(self, records: list[dict[str, Any]]) -> None:
        """Buffer records (skipping keys already done); write a shard whenever ``rows_per_shard`` are waiting."""
        for record in records:
            key = record_key(record)
            if key not in self.keys:
                self.keys.add(key)
                self._buffer.append(record)
        while len(self._buffer) >= self.rows_per_shard:
            self._write(self._buffer[: self.rows_per_shard])
            self._buffer = self._buffer[self.rows_per_shard :]

    def close(self) -> None:
        """Write what is still buffered."""
        if self._buffer:
            self._write(self._buffer)
            self._buffer = []

    def drop_superseded(self, current: dict[str, str]) -> int:
        """Rewrite shards without records of files whose content hash is no longer ``current[path]``.

        As the local engine does after a complete ``--resume``: a file edited since it was labelled has been
        labelled again under its new hash, so its old record goes. Files this run did not see keep their
        records. Each shard is replaced atomically (deleted when nothing is left). Returns the records dropped.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        dropped = 0
        for path in shard_paths(self.folder):
            keys = pq.read_table(path, columns=["path", "content_hash"]).to_pylist()
            keep = [is_current(current, k["path"], k["content_hash"]) for k in keys]
            if all(keep):
                continue  # only the key columns were read
            table = pq.read_table(path)
            dropped += keep.count(False)
            if any(keep):
                temporary = path.with_name(path.name + ".tmp")
                pq.write_table(table.filter(pa.array(keep)), temporary)
                os.replace(temporary, path)
            else:
                path.unlink()
        return dropped

    def _write(self, records: list[dict[str, Any]]) -> None:
        path = self.folder / f"part-{self.run}-{len(self.written):05d}.parquet"
        write_parquet(records, path)
        self.written.append(path)
