"""Source documents for the summarisers: paragraphs, sentences (pysbd) and provenance alignment."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from stancewire.models.schema import Article, Paragraph

WORD_RE = re.compile(r"[^\W_][\w'’-]*")
STOPWORDS: frozenset[str] = frozenset(
    """a about after again against all also an and any are as at be because been before being between both but by
    can could did do does during each for from further had has have having he her here hers him his how i if in into
    is it its itself just more most no nor not of off on once only or other our out over own same she should so some
    such than that the their them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your said says say told according""".split()
)


_THREAD_STATE = threading.local()


def _segmenter() -> Any:
    """One pysbd segmenter per thread: pysbd keeps state while it splits, so sharing one across summary
    workers made it return wrong sentences."""
    segmenter = getattr(_THREAD_STATE, "segmenter", None)
    if segmenter is None:
        import pysbd

        segmenter = _THREAD_STATE.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, with pysbd's rules for abbreviations, quotes and numbers.

    Example:
        >>> split_sentences("The U.S. sent 1.5 million doses. No. 10 agreed.")
        ['The U.S. sent 1.5 million doses.', 'No. 10 agreed.']
    """
    text = " ".join(text.split())
    if not text:
        return []
    return [sentence.strip() for sentence in _segmenter().segment(text) if sentence.strip()]


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain text: split on blank lines, or on single newlines when there is no blank line.

    Example:
        >>> split_paragraphs("One.\\nStill one.\\n\\nTwo.")
        ['One. Still one.', 'Two.']
    """
    blocks = re.split(r"\n\s*\n", text.strip())
    if len(blocks) == 1:
        blocks = text.strip().splitlines()
    return [" ".join(block.split()) for block in blocks if block.strip()]


def as_article(article: Article | str) -> Article:
    """An :class:`Article` as is, or a plain text turned into one (paragraphs from :func:`split_paragraphs`)."""
    if isinstance(article, Article):
        return article
    if not isinstance(article, str):
        raise TypeError(f"Expected an Article or a str to summarise; got {type(article).__name__}.")
    return Article(id="text", paragraphs=[Paragraph(text) for text in split_paragraphs(article)])


@dataclass
class SourceDocument:
    """An article cut into paragraphs and sentences, with each sentence's paragraph index.

    Example:
        >>> doc = SourceDocument.from_article("Shelling resumed. Two died.\\n\\nTalks stalled.")
        >>> doc.sentences, doc.sentence_paragraphs
        (['Shelling resumed.', 'Two died.', 'Talks stalled.'], [0, 0, 1])
    """

    article: Article
    paragraphs: list[str]
    sentences: list[str]
    sentence_paragraphs: list[int]

    @classmethod
    def from_article(cls, article: Article | str) -> SourceDocument:
        """Split an article (or plain text) into sentences with pysbd."""
        article = as_article(article)
        paragraphs = [" ".join(p.text.split()) for p in article.paragraphs]
        sentences, owners = [], []
        for index, paragraph in enumerate(paragraphs):
            for sentence in split_sentences(paragraph):
                sentences.append(sentence)
                owners.append(index)
        return cls(article=article, paragraphs=paragraphs, sentences=sentences, sentence_paragraphs=owners)

    @property
    def text(self) -> str:
        """The paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs)

    def provenance(self, sentences: list[str]) -> list[list[int]]:
        """Source paragraph indices for each summary sentence (see :func:`align_provenance`)."""
        return align_provenance(sentences, self.paragraphs)


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` without stopwords (numbers kept, trailing possessives dropped)."""
    words = (w.lower().removesuffix("'s").removesuffix("’s") for w in WORD_RE.findall(text))
    return [w for w in words if w not in STOPWORDS]


def align_provenance(sentences: list[str], paragraphs: list[str], max_sources: int = 2) -> list[list[int]]:
    """For each sentence, the paragraphs that share most of its content words.

    A sentence copied from the source maps to its own paragraph; a rewritten one to the (at most
    ``max_sources``) paragraphs covering at least half as many of its words as the best one. A sentence
    sharing no content word with the source gets an empty list.

    Example:
        >>> align_provenance(["Goma fell to M23 rebels."], ["Rain fell.", "M23 rebels advanced.", "Goma fell."])
        [[1, 2]]
    """
    paragraph_words = [set(content_words(p)) for p in paragraphs]
    result = []
    for sentence in sentences:
        words = set(content_words(sentence))
        scores = [len(words & p) / (len(words) or 1) for p in paragraph_words]
        best = max(scores, default=0.0)
        if best == 0:
            result.append([])
            continue
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        result.append([i for i in ranked[:max_sources] if scores[i] >= best / 2])
    return result
