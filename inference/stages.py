"""The steps of a distributed folder run, as plain functions and classes on lists of rows (no Ray import here).

:mod:`~stancewire.inference.ray_engine` hands them to Ray Data: :func:`read_files` runs in tasks,
:class:`LabelStage` and :class:`SummaryStage` in actor pools (each actor loads its model once, in its
constructor). They reuse the local engine's pieces (the same readers and paragraph splitting, target
resolution, encoder and result records), so an article gets the same record whichever engine labels it.

A row is a dict with the fields of :data:`ROW_FIELDS`; ``kind`` says what it holds:

- ``article``: read and waiting to be labelled (``article`` is the article as JSON);
- ``result``: labelled (``record`` is the output record as JSON, the one the local engine writes);
- ``failed``: a file, line or article that could not be read, labelled or summarised (``reason`` says why);
- ``done``: already in the output of an earlier run (``--resume``).

Labelling and summarising turn each row into exactly one row, so ``closes_file`` (set on the last row of each
file) reaches the driver once per file, whatever batches the rows travel in.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stancewire.inference.analyzer import Analyzer, article_with_targets
from stancewire.inference.readers import ReadError, content_hash, load_bytes, parse_bytes
from stancewire.inference.targets import DEFAULT_MAX_ACTORS
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.schema import Article, article_from_record

Key = tuple[str, str, int | None]
ROW_FIELDS: tuple[str, ...] = ("kind", "path", "line", "reason", "content_hash", "article", "record", "closes_file")


@dataclass(frozen=True)
class AnalyzerRecipe:
    """How every worker builds its own :class:`~stancewire.inference.analyzer.Analyzer` (models do not travel).

    Args:
        model: A registered labeller name (``"default"``) or a saved model folder that every worker can read.
        summarizer: Summarisation method for runs with summaries.
        llm: LLM spec for LLM summarisers (``None``: the bundled SmolLM2).
        quantize: Run the encoder in int8 (``None``: the model's choice; see ``Analyzer.load``).
        threads: Torch threads per worker (``None``: torch's default).
        batch_size: Most rows per encoder pass.
        gazetteer: Path of a gazetteer JSON for default targets (``None``: the shipped one).
        max_actors: Most gazetteer actors in a default target list.

    Example:
        >>> AnalyzerRecipe(model="default", threads=1).summarizer
        'label-aware'
    """

    model: str = "default"
    summarizer: str = "label-aware"
    llm: str | None = None
    quantize: bool | None = None
    threads: int | None = 1
    batch_size: int = 64
    gazetteer: str | None = None
    max_actors: int = DEFAULT_MAX_ACTORS

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be a model name or folder (a non-empty str); got {self.model!r}.")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a number >= 1 or None; got {self.threads!r}.")

    def build(self) -> Analyzer:
        """Load the labeller (no summariser: :class:`SummaryStage` builds its own)."""
        return Analyzer.load(
            self.model,
            summarizer=None,
            llm=self.llm,
            quantize=self.quantize,
            num_threads=self.threads,
            batch_size=self.batch_size,
            gazetteer=self.gazetteer,
            max_actors=self.max_actors,
        )


def new_row(kind: str, path: str, line: int | None = None, **fields: Any) -> dict[str, Any]:
    """A row with every field of :data:`ROW_FIELDS` (unset ones ``None``, ``closes_file`` False)."""
    row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
    row.update(kind=kind, path=path, line=line, closes_file=False)
    row.update(fields)
    return row


def article_to_json(article: Article) -> str:
    """An article as JSON, with its file position (what travels between stages)."""
    return json.dumps(article.to_dict() | {"path": article.path, "line": article.line}, ensure_ascii=False)


def article_from_json(text: str) -> Article:
    """Inverse of :func:`article_to_json`."""
    record = json.loads(text)
    return article_from_record(record, path=record["path"], line=record["line"])


# ---------------------------------------------------------------------------------------------------- reading
def read_files(files: Sequence[dict[str, str]], max_bytes: int, done: Collection[Key] = ()) -> list[dict[str, Any]]:
    """Rows of the files ``[{"file": absolute path, "name": name relative to the folder}, ...]``.

    A file already in ``done`` as a whole (its ``(name, content_hash, None)``) gives one ``done`` row without
    being parsed; otherwise each article gives an ``article`` or ``done`` row, each bad line a ``failed`` row.

    Example:
        >>> rows = read_files([{"file": "/nonexistent/a.txt", "name": "a.txt"}], max_bytes=1000)
        >>> rows[0]["kind"], rows[0]["reason"], rows[0]["closes_file"]
        ('failed', 'could not read the file (No such file or directory).', True)
    """
    rows: list[dict[str, Any]] = []
    for item in files:
        file_rows = _file_rows(Path(item["file"]), item["name"], max_bytes, done)
        file_rows[-1]["closes_file"] = True
        rows += file_rows
    return rows


def _file_rows(path: Path, name: str, max_bytes: int, done: Collection[Key]) -> list[dict[str, Any]]:
    """What the local engine's reader thread does for one file, as rows (with the file's hash once known)."""
    digest = None
    try:
        data = load_bytes(path, max_bytes, name)
        digest = content_hash(data)
        if (name, digest, None) in done:
            return [new_row("done", name, content_hash=digest)]
        content = parse_bytes(data, path.suffix, name)
    except ReadError as exc:
        return [new_row("failed", exc.path, exc.line, reason=exc.reason, content_hash=digest)]
    except Exception as exc:  # a reader bug must not stop the run; the file is reported instead
        reason = f"unexpected error while reading: {type(exc).__name__}: {exc}"
        return [new_row("failed", name, reason=reason, content_hash=digest)]
    rows = [new_row("failed", p.path, p.line, reason=p.reason, content_hash=digest) for p in content.problems]
    for article in content.articles:
        kind = "done" if (content.path, content.content_hash, article.line) in done else "article"
        text = article_to_json(article) if kind == "article" else None
        rows.append(new_row(kind, content.path, article.line, content_hash=content.content_hash, article=text))
    return rows


# -------------------------------------------------------------------------------------------------- labelling
class LabelStage:
    """Label the ``article`` rows of a batch, many articles per encoder call (other rows pass through).

    Args:
        recipe: How to load the labeller (once, here).
        targets: Stance targets for every article; ``None``: each article's own or the gazetteer default.
        chunk_paragraphs: Paragraphs per encoder call, as in :class:`~stancewire.inference.batch.BatchSettings`.
        keep_articles: Keep the article JSON on ``result`` rows (the summary stage needs it).

    Example:
        >>> stage = LabelStage(AnalyzerRecipe("default"), targets=["ceasefire"])  # doctest: +SKIP
        >>> [row["kind"] for row in stage(read_files(files, max_bytes=5_000_000))]  # doctest: +SKIP
        ['result', 'result', 'failed']
    """

    def __init__(
        self,
        recipe: AnalyzerRecipe,
        targets: Sequence[str] | None = None,
        chunk_paragraphs: int = 256,
        keep_articles: bool = False,
    ) -> None:
        self.analyzer = recipe.build()
        self.targets = list(targets) if targets is not None else None
        self.chunk_paragraphs = chunk_paragraphs
        self.keep_articles = keep_articles

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The batch with each ``article`` row replaced by its ``result`` (or ``failed``) row, in order."""
        out = list(rows)
        chunk: list[tuple[int, Article]] = []
        size = 0
        for index, row in enumerate(rows):
            if row["kind"] != "article":
                continue
            article = article_from_json(row["article"])
            chunk.append((index, article))
            size += len(article.paragraphs)
            if size >= self.chunk_paragraphs:
                self._label_chunk(chunk, out)
                chunk, size = [], 0
        if chunk:
            self._label_chunk(chunk, out)
        return out

    def _label_chunk(self, chunk: list[tuple[int, Article]], out: list[dict[str, Any]]) -> None:
        """One engine call for the chunk (article by article if that fails), as the local engine does."""
        targets = [self.analyzer.targets_for(article, self.targets) for _, article in chunk]
        groups = [([p.text for p in a.paragraphs], t) for (_, a), (t, _) in zip(chunk, targets)]
        try:
            predictions: list[Any] = self.analyzer.engine.label_groups(groups)
        except Exception:
            predictions = [self._label_one(group) for group in groups]
        for (index, article), (article_targets, source), labels in zip(chunk, targets, predictions):
            row = out[index]
            if isinstance(labels, Exception):
                reason = f"labelling failed: {type(labels).__name__}: {labels}"
                out[index] = row | {"kind": "failed", "reason": reason, "article": None}
                continue
            result = self.analyzer.result(article, labels, article_targets, source, content_hash=row["content_hash"])
            record = json.dumps(result.to_dict(), ensure_ascii=False)
            article_json = row["article"] if self.keep_articles else None
            out[index] = row | {"kind": "result", "record": record, "article": article_json}

    def _label_one(self, group: tuple[list[str], list[str]]) -> Any:
        try:
            return self.analyzer.engine.label_groups([group])[0]
        except Exception as exc:  # reported per article by the caller
            return exc


# -------------------------------------------------------------------------------------------------- summaries
class SummaryStage:
    """Summarise the articles of the ``result`` rows of a batch (other rows pass through).

    The summariser's labeller answers from the labels in each record (:class:`KnownLabels`), so a label-aware
    summary costs no second encoder pass, as with the local engine's prediction cache.

    Args:
        recipe: The summarisation method, its LLM, and the labeller to load should a label be missing.

    Example:
        >>> stage = SummaryStage(AnalyzerRecipe("default", summarizer="lead"))  # doctest: +SKIP
        >>> json.loads(stage(labelled_rows)[0]["record"])["summary"]["method"]  # doctest: +SKIP
        'extractive.lead.v1'
    """

    def __init__(self, recipe: AnalyzerRecipe) -> None:
        from stancewire.models.summarize import load_summarizer

        self.labels = KnownLabels(recipe)
        self.summarizer = load_summarizer(recipe.summarizer, labeler=self.labels, llm=recipe.llm)

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The batch with a summary in each ``result`` record (a ``failed`` row when summarising fails)."""
        return [self._summarise(row) if row["kind"] == "result" else row for row in rows]

    def _summarise(self, row: dict[str, Any]) -> dict[str, Any]:
        record = json.loads(row["record"])
        article = article_from_json(row["article"])
        self.labels.remember(record)
        try:
            summary = self.summarizer.summarise(article_with_targets(article, list(record["targets"])))
        except Exception as exc:
            return row | {"kind": "failed", "reason": f"summary failed: {type(exc).__name__}: {exc}", "record": None}
        record["summary"] = summary.to_dict()
        return row | {"record": json.dumps(record, ensure_ascii=False), "article": None}


class KnownLabels:
    """A labeller for summarisers: the predictions of the record in hand, the real labeller for anything else.

    Example:
        >>> labels = KnownLabels(AnalyzerRecipe("default"))
        >>> p = {"text": "Talks resumed.", "types": ["diplomacy"], "type_scores": {"diplomacy": 0.9}}
        >>> labels.remember({"targets": [], "paragraphs": [p]})
        >>> labels.predict(["Talks  resumed."])[0].types  # found without loading the model
        ['diplomacy']
    """

    def __init__(self, recipe: AnalyzerRecipe) -> None:
        self.recipe = recipe
        self._known: dict[tuple[str, tuple[str, ...]], ParagraphPrediction] = {}
        self._engine: Any = None

    def remember(self, record: dict[str, Any]) -> None:
        """Answer from this record's paragraphs until the next call."""
        targets = tuple(record.get("targets", []))
        self._known = {
            (_normal(p["text"]), targets): ParagraphPrediction.from_dict(p) for p in record.get("paragraphs", [])
        }

    def predict(
        self, paragraphs: str | Sequence[str], targets: Sequence[str] | None = None, batch_size: int = 32
    ) -> ParagraphPrediction | list[ParagraphPrediction]:
        """Predictions for paragraphs (the labeller interface); ``batch_size`` is accepted and unused."""
        single = isinstance(paragraphs, str)
        texts = [paragraphs] if single else list(paragraphs)
        key = tuple(targets or ())
        found = [self._known.get((_normal(t), key)) for t in texts]
        if any(p is None for p in found):
            if self._engine is None:
                self._engine = self.recipe.build().engine
            computed = self._engine.predict(texts, targets=list(key))
            found = [p if p is not None else c for p, c in zip(found, computed)]
        results = [replace(p, text=t) for p, t in zip(found, texts)]
        return results[0] if single else results


def _normal(text: str) -> str:
    """Whitespace-normalised text (how the local engine's cache compares paragraphs)."""
    return " ".join(text.split())
