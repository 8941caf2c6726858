"""Label-aware extraction: cover the article's key content types, as tagged by the paragraph classifier."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from stancewire.models.schema import Article
from stancewire.models.summarize.base import SummarizerOptions, Summary, register_summarizer
from stancewire.models.summarize.extractive import (
    candidate_indices,
    centrality,
    extractive_summary,
    lead_mmr,
    mmr_select,
)
from stancewire.models.summarize.numbers import find_numbers
from stancewire.models.summarize.text import SourceDocument, as_article
from stancewire.models.summarize.vectors import TFIDF, sentence_vectors

KEY_TYPES: tuple[str, ...] = ("call_for_ceasefire", "casualty_report", "accusation", "denial", "humanitarian")
FIGURE_BONUS = 0.2  # a casualty paragraph's sentence that gives the figure beats one that only describes it


class LabelAwareSummarizer:
    """Pick sentences so the summary covers the key paragraph types present in the article.

    The lead sentence comes first (news puts the core there); then, in priority order of ``key_types``,
    one sentence for each type the lead does not already cover, taken from paragraphs the labeller tags
    with that type (the most central, least redundant one; for casualty reports, one with a figure if it
    can). Slots left over are filled by MMR. Without a labeller it is ``lead-mmr``, and says so in ``method``.

    Args:
        labeler: Anything with ``.predict(paragraphs, targets=None) -> list[ParagraphPrediction]``.
        max_sentences: Sentences in the summary.
        key_types: Type labels to cover, most important first.
        include_lead: Start from the first sentence.
        encoder: Sentence vectors for relevance and redundancy (``"tfidf"`` or ``"minilm"``).

    Example:
        >>> class Fake:
        ...     def predict(self, paragraphs, targets=None):
        ...         from stancewire.models.predictions import ParagraphPrediction
        ...         return [ParagraphPrediction(p, ["denial"] if "denied" in p else [], {}) for p in paragraphs]
        >>> text = "Goma fell to the rebels on Monday.\\n\\nIt rained all day long.\\n\\nRwanda denied any role in it."
        >>> LabelAwareSummarizer(labeler=Fake(), max_sentences=2).summarise(text).sentences
        ['Goma fell to the rebels on Monday.', 'Rwanda denied any role in it.']
    """

    name = "extractive.label-aware.v1"

    def __init__(
        self,
        *,
        labeler: Any = None,
        max_sentences: int = 3,
        key_types: Sequence[str] = KEY_TYPES,
        include_lead: bool = True,
        encoder: str = TFIDF,
    ) -> None:
        self.labeler = labeler
        self.max_sentences = max_sentences
        self.key_types = tuple(key_types)
        self.include_lead = include_lead
        self.encoder = encoder
        self.fallback = lead_mmr(max_sentences, encoder)

    def summarise(self, article: Article | str) -> Summary:
        """Summarise by type coverage (by ``lead-mmr`` when there is no labeller)."""
        if self.labeler is None:
            return self.fallback.summarise(article)
        started = time.perf_counter()
        article = as_article(article)
        doc = SourceDocument.from_article(article)
        types = self._paragraph_types(doc, article.targets)
        return extractive_summary(doc, self.select(doc, types), self.name, started)

    def select(self, doc: SourceDocument, types: list[dict[str, float]]) -> list[int]:
        """Sentence indices covering the key types; ``types[p]`` maps paragraph ``p``'s labels to scores."""
        if not doc.sentences:
            return []
        vectors = sentence_vectors(doc.sentences, self.encoder)
        relevance = centrality(vectors)
        candidates = candidate_indices(doc)
        chosen = candidates[:1] if self.include_lead else []
        covered = {label for i in chosen for label in types[doc.sentence_paragraphs[i]]}
        for label in self.key_types:
            if len(chosen) >= self.max_sentences:
                break
            pool = [i for i in candidates if label in types[doc.sentence_paragraphs[i]] and i not in chosen]
            if label in covered or not pool:
                continue
            weighted = self._label_relevance(doc, relevance, types, label)
            picked = mmr_select(vectors, weighted, 1, candidates=pool, selected=chosen)
            chosen += picked
            covered |= {name for i in picked for name in types[doc.sentence_paragraphs[i]]}
        remaining = self.max_sentences - len(chosen)
        return chosen + mmr_select(vectors, relevance, remaining, candidates=candidates, selected=chosen)

    def _paragraph_types(self, doc: SourceDocument, targets: list[str]) -> list[dict[str, float]]:
        """Predicted labels per paragraph, with their probabilities (1.0 when the labeller gives none)."""
        predictions = self.labeler.predict(list(doc.paragraphs), targets=list(targets) or None)
        if len(predictions) != len(doc.paragraphs):
            raise ValueError(
                f"The labeller returned {len(predictions)} predictions for {len(doc.paragraphs)} paragraphs; "
                "expected one ParagraphPrediction per paragraph."
            )
        return [{label: float(p.type_scores.get(label, 1.0)) for label in p.types} for p in predictions]

    def _label_relevance(
        self, doc: SourceDocument, relevance: np.ndarray, types: list[dict[str, float]], label: str
    ) -> np.ndarray:
        """Centrality times the paragraph's probability of ``label`` (plus a bonus for casualty figures)."""
        weighted = np.array(relevance, dtype=float)
        for i, sentence in enumerate(doc.sentences):
            weighted[i] *= types[doc.sentence_paragraphs[i]].get(label, 0.0)
            if label == "casualty_report" and any(n.figure for n in find_numbers(sentence)):
                weighted[i] += FIGURE_BONUS
        return weighted


@register_summarizer("extractive.label-aware.v1", "label-aware")
def _label_aware(options: SummarizerOptions) -> LabelAwareSummarizer:
    return LabelAwareSummarizer(labeler=options.labeler, max_sentences=options.max_sentences)
