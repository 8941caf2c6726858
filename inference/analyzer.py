"""The Python API: :class:`Analyzer` labels paragraphs, summarises articles and analyses whole articles.

The summariser is built on first use, so labelling never loads an LLM.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stancewire.inference.engine import EncoderSettings, LabelEngine
from stancewire.inference.readers import DEFAULT_MAX_BYTES, FileArticles, ReadError, read_file, read_text_articles
from stancewire.inference.results import ArticleAnalysis
from stancewire.inference.targets import DEFAULT_MAX_ACTORS, Gazetteer, load_gazetteer, resolve_targets
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.schema import Article, Paragraph
from stancewire.models.summarize import Summary, load_summarizer

HTML_STARTS = ("<!doctype html", "<html", "<?xml", "<body", "<article")
MAX_PATH_CHARS = 4096


class Analyzer:
    """Label paragraphs (types, stance per target), summarise, and analyse whole articles.

    Build one with :meth:`load`. Targets default to the actors a gazetteer finds in the text plus
    ``"ceasefire"`` (see :mod:`stancewire.inference.targets`).

    Args:
        engine: The labeller behind a :class:`~stancewire.inference.engine.LabelEngine`.
        summarizer: A method name for :func:`~stancewire.models.summarize.load_summarizer` (built lazily),
            a ready summariser object, or ``None`` for no summaries.
        llm: What LLM summarisers use: ``None`` (the bundled SmolLM2), a spec string or a ChatLLM.
        gazetteer: Actors for default targets (``None``: the shipped gazetteer).
        max_actors: Most gazetteer actors in a default target list.
        max_bytes: Largest file :meth:`analyze` reads.

    Example:
        >>> analyzer = Analyzer.load("default", summarizer="lead")  # doctest: +SKIP
        >>> result = analyzer.analyze("Hamas fired rockets.\\n\\nIsrael struck Gaza.")  # doctest: +SKIP
        >>> result.targets, result.paragraphs[1].stance  # doctest: +SKIP
        (['Hamas', 'Israel', 'ceasefire'], {'Hamas': 'none', 'Israel': 'none', 'ceasefire': 'none'})
    """

    def __init__(
        self,
        engine: LabelEngine,
        *,
        summarizer: str | Any | None = "label-aware",
        llm: Any = None,
        gazetteer: Gazetteer | None = None,
        max_actors: int = DEFAULT_MAX_ACTORS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if (
            summarizer is not None
            and not isinstance(summarizer, str)
            and not callable(getattr(summarizer, "summarise", None))
        ):
            raise TypeError(
                f"summarizer must be a method name such as 'hybrid', an object with .summarise(), or None; "
                f"got {type(summarizer).__name__}."
            )
        self.engine = engine
        self.summarizer_spec = summarizer
        self.llm = llm
        self.gazetteer = gazetteer or load_gazetteer()
        self.max_actors = max_actors
        self.max_bytes = max_bytes
        self._summarizer: Any = None if isinstance(summarizer, str) else summarizer
        self._summarizer_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model: str | Path | Any = "default",
        summarizer: str | Any | None = "label-aware",
        llm: Any = None,
        *,
        quantize: bool | None = None,
        num_threads: int | str | None = "auto",
        batch_size: int = 64,
        gazetteer: str | Path | Gazetteer | None = None,
        max_actors: int = DEFAULT_MAX_ACTORS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Analyzer:
        """Load a labeller by name, folder or object and wrap it for fast inference.

        Args:
            model: A registered name (``"default"``), a saved model folder, or a labeller object.
            summarizer: Summarisation method name (``"label-aware"``, ``"hybrid"``, ``"lead"``, ...), a
                summariser, or ``None``.
            llm: For LLM summarisers: ``None`` (bundled SmolLM2), a spec string, or a ChatLLM.
            quantize: Run the encoder's Linear layers in int8 (``ParagraphClassifier.quantized``), about 1.8x
                faster. ``None`` (default) follows the model: training turns int8 on (``int8_default`` in its
                config.json) when the int8 copy's types macro-F1 stays within 0.5 points of full precision on
                dev + test, as it does for the shipped default; ``False`` always runs full precision, ``True``
                always int8. Models trained by stancewire carry calibrated input ranges and int8 thresholds, so
                labels do not depend on batch-mates; older models fall back to dynamic int8, whose labels do
                (with a warning). See ``benchmarks/README.md``.
            num_threads: Torch threads (process-wide): a number, ``"auto"`` (one per idle core, at least one)
                or ``None`` to keep torch's default.
            batch_size: Most rows per encoder pass.
            gazetteer: Path of a gazetteer JSON (or a :class:`Gazetteer`) for default targets.
            max_actors: Most gazetteer actors in a default target list.
            max_bytes: Largest file :meth:`analyze` reads.
        """
        from stancewire.models.registry import load_labeler

        labeler = model if callable(getattr(model, "predict", None)) else load_labeler(model)
        settings = EncoderSettings(batch_size=batch_size, quantize=quantize, num_threads=num_threads)
        if not isinstance(gazetteer, Gazetteer):
            gazetteer = load_gazetteer(gazetteer)
        return cls(
            LabelEngine(labeler, settings),
            summarizer=summarizer,
            llm=llm,
            gazetteer=gazetteer,
            max_actors=max_actors,
            max_bytes=max_bytes,
        )

    @property
    def model_name(self) -> str:
        """The labeller's name; ``NAME@int8`` when the encoder runs in int8 (``load_labeler`` reads that back)."""
        return self.engine.name

    # ----------------------------------------------------------------------------------------- labelling
    def label(
        self, paragraphs: str | Sequence[str], targets: Sequence[str] | str | None = None
    ) -> ParagraphPrediction | list[ParagraphPrediction]:
        """Types and stance per target for paragraphs; a str gives one prediction, a list gives a list.

        Args:
            paragraphs: One paragraph or a list of them.
            targets: Targets to score stance toward; ``None``: the gazetteer default for the joined paragraphs.
        """
        single = isinstance(paragraphs, str)
        texts = [paragraphs] if single else list(paragraphs)
        if targets is None and not all(isinstance(t, str) for t in texts):
            raise TypeError(f"paragraphs must be str; got {[type(t).__name__ for t in texts]}.")
        resolved, _ = self.targets_for_text("\n\n".join(texts), targets)
        predictions = self.engine.label_groups([(texts, resolved)])[0]
        return predictions[0] if single else predictions

    # ----------------------------------------------------------------------------------------- summaries
    @property
    def summarizer(self) -> Any:
        """The summariser, built on first access (an LLM loads only when an LLM method first runs)."""
        with self._summarizer_lock:
            if self._summarizer is None:
                self._summarizer = self.new_summarizer()
            return self._summarizer

    def new_summarizer(self) -> Any:
        """A fresh summariser of the configured method (one per worker thread: LLMs are not thread-safe)."""
        if self.summarizer_spec is None:
            raise ValueError(
                "This Analyzer has no summariser (summarizer=None); load it with summarizer='label-aware'."
            )
        if not isinstance(self.summarizer_spec, str):
            return self.summarizer_spec
        return load_summarizer(self.summarizer_spec, labeler=self.engine, llm=self.llm)

    def summarise(self, text: str | Path | Article, targets: Sequence[str] | str | None = None) -> Summary:
        """Summarise an article (text, file path or :class:`Article`) with provenance and a guard report."""
        article = self.read(text)
        return self.summarizer.summarise(article_with_targets(article, self.targets_for(article, targets)[0]))

    # ------------------------------------------------------------------------------------------ articles
    def analyze(
        self, text_or_path: str | Path | Article, targets: Sequence[str] | str | None = None, *, summarise: bool = True
    ) -> ArticleAnalysis:
        """Label every paragraph of an article and (by default) summarise it.

        Args:
            text_or_path: Article text (plain or HTML), a path to a .txt/.md/.html/.json/.jsonl file holding
                one article, or an :class:`Article`.
            targets: Stance targets; ``None``: the article's own (JSON) or the gazetteer default.
            summarise: Also summarise (loads the summariser on first use).
        """
        article, digest = self._read_one(text_or_path)
        return self.analyze_articles([article], targets, summarise=summarise, content_hashes=[digest])[0]

    def analyze_articles(
        self,
        articles: Sequence[Article],
        targets: Sequence[str] | str | None = None,
        *,
        summarise: bool = False,
        content_hashes: Sequence[str] | None = None,
    ) -> list[ArticleAnalysis]:
        """Analyse many articles; their paragraphs share encoder batches.

        Args:
            articles: The articles.
            targets: Targets for all of them; ``None``: each article's own, else the gazetteer default.
            summarise: Also summarise each article.
            content_hashes: The ``content_hash`` to record for each article (default: empty).
        """
        hashes = list(content_hashes) if content_hashes is not None else [""] * len(articles)
        if len(hashes) != len(articles):
            raise ValueError(f"Got {len(hashes)} content hashes for {len(articles)} articles; give one per article.")
        resolved = [self.targets_for(article, targets) for article in articles]
        groups = [([p.text for p in a.paragraphs], t) for a, (t, _) in zip(articles, resolved)]
        predictions = self.engine.label_groups(groups)
        results = []
        for article, (article_targets, source), labels, digest in zip(articles, resolved, predictions, hashes):
            summary = None
            if summarise:
                summary = self.summarizer.summarise(article_with_targets(article, article_targets))
            results.append(self.result(article, labels, article_targets, source, summary, digest))
        return results

    def result(
        self,
        article: Article,
        predictions: list[ParagraphPrediction],
        targets: list[str],
        target_source: str,
        summary: Summary | None = None,
        content_hash: str = "",
    ) -> ArticleAnalysis:
        """Assemble an :class:`ArticleAnalysis` from an article and its predictions."""
        return ArticleAnalysis(
            id=article.id,
            paragraphs=predictions,
            targets=list(targets),
            target_source=target_source,
            model=self.model_name,
            title=article.title,
            date=article.date,
            path=article.path,
            content_hash=content_hash,
            line=article.line,
            summary=summary,
        )

    def targets_for(self, article: Article, targets: Sequence[str] | str | None) -> tuple[list[str], str]:
        """The targets for one article and their source (``user``, ``article`` or ``gazetteer``)."""
        return resolve_targets(article.text, targets, article.targets, self.gazetteer, self.max_actors)

    def targets_for_text(self, text: str, targets: Sequence[str] | str | None) -> tuple[list[str], str]:
        """The targets for a text that has no ``targets`` field of its own, and their source."""
        return resolve_targets(text, targets, (), self.gazetteer, self.max_actors)

    def parse_text(self, text: str) -> tuple[Article, str]:
        """The one article in ``text`` (HTML when it starts like a page, else plain) and its content hash.

        Unlike :meth:`read`, a str is never taken for a file path (what the HTTP service needs).

        Raises:
            ReadError: when the text holds no paragraphs.
        """
        kind = "html" if text.lstrip()[:20].lower().startswith(HTML_STARTS) else "txt"
        return _single(read_text_articles(text, kind, "text"))

    def read(self, text_or_path: str | Path | Article) -> Article:
        """An :class:`Article` from text, a file path or an Article (copied, never changed in place).

        A ``str`` is a path when it names an existing file and holds no newline; otherwise it is text, read
        as HTML when it starts like a page and as plain text otherwise.

        Raises:
            ReadError: when the file or text holds no article, or (JSON) more than one.
        """
        return self._read_one(text_or_path)[0]

    def _read_one(self, text_or_path: str | Path | Article) -> tuple[Article, str]:
        if isinstance(text_or_path, Article):
            return article_with_targets(text_or_path, list(text_or_path.targets)), ""
        if not isinstance(text_or_path, str | Path):
            raise TypeError(f"Expected article text, a file path or an Article; got {type(text_or_path).__name__}.")
        if not _is_path(text_or_path):
            return self.parse_text(str(text_or_path))
        return _single(read_file(text_or_path, self.max_bytes))


def _single(content: FileArticles) -> tuple[Article, str]:
    """The only article of a file or text, with the content hash; ``ReadError`` when there are none or several."""
    if content.problems:
        raise content.problems[0]
    if len(content.articles) != 1:
        found = f"{len(content.articles)} articles" if content.articles else "no paragraphs"
        raise ReadError(content.path, f"expected one article, found {found}; use analyze_articles or label_folder.")
    return content.articles[0], content.content_hash


def _is_path(value: str | Path) -> bool:
    if isinstance(value, Path):
        return True
    return len(value) < MAX_PATH_CHARS and "\n" not in value and Path(value).is_file()


def article_with_targets(article: Article, targets: list[str]) -> Article:
    """A copy of ``article`` (unlabelled paragraphs) whose ``targets`` are ``targets``."""
    return Article(
        id=article.id,
        paragraphs=[Paragraph(p.text) for p in article.paragraphs],
        title=article.title,
        source=article.source,
        date=article.date,
        conflict=article.conflict,
        targets=list(targets),
        summary=article.summary,
        path=article.path,
        line=article.line,
    )
