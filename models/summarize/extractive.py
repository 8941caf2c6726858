"""Extractive summarisers: lead, TextRank and MMR. Each picks whole source sentences, kept in source order."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np

from stancewire.models.schema import Article
from stancewire.models.summarize.base import SummarizerOptions, Summary, register_summarizer
from stancewire.models.summarize.guard import check_faithfulness
from stancewire.models.summarize.text import SourceDocument
from stancewire.models.summarize.vectors import TFIDF, sentence_vectors

MIN_WORDS = 4  # shorter sentences (datelines, "He denied it.") are ranked only when nothing else is left
# lead-mmr's position prior, chosen on the train and dev fixtures (ROUGE-L of 3-sentence extracts): news puts
# the core first, so relevance gains LEAD_BIAS * exp(-POSITION_DECAY * sentence index).
LEAD_BIAS = 0.2
POSITION_DECAY = 1.0


def extractive_summary(doc: SourceDocument, indices: Iterable[int], method: str, started: float) -> Summary:
    """A :class:`Summary` of the chosen sentences in source order, each traced to its paragraph, guard-checked."""
    chosen = sorted(set(indices))
    sentences = [doc.sentences[i] for i in chosen]
    text = " ".join(sentences)
    return Summary(
        text=text,
        sentences=sentences,
        provenance=[[doc.sentence_paragraphs[i]] for i in chosen],
        method=method,
        guard=check_faithfulness(text, doc.text),
        seconds=time.perf_counter() - started,
    )


def candidate_indices(doc: SourceDocument) -> list[int]:
    """Sentences long enough to stand in a summary (all of them when none is), repeated sentences once."""
    first_of = {}
    for i, sentence in enumerate(doc.sentences):
        first_of.setdefault(" ".join(sentence.lower().split()), i)
    unique = sorted(first_of.values())
    long_enough = [i for i in unique if len(doc.sentences[i].split()) >= MIN_WORDS]
    return long_enough or unique


def centrality(vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to the centroid of all rows."""
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    return vectors @ centroid / norm if norm else np.zeros(len(vectors), dtype=np.float32)


def position_prior(count: int, decay: float = POSITION_DECAY) -> np.ndarray:
    """``exp(-decay * i)`` for sentence ``i``: 1 for the first sentence, fading with position.

    Example:
        >>> [round(float(x), 2) for x in position_prior(3)]
        [1.0, 0.37, 0.14]
    """
    return np.exp(-decay * np.arange(count, dtype=np.float64))


def textrank_scores(vectors: np.ndarray, damping: float = 0.85, iterations: int = 100) -> np.ndarray:
    """PageRank over the cosine-similarity graph of the rows (negative similarities dropped)."""
    count = len(vectors)
    if count == 0:
        return np.zeros(0)
    weights = np.clip(vectors @ vectors.T, 0.0, None)
    np.fill_diagonal(weights, 0.0)
    sums = weights.sum(axis=1, keepdims=True)
    transition = np.where(sums > 0, weights / np.where(sums == 0, 1.0, sums), 1.0 / count)
    scores = np.full(count, 1.0 / count)
    for _ in range(iterations):
        updated = (1 - damping) / count + damping * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-8:
            return updated
        scores = updated
    return scores


def mmr_select(
    vectors: np.ndarray,
    relevance: np.ndarray,
    k: int,
    *,
    diversity: float = 0.3,
    candidates: Sequence[int] | None = None,
    selected: Sequence[int] = (),
) -> list[int]:
    """Maximal marginal relevance: add the candidate maximising ``(1-diversity)*relevance - diversity*redundancy``.

    Redundancy is the highest cosine similarity to a sentence already selected. Ties go to the earlier
    sentence. Returns the newly selected indices (at most ``k``), in selection order.

    Example:
        >>> v = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> mmr_select(v, np.array([0.9, 0.9, 0.5]), 2, diversity=0.5)
        [0, 2]
    """
    pool = [i for i in (candidates if candidates is not None else range(len(vectors))) if i not in selected]
    chosen = list(selected)
    picked: list[int] = []
    while pool and len(picked) < k:
        scores = []
        for i in pool:
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            scores.append((1 - diversity) * float(relevance[i]) - diversity * redundancy)
        best = pool[int(np.argmax(scores))]
        picked.append(best)
        chosen.append(best)
        pool.remove(best)
    return picked


class LeadSummarizer:
    """The first ``max_sentences`` sentences: the classic news baseline.

    Example:
        >>> LeadSummarizer(max_sentences=1).summarise("Goma fell on Monday. Talks stalled.").sentences
        ['Goma fell on Monday.']
    """

    name = "extractive.lead.v1"

    def __init__(self, *, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    def summarise(self, article: Article | str) -> Summary:
        """Summarise with the lead sentences."""
        started = time.perf_counter()
        doc = SourceDocument.from_article(article)
        return extractive_summary(doc, range(min(self.max_sentences, len(doc.sentences))), self.name, started)


class TextRankSummarizer:
    """TextRank: the sentences with the highest PageRank in the sentence-similarity graph.

    Args:
        max_sentences: Sentences in the summary.
        encoder: ``"tfidf"`` (default, no weights) or ``"minilm"`` / an encoder id or path.

    Example:
        >>> s = TextRankSummarizer(max_sentences=1).summarise("Goma fell. Rebels took Goma. It rained.")
        >>> s.method
        'extractive.textrank.v1'
    """

    name = "extractive.textrank.v1"

    def __init__(self, *, max_sentences: int = 3, encoder: str = TFIDF, name: str | None = None) -> None:
        self.max_sentences = max_sentences
        self.encoder = encoder
        self.name = name or self.name

    def summarise(self, article: Article | str) -> Summary:
        """Summarise with the most central sentences of the similarity graph."""
        started = time.perf_counter()
        doc = SourceDocument.from_article(article)
        candidates = candidate_indices(doc)
        scores = textrank_scores(sentence_vectors([doc.sentences[i] for i in candidates], self.encoder))
        ranked = sorted(range(len(candidates)), key=lambda j: (-scores[j], j))[: self.max_sentences]
        return extractive_summary(doc, [candidates[j] for j in ranked], self.name, started)


class MMRSummarizer:
    """Centroid relevance with maximal marginal relevance, so the sentences cover different content.

    With ``lead_bias > 0`` (the ``lead-mmr`` method) relevance also favours early sentences:
    ``centrality + lead_bias * exp(-position_decay * index)``.

    Args:
        max_sentences: Sentences in the summary.
        diversity: Weight of redundancy against relevance (0 = pure centroid ranking).
        encoder: ``"tfidf"`` (default) or ``"minilm"`` / an encoder id or path.
        lead_bias: Weight of the position prior (0 = plain MMR).
        position_decay: How fast the prior fades with the sentence index.
        name: Registered name reported in ``Summary.method``.

    Example:
        >>> MMRSummarizer(max_sentences=2).summarise("Goma fell. Rebels took Goma. Aid ran out.").method
        'extractive.mmr.v1'
    """

    name = "extractive.mmr.v1"

    def __init__(
        self,
        *,
        max_sentences: int = 3,
        diversity: float = 0.3,
        encoder: str = TFIDF,
        lead_bias: float = 0.0,
        position_decay: float = POSITION_DECAY,
        name: str | None = None,
    ) -> None:
        if not 0 <= diversity <= 1:
            raise ValueError(f"diversity must lie in [0, 1]; got {diversity}.")
        if lead_bias < 0 or position_decay < 0:
            raise ValueError(f"lead_bias and position_decay must be >= 0; got {lead_bias} and {position_decay}.")
        self.max_sentences = max_sentences
        self.diversity = diversity
        self.encoder = encoder
        self.lead_bias = lead_bias
        self.position_decay = position_decay
        self.name = name or self.name

    def summarise(self, article: Article | str) -> Summary:
        """Summarise with central, mutually different sentences."""
        started = time.perf_counter()
        doc = SourceDocument.from_article(article)
        return extractive_summary(doc, self.select(doc), self.name, started)

    def select(self, doc: SourceDocument, k: int | None = None, selected: Sequence[int] = ()) -> list[int]:
        """Indices of up to ``k`` (default ``max_sentences``) more sentences, after those in ``selected``."""
        if not doc.sentences:
            return []
        vectors = sentence_vectors(doc.sentences, self.encoder)
        relevance = centrality(vectors)
        if self.lead_bias:
            relevance = relevance + self.lead_bias * position_prior(len(doc.sentences), self.position_decay)
        return mmr_select(
            vectors,
            relevance,
            self.max_sentences if k is None else k,
            diversity=self.diversity,
            candidates=candidate_indices(doc),
            selected=selected,
        )


@register_summarizer("extractive.lead.v1", "lead")
def _lead(options: SummarizerOptions) -> LeadSummarizer:
    return LeadSummarizer(max_sentences=options.max_sentences)


@register_summarizer("extractive.textrank.v1", "textrank")
def _textrank(options: SummarizerOptions) -> TextRankSummarizer:
    return TextRankSummarizer(max_sentences=options.max_sentences)


@register_summarizer("extractive.textrank-minilm.v1", "textrank-minilm")
def _textrank_minilm(options: SummarizerOptions) -> TextRankSummarizer:
    return TextRankSummarizer(
        max_sentences=options.max_sentences, encoder="minilm", name="extractive.textrank-minilm.v1"
    )


@register_summarizer("extractive.mmr.v1", "mmr")
def _mmr(options: SummarizerOptions) -> MMRSummarizer:
    return MMRSummarizer(max_sentences=options.max_sentences)


@register_summarizer("extractive.lead-mmr.v1", "lead-mmr")
def _lead_mmr(options: SummarizerOptions) -> MMRSummarizer:
    return lead_mmr(options.max_sentences)


def lead_mmr(max_sentences: int = 3, encoder: str = TFIDF) -> MMRSummarizer:
    """MMR with the lead prior (``extractive.lead-mmr.v1``); what label-aware extraction does without a labeller.

    Example:
        >>> lead_mmr(1).summarise("Rebels took Goma on Monday. Goma is a city. Aid ran out in Goma.").sentences
        ['Rebels took Goma on Monday.']
    """
    return MMRSummarizer(
        max_sentences=max_sentences, encoder=encoder, lead_bias=LEAD_BIAS, name="extractive.lead-mmr.v1"
    )
