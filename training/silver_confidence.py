"""A confidence per label for silver answers: from token log-probabilities, or from agreement across samples.

Two strategies, registered under versioned names:

* ``"logprobs.v1"`` (alias ``"logprobs"``): one greedy answer with token log-probabilities. A chosen type
  label's confidence is the probability of its tokens; every label left out gets the probability of the
  ``]`` that closed the list (the model's belief that nothing else applies); a stance's confidence is the
  probability of its value's tokens.
* ``"agreement.v1"`` (alias ``"agreement"``): ``k`` sampled answers (temperature > 0, seeds ``seed..seed+k-1``);
  each decision is the majority of the valid answers and its confidence the share of all ``k`` samples that
  agree with it (a failed sample agrees with nothing).

``"auto"`` takes log-probabilities when the backend gives them. The chat protocol has no log-probabilities,
so they come from an optional ``chat_logprobs`` method on the backend object or from an adapter registered
here for its backend (llama.cpp, OpenAI-compatible servers); see :func:`logprob_chat`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stancewire.models.llm.base import LLMConnectionError, LLMError, check_generation, check_messages
from stancewire.models.taxonomy import Taxonomy
from stancewire.training.silver_answer import Answer, answer_spans

LOGPROB_MAX_CONTEXT = 4096  # llama.cpp keeps n_ctx x vocabulary floats when every position's logits are kept


@dataclass
class TokenAnswer:
    """An answer's text and, when the backend gave them, its tokens with the log-probability of each.

    Example:
        >>> TokenAnswer('{"a"}', ["{", '"a"', "}"], [0.0, -0.1, 0.0]).text
        '{"a"}'
    """

    content: str
    tokens: list[str] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The tokens joined (the text the spans refer to), else the content."""
        return "".join(self.tokens) if self.tokens else self.content

    def probability(self, start: int, end: int) -> float:
        """Probability of the tokens overlapping the characters ``[start, end)`` (of the one at ``start`` if empty)."""
        total, position = 0.0, 0
        end = max(end, start + 1)
        for token, logprob in zip(self.tokens, self.logprobs):
            token_end = position + len(token)
            if token_end > start and position < end:
                total += logprob
            position = token_end
        return math.exp(total)


@dataclass
class Attempt:
    """One question put to the model (with its retry, if it needed one).

    Example:
        >>> from stancewire.training.silver_answer import failed_answer
        >>> Attempt(failed_answer(["UN"], "timed out"), calls=2).answer.valid
        False
    """

    answer: Answer
    tokens: TokenAnswer | None = None
    calls: int = 1


Ask = Callable[[int, float, bool], Attempt]
"""``ask(seed, temperature, with_logprobs)``: put the paragraph's question to the model once (retrying once)."""


@dataclass
class Decision:
    """The labels chosen for a paragraph and the confidence of each.

    Attributes:
        label_confidence: ``{"types": {label: p for every type}, "stance": {target: p}}``; empty on failure.

    Example:
        >>> Decision(["diplomacy"], {"UN": "favor"}, True, "agreement.v1", {"types": {"diplomacy": 0.6},
        ...          "stance": {"UN": 0.8}}).confidence
        0.6
    """

    types: list[str]
    stance: dict[str, str]
    valid: bool
    method: str
    label_confidence: dict[str, dict[str, float]] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    calls: int = 0

    @property
    def confidence(self) -> float | None:
        """The lowest confidence over every decision (``None`` when there is none)."""
        values = [v for group in self.label_confidence.values() for v in group.values()]
        return round(min(values), 4) if values else None


Strategy = Callable[[Ask, Taxonomy, Sequence[str], int, float, int], Decision]
CONFIDENCE_METHODS: dict[str, Strategy] = {}
METHOD_ALIASES: dict[str, str] = {}


def register_confidence(name: str, *aliases: str) -> Callable[[Strategy], Strategy]:
    """Decorator: ``@register_confidence("agreement.v1", "agreement")`` on ``(ask, taxonomy, targets, k, t, seed)``."""

    def decorate(strategy: Strategy) -> Strategy:
        CONFIDENCE_METHODS[name] = strategy
        METHOD_ALIASES.update(dict.fromkeys(aliases, name))
        return strategy

    return decorate


def resolve_method(name: str, has_logprobs: bool) -> str:
    """The versioned strategy for a name, alias or ``"auto"``; errors list what is known."""
    if name == "auto":
        return "logprobs.v1" if has_logprobs else "agreement.v1"
    key = METHOD_ALIASES.get(name, name)
    if key not in CONFIDENCE_METHODS:
        known = sorted(["auto", *CONFIDENCE_METHODS, *METHOD_ALIASES])
        raise ValueError(f"Unknown confidence method {name!r}; expected one of {known}.")
    if key == "logprobs.v1" and not has_logprobs:
        raise ValueError(
            "Confidence method 'logprobs' needs a backend that returns token log-probabilities (llama-cpp, or an "
            "OpenAI-compatible server); this one does not. Use --confidence agreement (k samples) instead."
        )
    return key


@register_confidence("logprobs.v1", "logprobs")
def by_logprobs(ask: Ask, taxonomy: Taxonomy, targets: Sequence[str], k: int, temperature: float, seed: int):
    """One greedy answer; confidences from its token log-probabilities (agreement if none came back)."""
    attempt = ask(seed, 0.0, True)
    answer = attempt.answer
    if not answer.valid:
        return Decision(answer.types, answer.stance, False, "logprobs.v1", {}, [answer], attempt.calls)
    tokens = attempt.tokens
    confidence = logprob_confidence(tokens, taxonomy, targets) if tokens is not None and tokens.tokens else None
    if confidence is None:  # the server ignored the request for log-probabilities, or the answer is oddly shaped
        fallback = by_agreement(ask, taxonomy, targets, max(k, 2), temperature, seed)
        fallback.calls += attempt.calls
        return fallback
    return Decision(answer.types, answer.stance, True, "logprobs.v1", confidence, [answer], attempt.calls)


@register_confidence("agreement.v1", "agreement")
def by_agreement(ask: Ask, taxonomy: Taxonomy, targets: Sequence[str], k: int, temperature: float, seed: int):
    """``k`` sampled answers; majority labels, confidence = share of samples agreeing."""
    attempts = [ask(seed + i, temperature if k > 1 else 0.0, False) for i in range(k)]
    answers = [a.answer for a in attempts]
    calls = sum(a.calls for a in attempts)
    valid = [a for a in answers if a.valid]
    if not valid:
        return Decision([], {t: "none" for t in targets}, False, "agreement.v1", {}, answers, calls)
    types, type_confidence = [], {}
    for label in taxonomy.type_names:
        votes = sum(label in a.types for a in valid)
        chosen = 2 * votes > len(valid)
        types += [label] if chosen else []
        type_confidence[label] = round((votes if chosen else len(valid) - votes) / k, 4)
    stance, stance_confidence = {}, {}
    for target in targets:
        value, count = Counter(a.stance.get(target, "none") for a in valid).most_common(1)[0]
        stance[target], stance_confidence[target] = value, round(count / k, 4)
    confidence = {"types": type_confidence, "stance": stance_confidence}
    return Decision(types, stance, True, "agreement.v1", confidence, answers, calls)


def logprob_confidence(
    tokens: TokenAnswer, taxonomy: Taxonomy, targets: Sequence[str]
) -> dict[str, dict[str, float]] | None:
    """Per-label confidence from an answer's token log-probabilities; ``None`` if the labels cannot be located."""
    spans = answer_spans(tokens.text)
    if spans is None or any(t not in spans.stance for t in targets):
        return None
    types: dict[str, float] = {}
    for value, start, end in spans.types:
        label = taxonomy.canonical(value)
        if label is not None:
            types[label] = max(types.get(label, 0.0), tokens.probability(start, end))
    complete = tokens.probability(spans.types_close, spans.types_close + 1)
    type_confidence = {n: round(types.get(n, complete), 4) for n in taxonomy.type_names}
    stance_confidence = {t: round(tokens.probability(*spans.stance[t][1:]), 4) for t in targets}
    return {"types": type_confidence, "stance": stance_confidence}


LogprobChat = Callable[..., TokenAnswer]
LOGPROB_ADAPTERS: dict[str, Callable[[Any], LogprobChat]] = {}


def register_logprobs(backend: str) -> Callable[[Callable[[Any], LogprobChat]], Callable[[Any], LogprobChat]]:
    """Decorator for a factory ``llm -> chat_logprobs`` serving a backend (by its versioned name)."""

    def decorate(factory: Callable[[Any], LogprobChat]) -> Callable[[Any], LogprobChat]:
        LOGPROB_ADAPTERS[backend] = factory
        return factory

    return decorate


def logprob_chat(llm: Any) -> LogprobChat | None:
    """``chat_logprobs(messages, *, max_tokens, temperature, seed, json_schema) -> TokenAnswer`` for ``llm``.

    The backend's own ``chat_logprobs`` method wins; else a registered adapter for its backend; else ``None``.
    """
    own = getattr(llm, "chat_logprobs", None)
    if callable(own):
        return own
    factory = LOGPROB_ADAPTERS.get(getattr(type(llm), "backend", ""))
    return factory(llm) if factory is not None else None


def idle_cores() -> int:
    """CPU cores not already busy (by the 1-minute load average), at least 1.

    llama.cpp's worker threads wait for each other at every step, so on cores shared with other work more
    threads are slower, not faster (measured here: 2 threads on 2 busy cores took 20x longer than 1).
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        busy = 0.0
    return max(1, min(cores, round(cores - busy)))


class _LlamaCppLogprobs:
    """Greedy or sampled chat through llama.cpp with per-token log-probabilities.

    llama.cpp keeps every position's logits only for a model created with ``logits_all=True``, so this keeps
    its own ``Llama`` instance of the backend's GGUF file (context capped at :data:`LOGPROB_MAX_CONTEXT`). The
    answer's token log-probabilities are read from those logits after the call (llama-cpp-python's own
    ``logprobs`` option sorts the whole vocabulary in Python for every token, which costs seconds per answer).
    They are the model's own probabilities, before the JSON grammar masks tokens.
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self._llama: Any = None

    @property
    def model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            from stancewire.models.llm.llama_cpp_backend import gguf_context_length

            trained = gguf_context_length(self.llm.model_path) or self.llm.max_context
            self._llama = Llama(
                model_path=str(self.llm.model_path),
                n_ctx=min(trained, self.llm.max_context, LOGPROB_MAX_CONTEXT),
                n_threads=self.llm.n_threads or idle_cores(),
                logits_all=True,
                seed=0,
                verbose=False,
            )
        return self._llama

    def __call__(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None) -> TokenAnswer:
        import json

        from llama_cpp import LlamaGrammar

        check_messages(messages)
        check_generation(max_tokens, temperature)
        grammar = LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False) if json_schema else None
        self.model.set_seed(seed)
        try:
            result = self.model.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed, grammar=grammar
            )
        except ValueError as exc:
            hint = "shorten the prompt (fewer --shots) or use a model with a longer context"
            raise LLMError(f"{self.llm.name}: {exc}; {hint}.") from None
        usage = result.get("usage") or {}
        tokens, logprobs = self._answer_logprobs(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
        return TokenAnswer(result["choices"][0]["message"].get("content") or "", tokens, logprobs)

    def _answer_logprobs(self, n_prompt: int, n_answer: int) -> tuple[list[str], list[float]]:
        """The answer's tokens and their log-probabilities, from the logits llama.cpp kept for each position.

        Row ``i`` of ``scores`` is the distribution of token ``i + 1``. Every answer token is in ``input_ids``
        when the answer ended normally (the end-of-text token that follows is not part of it).
        """
        from llama_cpp import Llama

        model = self.model
        end = min(n_prompt + n_answer, model.n_tokens)
        if n_prompt < 1 or end <= n_prompt:
            return [], []
        ids = [int(t) for t in model.input_ids[n_prompt:end]]
        logprobs = Llama.logits_to_logprobs(model.scores[n_prompt - 1 : end - 1])
        context = [int(t) for t in model.input_ids[:n_prompt]]
        texts = [
            model.detokenize([t], prev_tokens=context + ids[:i]).decode("utf-8", errors="ignore")
            for i, t in enumerate(ids)
        ]
        return texts, [float(logprobs[i, t]) for i, t in enumerate(ids)]


@register_logprobs("llm.llama-cpp.v1")
def _llama_cpp_adapter(llm: Any) -> LogprobChat:
    return _LlamaCppLogprobs(llm)


@register_logprobs("llm.openai.v1")
def _openai_adapter(llm: Any) -> LogprobChat:
    return _OpenAILogprobs(llm)


class _OpenAILogprobs:
    """Chat through an OpenAI-compatible server asking for ``logprobs`` (vLLM and the llama.cpp server give them).

    The request is the backend's (same URL, model, API-key variable, timeout) plus ``"logprobs": true``. A
    server that ignores the field answers without tokens; one that rejects the request (HTTP 400/422) is asked
    again through the backend's own ``chat``. Either way the confidence then falls back to agreement.
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self._client: Any = None

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            key = os.environ.get(self.llm.api_key_env, "") if self.llm.api_key_env else ""
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            transport = getattr(self.llm, "_transport", None)  # tests give the backend a mock transport
            self._client = httpx.Client(timeout=self.llm.timeout, headers=headers, transport=transport)
        return self._client

    def __call__(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None) -> TokenAnswer:
        import httpx

        check_messages(messages)
        check_generation(max_tokens, temperature)
        settings = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}
        payload: dict[str, Any] = {"model": self.llm.model_name, "messages": messages, **settings, "logprobs": True}
        if json_schema is not None:
            schema = {"name": "answer", "schema": json_schema, "strict": True}
            payload["response_format"] = {"type": "json_schema", "json_schema": schema}
        try:
            response = self._http().post(self.llm.url, json=payload)
        except httpx.TransportError as exc:
            raise LLMConnectionError(f"Could not reach {self.llm.url} ({type(exc).__name__}: {exc}).") from None
        if response.status_code in (400, 422):
            return TokenAnswer(self.llm.chat(messages, **settings, json_schema=json_schema))
        if response.status_code >= 400:
            raise LLMError(
                f"The server at {self.llm.url} answered HTTP {response.status_code}: {response.text[:300]}."
            )
        try:
            choice = response.json()["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError, ValueError):
            raise LLMError(f"The server at {self.llm.url} sent no choices[0].message.content.") from None
        content = (choice.get("logprobs") or {}).get("content") or []
        try:
            return TokenAnswer(text, [c["token"] for c in content], [float(c["logprob"]) for c in content])
        except (KeyError, TypeError, ValueError):
            return TokenAnswer(text)
