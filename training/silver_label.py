"""Label one paragraph with an LLM: prompt, constrained answer, strict validation, one retry, confidence, cache.

:class:`SilverLabeler` never raises for a bad answer: an answer that fails validation is retried once with
a note of what was wrong, a model error (timeout, server error) is retried once as it was, and what is
still invalid becomes a ``"failed"`` :class:`SilverLabel`. Only when the model errors on many paragraphs in
a row (a server that is down or timing out) does it stop, since every further paragraph would fail the
same way; a rerun then resumes from the cache. Such failures are not cached; invalid answers are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from stancewire.models.llm.base import LLMConnectionError, LLMError, load_llm
from stancewire.training.silver_answer import Answer, failed_answer, validate_answer
from stancewire.training.silver_cache import SilverCache, cache_key
from stancewire.training.silver_confidence import CONFIDENCE_METHODS, Attempt, Decision, logprob_chat, resolve_method
from stancewire.training.silver_prompt import PROMPT_VERSION, SilverPrompt

RAW_CHARS = 600  # raw answers kept per sample in the cache and the failure log
UNREACHABLE = "model unreachable"  # problem prefix of transient failures (not cached, retried on the next run)
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (LLMConnectionError, TimeoutError, ConnectionError)


@dataclass
class SilverLabel:
    """The silver labels of one paragraph and how they were obtained.

    Attributes:
        types: Type labels (taxonomy order). stance: Stance per target.
        status: ``"ok"`` or ``"failed"`` (no valid answer after the retry).
        confidence: The lowest per-label confidence (``None`` when failed).
        label_confidence: ``{"types": {label: p}, "stance": {target: p}}``.
        method: The confidence strategy (``"logprobs.v1"``, ``"agreement.v1"``).
        model: The LLM's name. prompt: The prompt fingerprint (version + hash).
        k: Samples asked for. calls: LLM calls made (retries included).
        problems: Why answers were invalid. mapped: Near-miss spellings mapped to labels.
        raw: The raw answers (cut to a few hundred characters).
        transient: The failure came from an unreachable model (timeouts, connection errors), so it is not cached.
        from_cache: Served from the cache (not stored).

    Example:
        >>> label = SilverLabel(["diplomacy"], {"UN": "favor"}, "ok", 0.8)
        >>> SilverLabel.from_dict(label.to_dict()) == label
        True
    """

    types: list[str]
    stance: dict[str, str]
    status: str
    confidence: float | None = None
    label_confidence: dict[str, dict[str, float]] = field(default_factory=dict)
    method: str = ""
    model: str = ""
    prompt: str = ""
    k: int = 1
    calls: int = 0
    problems: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)
    raw: list[str] = field(default_factory=list)
    transient: bool = False
    from_cache: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (without ``from_cache``)."""
        data = asdict(self)
        data.pop("from_cache")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], from_cache: bool = False) -> SilverLabel:
        """Inverse of :meth:`to_dict` (fields this version does not know are ignored)."""
        known = {f.name for f in fields(cls)} - {"from_cache"}
        return cls(**{k: v for k, v in data.items() if k in known}, from_cache=from_cache)


class SilverLabeler:
    """Ask an LLM for a paragraph's labels with per-label confidence, through a cache.

    Args:
        llm: A :class:`~stancewire.models.llm.base.ChatLLM` or a spec for ``load_llm`` (``None``: bundled SmolLM2).
        prompt: The prompt builder (taxonomy and worked examples).
        method: ``"auto"``, ``"logprobs"`` or ``"agreement"`` (see :mod:`stancewire.training.silver_confidence`).
        k: Samples for the agreement method.
        temperature: Sampling temperature of the agreement samples.
        max_tokens: Answer budget per call.
        seed: First seed.
        cache: Where answers are kept (``None``: no cache).
        retry_failed: Ask again for paragraphs whose cached answer had failed.
        max_consecutive_errors: Stop after this many paragraphs in a row failed because the model was unreachable.

    Example:
        >>> labeler = SilverLabeler("llama-cpp", SilverPrompt(shots=0))  # doctest: +SKIP
        >>> labeler.label("Both sides agreed a truce.", ["ceasefire"]).stance  # doctest: +SKIP
        {'ceasefire': 'favor'}
    """

    def __init__(
        self,
        llm: Any,
        prompt: SilverPrompt,
        *,
        method: str = "auto",
        k: int = 3,
        temperature: float = 0.7,
        max_tokens: int = 192,
        seed: int = 0,
        cache: SilverCache | None = None,
        retry_failed: bool = False,
        max_consecutive_errors: int = 20,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be >= 1 sample; got {k}.")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0; got {temperature}.")
        self.llm = load_llm(llm) if llm is None or isinstance(llm, str) else llm
        self.prompt = prompt
        self._logprobs = logprob_chat(self.llm)
        self.method = resolve_method(method, has_logprobs=self._logprobs is not None)
        if self.method == "agreement.v1" and k < 2:
            raise ValueError(
                "Confidence by agreement needs k >= 2 samples (one sample always agrees with itself); got k=1. "
                "Use k=3 or more, or a backend with token log-probabilities."
            )
        self.k, self.temperature, self.max_tokens, self.seed = k, temperature, max_tokens, seed
        self.cache = cache if cache is not None else SilverCache(None)
        self.retry_failed = retry_failed
        self.max_consecutive_errors = max_consecutive_errors
        self.calls = 0
        self.cache_hits = 0
        self._errors_in_a_row = 0

    @property
    def settings_key(self) -> str:
        """The confidence settings that change answers (part of the cache key)."""
        if self.method == "logprobs.v1":
            return f"{self.method}/seed{self.seed}/max{self.max_tokens}"
        return f"{self.method}/k{self.k}/t{self.temperature}/seed{self.seed}/max{self.max_tokens}"

    def key(self, text: str, targets: Sequence[str]) -> str:
        """The cache key of a paragraph with its targets."""
        return cache_key(self.llm.name, self.prompt.fingerprint(), self.settings_key, text, targets)

    def label(self, text: str, targets: Sequence[str]) -> SilverLabel:
        """The silver labels of one paragraph (from the cache when it has them)."""
        targets = list(targets)
        key = self.key(text, targets)
        cached = self.cache.get(key)
        if cached is not None and not (self.retry_failed and cached["status"] == "failed"):
            self.cache_hits += 1
            return SilverLabel.from_dict(cached, from_cache=True)
        strategy = CONFIDENCE_METHODS[self.method]
        messages = self.prompt.messages(text, targets)
        ask = self._asker(messages, targets)
        decision = strategy(ask, self.prompt.taxonomy, targets, self.k, self.temperature, self.seed)
        label = self._to_label(decision)
        self._count_errors(label)
        if not label.transient:
            self.cache.put(key, label.to_dict())
        return label

    def _asker(self, messages: list[dict[str, str]], targets: list[str]):
        def ask(seed: int, temperature: float, with_logprobs: bool) -> Attempt:
            return self._ask(messages, targets, seed, temperature, with_logprobs)

        return ask

    def _ask(
        self, messages: list[dict[str, str]], targets: list[str], seed: int, temperature: float, with_logprobs: bool
    ) -> Attempt:
        """One question, retried once: with the problems spelled out after an invalid answer, as is after an error."""
        schema = self.prompt.json_schema(targets)
        conversation, tokens, answer, problems = messages, None, None, []
        for attempt in range(2):
            self.calls += 1
            try:
                settings = {
                    "max_tokens": self.max_tokens,
                    "temperature": temperature,
                    "seed": seed,
                    "json_schema": schema,
                }
                if with_logprobs:
                    tokens = self._logprobs(conversation, **settings)
                    raw = tokens.content
                else:
                    raw = self.llm.chat(conversation, **settings)
                answer, errored = validate_answer(raw, self.prompt.taxonomy, targets), False
            except Exception as exc:  # a model or server failure must not stop the batch
                kind = UNREACHABLE if isinstance(exc, TRANSIENT_ERRORS) else "model error"
                answer = failed_answer(targets, f"{kind}: {type(exc).__name__}: {exc}")
                tokens, errored = None, True
            if answer.valid:
                return Attempt(answer, tokens, attempt + 1)
            problems += answer.problems
            if not errored:
                conversation = messages + self.prompt.correction(answer.raw, answer.problems, targets)
            seed += 1
        answer.problems = [f"{p} (after a retry)" if p in answer.problems else p for p in dict.fromkeys(problems)]
        return Attempt(answer, None, 2)

    def _to_label(self, decision: Decision) -> SilverLabel:
        answers: list[Answer] = decision.answers
        problems = list(dict.fromkeys(p for a in answers for p in a.problems))
        transient = not decision.valid and all(p.startswith(UNREACHABLE) for a in answers for p in a.problems)
        return SilverLabel(
            types=decision.types,
            stance=decision.stance,
            status="ok" if decision.valid else "failed",
            confidence=decision.confidence if decision.valid else None,
            label_confidence=decision.label_confidence,
            method=decision.method,
            model=self.llm.name,
            prompt=self.prompt.fingerprint(),
            k=1 if decision.method == "logprobs.v1" else self.k,
            calls=decision.calls,
            problems=problems,
            mapped={k: v for a in answers for k, v in a.mapped.items()},
            raw=[a.raw[:RAW_CHARS] for a in answers],
            transient=transient,
        )

    def _count_errors(self, label: SilverLabel) -> None:
        self._errors_in_a_row = self._errors_in_a_row + 1 if label.transient else 0
        if self._errors_in_a_row >= self.max_consecutive_errors:
            raise LLMError(
                f"{self.llm.name} was unreachable for {self._errors_in_a_row} paragraphs in a row "
                f"(last: {label.problems[-1] if label.problems else 'unknown'}). Stopping; fix the model or server "
                "and rerun the same command: labelled paragraphs are served from the cache."
            )


__all__ = ["PROMPT_VERSION", "SilverLabel", "SilverLabeler"]
