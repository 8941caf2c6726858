"""The driver's side of a distributed folder run: plan the files, stream rows through the stages, keep the books.

The driver lists the folder (:func:`~stancewire.inference.walk.plan_folder`), reads the keys of the shards an
earlier run wrote and the labellers named in them (``resume``; like the local engine it refuses to add records
of another model or precision, checked on the first record that comes back), hands the file list to a
*stream* (Ray Data in :mod:`~stancewire.inference.ray_engine`; the stages of
:mod:`~stancewire.inference.stages` in-process in the tests) and consumes the rows that come back: records go
to Parquet shards, problems to errors.jsonl, counts to the same
:class:`~stancewire.inference.batch.BatchReport` the local engine returns. Writing on the driver keeps every
shard atomic and the errors file in one place; it costs little next to the encoder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from stancewire.inference.batch import BatchProgress, BatchReport, RunBookkeeping
from stancewire.inference.output import ErrorLog, OtherModelError, check_same_model
from stancewire.inference.results import ArticleAnalysis
from stancewire.inference.shards import ShardFolder
from stancewire.inference.stages import Key
from stancewire.inference.walk import FolderPlan, plan_folder

ERRORS_NAME = "errors.jsonl"
# files (``{"file", "name"}``) and the keys already done -> batches of rows (see stancewire.inference.stages)
RowStream = Callable[[list[dict[str, str]], frozenset[Key]], Iterable[list[dict[str, Any]]]]


def plan_outside(root: Path, out_dir: Path) -> FolderPlan:
    """The folder's plan, leaving out whatever lies in the output folder (when it sits inside the folder).

    Example:
        >>> plan = plan_outside(Path("examples/articles"), Path("runs/labels"))  # doctest: +SKIP
        >>> len(plan.files)  # doctest: +SKIP
        20
    """
    plan = plan_folder(root)
    out = out_dir.resolve()
    plan.files = [(path, name) for path, name in plan.files if not path.resolve().is_relative_to(out)]
    plan.skipped = [(name, why) for name, why in plan.skipped if not (root / name).resolve().is_relative_to(out)]
    return plan


class ShardedRun(RunBookkeeping):
    """One run into a folder of shards; :meth:`run` reads as its steps.

    Args:
        root: The folder of articles.
        out_dir: The output folder (shards and errors.jsonl).
        stream: Turns the file list into batches of rows.
        resume / overwrite: As for the local engine.
        rows_per_shard: Records per Parquet shard.
        progress: Called after every batch of rows.

    Example:
        >>> run = ShardedRun(Path("news"), Path("out"), stream=my_stream)  # doctest: +SKIP
        >>> run.run().articles  # doctest: +SKIP
        1000
    """

    def __init__(
        self,
        root: Path,
        out_dir: Path,
        stream: RowStream,
        *,
        resume: bool = False,
        overwrite: bool = False,
        rows_per_shard: int = 1000,
        progress: Callable[[BatchProgress], None] | None = None,
    ) -> None:
        if resume and overwrite:
            raise ValueError("resume and overwrite exclude each other; pass one of them.")
        self.root, self.out_dir, self.stream = root, out_dir, stream
        self.resume, self.overwrite, self.rows_per_shard = resume, overwrite, rows_per_shard
        self.progress = progress
        self.report = BatchReport(out=out_dir, errors_path=out_dir / ERRORS_NAME)
        self.files_done = 0
        self.current: dict[str, str] = {}  # content hash of each file as read by this run
        self.started = time.perf_counter()

    def run(self) -> BatchReport:
        """Plan, open the outputs, consume the stream, close; returns the report."""
        plan = plan_outside(self.root, self.out_dir)
        self.report.files = len(plan.files)
        self.shards = ShardFolder(self.out_dir, self.resume, self.overwrite, self.rows_per_shard)
        # errors.jsonl is written aside and moved into place at the end, so that a resume refused for another
        # model (known only when the first record comes back) leaves the earlier run's errors as they were.
        pending = self.report.errors_path.with_name(ERRORS_NAME + ".tmp")
        self.errors = ErrorLog(pending)
        refused = False
        try:
            for name, reason in plan.skipped:
                self.errors.add(name, reason, kind="skipped")
            self.report.skipped = len(plan.skipped)
            files = [{"file": str(path.absolute()), "name": name} for path, name in plan.files]
            if files:
                self._consume_all(iter(self.stream(files, frozenset(self.shards.keys))))
        except OtherModelError:
            refused = True
            raise
        finally:
            self.shards.close()
            self.errors.close()
            if refused:
                pending.unlink()
            else:
                pending.replace(self.report.errors_path)
        self.report.superseded = self.shards.drop_superseded(self.current)  # only after a complete run
        self.report.seconds = time.perf_counter() - self.started
        return self.report

    def _consume_all(self, batches: Iterator[list[dict[str, Any]]]) -> None:
        try:
            for rows in batches:
                self._consume(rows)
        finally:  # a generator stream (Ray) gets to clean up even when consuming fails
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def _consume(self, rows: list[dict[str, Any]]) -> None:
        records = []
        for row in rows:
            if row["content_hash"] is not None:
                self.current[row["path"]] = row["content_hash"]
            if row["kind"] == "result":
                record = json.loads(row["record"])
                check_same_model(self.out_dir, self.shards.models, str(record.get("model")))
                if not self.shards.done((record["path"], record["content_hash"], record["line"])):
                    records.append(record)
                    self._count(ArticleAnalysis.from_dict(record))
            elif row["kind"] == "failed":
                self._fail(row["path"], row["reason"], row["line"])
            elif row["kind"] == "done":
                self.report.already_done += 1
            else:
                raise ValueError(f"Unexpected row kind {row['kind']!r} from the stages; expected result/failed/done.")
            self.files_done += bool(row["closes_file"])
        self.shards.append(records)
        self._notify()
