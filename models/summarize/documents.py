"""Summarise files: ``.txt`` / ``.md`` articles and ``.jsonl`` files in the article schema, or a folder of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancewire.models.schema import Article, DataError, Paragraph, load_articles
from stancewire.models.summarize.base import Summarizer, Summary, load_summarizer
from stancewire.models.summarize.text import split_paragraphs

TEXT_SUFFIXES: tuple[str, ...] = (".txt", ".md")
DOCUMENT_SUFFIXES: tuple[str, ...] = (*TEXT_SUFFIXES, ".jsonl")


@dataclass
class SummarisedDocument:
    """One article's summary, with where the article came from.

    Example:
        >>> from stancewire.models.summarize.base import Summary
        >>> doc = SummarisedDocument("a1", "a1.txt", "", Summary("Hi.", ["Hi."], [[0]], "extractive.lead.v1"))
        >>> doc.to_dict()["method"]
        'extractive.lead.v1'
    """

    id: str
    path: str
    title: str
    summary: Summary

    def to_dict(self) -> dict[str, Any]:
        """A flat JSON-ready record: ``id``, ``path``, ``title`` and the summary's fields."""
        return {"id": self.id, "path": self.path, "title": self.title, **self.summary.to_dict()}


def read_text_article(path: str | Path) -> Article:
    """An article from a plain-text or Markdown file: paragraphs on blank lines (else on newlines).

    A leading Markdown heading (``# Title``) becomes the title. The id is the file name without suffix.
    """
    path = Path(path)
    paragraphs = split_paragraphs(path.read_text(encoding="utf-8"))
    title = ""
    if paragraphs and paragraphs[0].startswith("#"):
        title = paragraphs.pop(0).lstrip("#").strip()
    if not paragraphs:
        raise DataError(path, None, "the file holds no text to summarise.")
    return Article(id=path.stem, title=title, paragraphs=[Paragraph(p) for p in paragraphs], path=str(path))


def load_documents(path: str | Path) -> list[Article]:
    """Articles from a ``.txt`` / ``.md`` / ``.jsonl`` file, or from every such file in a folder (sorted by name).

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        DataError: for an unsupported suffix, an empty folder, or an invalid JSONL line (naming file and line).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No file or folder at {path}; expected a .txt, .md or .jsonl file, or a folder.")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
        if not files:
            raise DataError(path, None, f"folder holds no {'/'.join(DOCUMENT_SUFFIXES)} file to summarise.")
    elif path.suffix.lower() in DOCUMENT_SUFFIXES:
        files = [path]
    else:
        raise DataError(path, None, f"unsupported file type {path.suffix!r}; expected one of {DOCUMENT_SUFFIXES}.")
    articles: list[Article] = []
    for file in files:
        if file.suffix.lower() == ".jsonl":
            articles.extend(load_articles(file))
        else:
            articles.append(read_text_article(file))
    return articles


def summarise_path(
    path: str | Path,
    *,
    method: str = "label-aware",
    llm: Any = None,
    labeler: Any = None,
    max_sentences: int = 3,
    summarizer: Summarizer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[SummarisedDocument]:
    """Summarise every article of a file or folder (see :func:`load_documents`).

    Args:
        path: A file or folder.
        method: A method name for :func:`~stancewire.models.summarize.load_summarizer`.
        llm: A ChatLLM or spec string for the LLM methods (``None``: the bundled SmolLM2).
        labeler: A paragraph labeller for ``label-aware`` and ``hybrid``.
        max_sentences: Length budget, in sentences.
        summarizer: A ready summariser (then ``method``, ``llm``, ``labeler`` and ``max_sentences`` are unused).
        progress: Called as ``progress(done, total)`` after each article.

    Example:
        >>> summarise_path("article.txt", method="lead")[0].summary.text  # doctest: +SKIP
        'Rebels of the M23 movement said on Monday they had taken control of Goma...'
    """
    articles = load_documents(path)
    summarizer = summarizer or load_summarizer(method, labeler=labeler, llm=llm, max_sentences=max_sentences)
    results = []
    for done, article in enumerate(articles, 1):
        results.append(SummarisedDocument(article.id, article.path, article.title, summarizer.summarise(article)))
        if progress is not None:
            progress(done, len(articles))
    return results
