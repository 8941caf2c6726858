"""Label a folder of articles: one output record per article, crash-safe, resumable, never stopped by a bad file.

The run's steps: plan the files (:mod:`~stancewire.inference.walk`), open the journal and errors.jsonl
(:mod:`~stancewire.inference.output`), read files on a background thread, label paragraphs of many articles
per encoder call, summarise in a worker pool, append records in batches, and finally build the CSV/Parquet
table. Every file that cannot be read (empty, binary, undecodable, too large, unreadable, malformed JSON) and
every article that fails later goes to errors.jsonl with its reason; the run goes on.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancewire.inference.analyzer import Analyzer, article_with_targets
from stancewire.inference.output import ErrorLog, Journal, OutputPaths, check_same_model, write_table
from stancewire.inference.readers import (
    DEFAULT_MAX_BYTES,
    FileArticles,
    ReadError,
    content_hash,
    load_bytes,
    parse_bytes,
)
from stancewire.inference.results import ArticleAnalysis
from stancewire.inference.walk import plan_folder
from stancewire.models.schema import Article

_DONE = object()  # end of the reader's queue


@dataclass(frozen=True)
class BatchSettings:
    """Options of :func:`label_folder`.

    Args:
        targets: Stance targets for every article; ``None``: each article's own or the gazetteer default.
        summarise: Also summarise every article.
        workers: Threads that write summaries (each with its own summariser and LLM).
        resume: Continue an earlier run's output, skipping articles already done.
        overwrite: Replace an existing output instead of refusing to start.
        format: ``jsonl``, ``csv`` or ``parquet``.
        max_bytes: Larger files are refused (default 5 MB).
        chunk_paragraphs: Paragraphs per encoder call; records are written after each such chunk.

    Example:
        >>> BatchSettings(targets=["Israel", "Hamas"], workers=2).format
        'jsonl'
    """

    targets: Sequence[str] | None = None
    summarise: bool = False
    workers: int = 1
    resume: bool = False
    overwrite: bool = False
    format: str = "jsonl"
    max_bytes: int = DEFAULT_MAX_BYTES
    chunk_paragraphs: int = 256

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1; got {self.workers}.")
        if self.max_bytes < 1 or self.chunk_paragraphs < 1:
            raise ValueError(
                f"max_bytes and chunk_paragraphs must be >= 1; got {self.max_bytes} and {self.chunk_paragraphs}."
            )
        if self.resume and self.overwrite:
            raise ValueError("resume and overwrite exclude each other; pass one of them.")


@dataclass
class BatchProgress:
    """Where a run stands (passed to the progress callback after each file read and each batch written)."""

    files_done: int
    files_total: int
    articles: int
    paragraphs: int
    failed: int
    already_done: int
    seconds: float


@dataclass
class BatchReport:
    """What a run did.

    Attributes:
        articles / paragraphs: Labelled (and written) in this run.
        already_done: Articles skipped because an earlier run had written them (``resume``).
        superseded: Records of an earlier run dropped because their file changed and was labelled again.
        failed: Files or articles that could not be labelled (see ``errors_path``).
        skipped: Files not read (unsupported type, symbolic link leading out of the folder, ...).
    """

    out: Path
    errors_path: Path
    files: int = 0
    articles: int = 0
    paragraphs: int = 0
    already_done: int = 0
    superseded: int = 0
    failed: int = 0
    skipped: int = 0
    type_counts: Counter[str] = field(default_factory=Counter)
    stance_counts: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of the run."""
        return {
            "out": str(self.out),
            "errors": str(self.errors_path),
            "files": self.files,
            "articles": self.articles,
            "paragraphs": self.paragraphs,
            "already_done": self.already_done,
            "superseded": self.superseded,
            "failed": self.failed,
            "skipped": self.skipped,
            "type_counts": dict(self.type_counts),
            "stance_counts": dict(self.stance_counts),
            "seconds": round(self.seconds, 3),
        }


def label_folder(
    root: str | Path,
    out: str | Path,
    analyzer: Analyzer,
    settings: BatchSettings | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchReport:
    """Label every article file under ``root`` into ``out`` (one record per article).

    Raises:
        NotADirectoryError: when ``root`` is not a folder.
        FileExistsError: when ``out`` exists and neither ``resume`` nor ``overwrite`` is set.

    Example:
        >>> report = label_folder("news/", "runs/labels.jsonl", Analyzer.load())  # doctest: +SKIP
        >>> report.ok, report.articles  # doctest: +SKIP
        (True, 1000)
    """
    settings = settings or BatchSettings()
    paths = OutputPaths.for_output(out, settings.format)
    return _FolderRun(Path(root), paths, analyzer, settings, progress).run()


class RunBookkeeping:
    """Counting, failures and progress reports shared by the local folder run and the sharded (Ray) one.

    The class using it sets ``report`` (:class:`BatchReport`), ``errors`` (an ``ErrorLog``), ``progress``
    (a callback or ``None``), ``files_done`` and ``started`` (``time.perf_counter()`` at the start).
    """

    report: BatchReport
    errors: Any
    progress: Any
    files_done: int
    started: float

    def _count(self, result: ArticleAnalysis) -> None:
        """Add a finished article to the report."""
        self.report.articles += 1
        self.report.paragraphs += len(result.paragraphs)
        self.report.type_counts.update(result.type_counts())
        self.report.stance_counts.update(result.stance_counts())

    def _fail(self, path: str, reason: str, line: int | None = None) -> None:
        """Record a failed file or article in the report and in errors.jsonl."""
        self.report.failed += 1
        if len(self.report.failures) < 1000:
            self.report.failures.append({"path": path, "line": line, "reason": reason})
        self.errors.add(path, reason, kind="failed", line=line)

    def _notify(self) -> None:
        """Send the progress callback the current counts."""
        if self.progress is not None:
            self.progress(
                BatchProgress(
                    files_done=self.files_done,
                    files_total=self.report.files,
                    articles=self.report.articles,
                    paragraphs=self.report.paragraphs,
                    failed=self.report.failed,
                    already_done=self.report.already_done,
                    seconds=time.perf_counter() - self.started,
                )
            )


class _FolderRun(RunBookkeeping):
    """One run of :func:`label_folder`; each step is a method."""

    def __init__(self, root: Path, paths: OutputPaths, analyzer: Analyzer, settings: BatchSettings, progress) -> None:
        self.root, self.paths, self.analyzer, self.settings = root, paths, analyzer, settings
        self.progress = progress
        self.report = BatchReport(out=paths.out, errors_path=paths.errors)
        self.started = time.perf_counter()
        self.files_done = 0
        self._local = threading.local()

    def run(self) -> BatchReport:
        plan = plan_folder(self.root, exclude=[self.paths.out, self.paths.journal, self.paths.errors])
        self.report.files = len(plan.files)
        self.journal = Journal(self.paths.journal, resume=self.settings.resume, overwrite=self.settings.overwrite)
        try:
            check_same_model(self.paths.journal, self.journal.models, self.analyzer.model_name)
        except ValueError:
            self.journal.close()
            raise
        self.errors = ErrorLog(self.paths.errors)
        workers = self.settings.workers if self._llm_per_worker() else 1
        try:
            for name, reason in plan.skipped:
                self.errors.add(name, reason, kind="skipped")
            self.report.skipped = len(plan.skipped)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="summarise") as pool:
                self._label(self._read_in_background(plan.files), pool)
        finally:
            self.journal.close()
            self.errors.close()
        self.report.superseded = self.journal.drop_superseded()  # only after a complete run
        write_table(self.paths)
        self.report.seconds = time.perf_counter() - self.started
        return self.report

    # ------------------------------------------------------------------------------------------ reading
    def _read_in_background(self, files: list[tuple[Path, str]]) -> Iterator[FileArticles | ReadError | None]:
        """Files read on a thread (parsing overlaps the encoder); ``None`` for a file already fully done."""
        buffer: queue.Queue = queue.Queue(maxsize=64)
        stop = threading.Event()

        def put(item: object) -> None:
            while not stop.is_set():  # a consumer that stopped early must not leave this thread blocked
                try:
                    buffer.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def produce() -> None:
            for path, name in files:
                if stop.is_set():
                    return
                put(self._read(path, name))
            put(_DONE)

        reader = threading.Thread(target=produce, name="stancewire-reader", daemon=True)
        reader.start()
        try:
            while (item := buffer.get()) is not _DONE:
                yield item
        finally:
            stop.set()

    def _read(self, path: Path, name: str) -> FileArticles | ReadError | None:
        try:
            data = load_bytes(path, self.settings.max_bytes, name)
            digest = content_hash(data)
            self.journal.note_current(name, digest)
            if self.journal.done((name, digest, None)):
                return None
            return parse_bytes(data, path.suffix, name)
        except ReadError as exc:
            return exc
        except Exception as exc:  # a reader bug must not stop the run; the file is reported instead
            return ReadError(name, f"unexpected error while reading: {type(exc).__name__}: {exc}")

    # ----------------------------------------------------------------------------------------- labelling
    def _label(self, contents: Iterator[FileArticles | ReadError | None], pool: ThreadPoolExecutor) -> None:
        chunk: list[tuple[Article, str]] = []
        size = 0
        pending: deque[list[tuple[ArticleAnalysis, Future | None]]] = deque()
        for content in contents:
            self.files_done += 1
            for article, digest in self._new_articles(content):
                chunk.append((article, digest))
                size += len(article.paragraphs)
                if size >= self.settings.chunk_paragraphs:
                    pending.append(self._label_chunk(chunk, pool))
                    chunk, size = [], 0
                    self._write_finished(pending, block=len(pending) > 2)
            self._notify()
        if chunk:
            pending.append(self._label_chunk(chunk, pool))
        while pending:
            self._write_finished(pending, block=True)

    def _new_articles(self, content: FileArticles | ReadError | None) -> list[tuple[Article, str]]:
        if content is None:
            self.report.already_done += 1
            return []
        if isinstance(content, ReadError):
            self._fail(content.path, content.reason, content.line)
            return []
        for problem in content.problems:
            self._fail(problem.path, problem.reason, problem.line)
        fresh = []
        for article in content.articles:
            if self.journal.done((content.path, content.content_hash, article.line)):
                self.report.already_done += 1
            else:
                fresh.append((article, content.content_hash))
        return fresh

    def _label_chunk(
        self, chunk: list[tuple[Article, str]], pool: ThreadPoolExecutor
    ) -> list[tuple[ArticleAnalysis, Future | None]]:
        """Label a chunk of articles in one engine call (article by article if that fails), queue summaries."""
        targets = [self.analyzer.targets_for(article, self.settings.targets) for article, _ in chunk]
        groups = [([p.text for p in a.paragraphs], t) for (a, _), (t, _) in zip(chunk, targets)]
        try:
            predictions: list[Any] = self.analyzer.engine.label_groups(groups)
        except Exception:
            predictions = [self._label_one(group) for group in groups]
        finished = []
        for (article, digest), (article_targets, source), labels in zip(chunk, targets, predictions):
            if isinstance(labels, Exception):
                self._fail(article.path, f"labelling failed: {type(labels).__name__}: {labels}", article.line)
                continue
            result = self.analyzer.result(article, labels, article_targets, source, content_hash=digest)
            job = pool.submit(self._summarise, article, article_targets) if self.settings.summarise else None
            finished.append((result, job))
        return finished

    def _label_one(self, group: tuple[list[str], list[str]]) -> Any:
        try:
            return self.analyzer.engine.label_groups([group])[0]
        except Exception as exc:  # reported per article by the caller
            return exc

    # --------------------------------------------------------------------------------------- summaries
    def _llm_per_worker(self) -> bool:
        """Workers may run in parallel only when each can build its own LLM (not one shared object)."""
        llm = self.analyzer.llm
        return llm is None or isinstance(llm, str)

    def _summarise(self, article: Article, targets: list[str]) -> Any:
        summarizer = getattr(self._local, "summarizer", None)
        if summarizer is None:
            summarizer = self._local.summarizer = self.analyzer.new_summarizer()
        return summarizer.summarise(article_with_targets(article, targets))

    # ------------------------------------------------------------------------------------------ writing
    def _write_finished(self, pending: deque, block: bool) -> None:
        """Append the oldest chunk once its summaries are done (waiting for them when ``block``)."""
        while pending and (block or all(job is None or job.done() for _, job in pending[0])):
            records = []
            for result, job in pending.popleft():
                if job is not None:
                    try:
                        result.summary = job.result()
                    except Exception as exc:
                        self._fail(result.path, f"summary failed: {type(exc).__name__}: {exc}", result.line)
                        continue
                records.append(result.to_dict())
                self._count(result)
            self.journal.append(records)
            self._notify()
            block = False
