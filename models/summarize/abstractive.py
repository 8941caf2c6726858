"""The abstractive LLM summariser (``llm``) behind the faithfulness guard.

Draft with the LLM, check the draft against the source, on failure retry once with a stricter prompt
naming the offending spans, and if that fails too return an extractive summary. Articles longer than the
model's context are summarised map-reduce style. (``hybrid``, extract then rewrite, is in
:mod:`stancewire.models.summarize.hybrid`.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from stancewire.models.llm.base import ChatLLM, is_chat_llm, load_llm
from stancewire.models.schema import Article
from stancewire.models.summarize.base import Summarizer, SummarizerOptions, Summary, register_summarizer
from stancewire.models.summarize.guard import GuardReport, SourceFacts, check_faithfulness
from stancewire.models.summarize.label_aware import LabelAwareSummarizer
from stancewire.models.summarize.prompts import clean_output, correction_messages, summary_messages
from stancewire.models.summarize.text import SourceDocument, as_article, split_sentences

DEFAULT_MAX_NEW_TOKENS = 120
PROMPT_MARGIN = 64  # tokens for the chat template's role markers, which count_tokens does not see
MAX_REDUCE_ROUNDS = 4


class LLMHolder:
    """Holds a ChatLLM, or the spec to load one the first time it is needed."""

    def __init__(self, llm: ChatLLM | str | None) -> None:
        if llm is not None and not isinstance(llm, str) and not is_chat_llm(llm):
            raise TypeError(
                f"llm must be a ChatLLM (chat, count_tokens, context_length, name) or a spec string such as "
                f"'llama-cpp'; got {type(llm).__name__}."
            )
        self._llm = None if llm is None or isinstance(llm, str) else llm
        self._spec = llm if isinstance(llm, str) else None

    @property
    def llm(self) -> ChatLLM:
        """The chat model, loaded on first access (``None`` spec: the bundled SmolLM2)."""
        if self._llm is None:
            self._llm = load_llm(self._spec)
        return self._llm


def guarded_summary(
    llm: ChatLLM,
    doc: SourceDocument,
    messages: list[dict[str, str]],
    *,
    method: str,
    max_sentences: int,
    max_new_tokens: int,
    fallback: Callable[[], Summary],
    started: float,
) -> Summary:
    """Draft, guard, retry once with the offending spans named, else fall back to ``fallback()``.

    Returns a :class:`Summary` whose ``guard_before`` is the first draft's report; ``method`` is the
    LLM method's name unless the extractive fallback was used (then ``fallback`` is true).
    """
    facts = SourceFacts(doc.text)
    draft = _generate(llm, messages, max_sentences, max_new_tokens)
    first = check_faithfulness(" ".join(draft), facts)
    if draft and first.passed:
        return _llm_summary(doc, draft, method, first, first, started)
    retry = correction_messages(messages, first, facts)
    retry_tokens = sum(llm.count_tokens(m["content"]) for m in retry) + PROMPT_MARGIN + max_new_tokens
    if retry_tokens > llm.context_length:  # the list of errors pushed the prompt out of the window
        return replace(fallback(), guard_before=first, fallback=True, seconds=time.perf_counter() - started)
    second_draft = _generate(llm, retry, max_sentences, max_new_tokens)
    second = check_faithfulness(" ".join(second_draft), facts)
    if second_draft and second.passed:
        return _llm_summary(doc, second_draft, method, second, first, started)
    extract = fallback()
    return replace(extract, guard_before=first, fallback=True, seconds=time.perf_counter() - started)


def _generate(llm: ChatLLM, messages: list[dict[str, str]], max_sentences: int, max_new_tokens: int) -> list[str]:
    answer = llm.chat(messages, max_tokens=max_new_tokens, temperature=0.0, seed=0)
    return clean_output(answer, max_sentences)


def _llm_summary(
    doc: SourceDocument, sentences: list[str], method: str, guard: GuardReport, before: GuardReport, started: float
) -> Summary:
    return Summary(
        text=" ".join(sentences),
        sentences=sentences,
        provenance=doc.provenance(sentences),
        method=method,
        guard=guard,
        guard_before=before,
        fallback=False,
        seconds=time.perf_counter() - started,
    )


class LLMSummarizer(LLMHolder):
    """Abstractive summaries from a chat LLM, guarded; map-reduce over chunks for long articles.

    Args:
        llm: A :class:`~stancewire.models.llm.ChatLLM` or a spec string; ``None`` is the bundled SmolLM2
            (loaded when first needed).
        max_sentences: Sentences in the summary.
        max_new_tokens: Answer length limit per LLM call.
        fallback: The extractive summariser used when both drafts fail the guard.

    Example:
        >>> summarizer = LLMSummarizer(llm="llama-cpp", max_sentences=2)  # loads nothing yet
        >>> summarizer.summarise("The ministry said 12 people died in Goma.").method  # doctest: +SKIP
        'abstractive.llm.v1'
    """

    name = "abstractive.llm.v1"

    def __init__(
        self,
        *,
        llm: ChatLLM | str | None = None,
        max_sentences: int = 3,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        fallback: Summarizer | None = None,
    ) -> None:
        super().__init__(llm)
        self.max_sentences = max_sentences
        self.max_new_tokens = max_new_tokens
        self.fallback = fallback or LabelAwareSummarizer(max_sentences=max_sentences)

    def summarise(self, article: Article | str) -> Summary:
        """Summarise with the LLM; see :func:`guarded_summary` for the guard, retry and fallback."""
        started = time.perf_counter()
        article = as_article(article)
        doc = SourceDocument.from_article(article)
        material, kind = self.condense(doc)
        return guarded_summary(
            self.llm,
            doc,
            summary_messages(material, self.max_sentences, kind),
            method=self.name,
            max_sentences=self.max_sentences,
            max_new_tokens=self.max_new_tokens,
            fallback=lambda: self.fallback.summarise(article),
            started=started,
        )

    def condense(self, doc: SourceDocument) -> tuple[str, str]:
        """The text to summarise in the final call and what it is (``"article"``, or ``"parts"`` after map steps).

        When the article does not fit the context window (minus the prompt and the answer), each chunk
        of paragraphs is summarised, and the joined chunk summaries are summarised again if still too long.
        """
        budget = self._text_budget()
        text, kind = doc.text, "article"
        for _ in range(MAX_REDUCE_ROUNDS):
            if self.llm.count_tokens(text) <= budget:
                return text, kind
            chunks = pack_chunks(_units(text), budget, self.llm.count_tokens)
            partials = [
                _generate(
                    self.llm,
                    summary_messages(chunk, self.max_sentences, "part"),
                    self.max_sentences,
                    self.max_new_tokens,
                )
                for chunk in chunks
            ]
            text, kind = "\n\n".join(" ".join(p) for p in partials if p), "parts"
        return pack_chunks(_units(text), budget, self.llm.count_tokens)[0], kind

    def _text_budget(self) -> int:
        prompt = summary_messages("", self.max_sentences, "parts")
        overhead = sum(self.llm.count_tokens(message["content"]) for message in prompt)
        budget = self.llm.context_length - self.max_new_tokens - overhead - PROMPT_MARGIN
        if budget < 32:
            raise ValueError(
                f"{self.llm.name}: a context of {self.llm.context_length} tokens leaves no room for the article "
                f"after the prompt and max_new_tokens={self.max_new_tokens}; lower max_new_tokens or use a longer-"
                "context model."
            )
        return budget


def _units(text: str) -> list[str]:
    """Paragraphs of ``text``."""
    return [p for p in text.split("\n\n") if p.strip()]


def pack_chunks(units: list[str], budget: int, count: Callable[[str], int]) -> list[str]:
    """Group consecutive units into chunks of at most ``budget`` tokens; a too-long unit is split by sentences,
    a too-long sentence by words.

    Example:
        >>> pack_chunks(["a b c", "d e", "f g h i"], 5, lambda t: len(t.split()))
        ['a b c\\n\\nd e', 'f g h i']
    """
    pieces: list[str] = []
    for unit in units:
        if count(unit) <= budget:
            pieces.append(unit)
            continue
        for sentence in split_sentences(unit):
            words = sentence.split()
            while words:
                size = len(words)
                while size > 1 and count(" ".join(words[:size])) > budget:
                    size = max(1, size * 3 // 4)
                pieces.append(" ".join(words[:size]))
                words = words[size:]
    chunks: list[str] = []
    for piece in pieces:
        if chunks and count(chunks[-1] + "\n\n" + piece) <= budget:
            chunks[-1] += "\n\n" + piece
        else:
            chunks.append(piece)
    return chunks


@register_summarizer("abstractive.llm.v1", "llm")
def _llm(options: SummarizerOptions) -> LLMSummarizer:
    fallback = LabelAwareSummarizer(labeler=options.labeler, max_sentences=options.max_sentences)
    return LLMSummarizer(llm=options.llm, max_sentences=options.max_sentences, fallback=fallback)
