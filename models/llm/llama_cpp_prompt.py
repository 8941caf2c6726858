"""Deterministic prompt caching and answer scoring on a ``llama_cpp.Llama`` model.

llama.cpp reuses whatever prefix of a new prompt is still in its KV cache. Reusing an arbitrary prefix (what
the previous prompt happened to share) changes the batch shapes, hence the float rounding, and greedy
decoding can then differ from a fresh run on the same messages. :class:`PromptCache` therefore evaluates
every prompt in the same fixed pieces: the system message alone from an empty cache, then pieces of
:data:`PIECE_TOKENS` tokens counted from the end of the system message, then the rest (which llama.cpp
evaluates when it answers). A new prompt reuses the cached pieces it starts with and only those. The same
messages give the same batches in every call and in a fresh process, so answers stay deterministic, while a
long fixed system prompt (the taxonomy of ``zero-shot-llm``) is evaluated once, and a follow-up prompt that
extends an earlier one (the summariser's stricter retry adds a list of errors after the article) reuses the
article's pieces instead of evaluating the article again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

PIECE_TOKENS = 128
"""Prompt tokens after the system message are evaluated (and kept for reuse) in pieces of this many tokens:
large enough to keep batches efficient, small enough that a prompt extending another reuses most of it."""


class PromptCache:
    """Renders chat prompts with the GGUF's own template and manages the KV cache of one ``Llama``.

    Args:
        model: A loaded ``llama_cpp.Llama``.

    Example:
        >>> cache = PromptCache(llama)  # doctest: +SKIP
        >>> cache.prepare(messages)  # the system prompt and whole pieces of the rest are now cached  # doctest: +SKIP
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._formatter: Any = None
        self._ends: list[int] = []  # where the pieces this cache evaluated end
        self._option_ids: dict[str, set[int]] = {}

    @property
    def can_render(self) -> bool:
        """Whether prompts can be rendered here (the model uses the chat template stored in its GGUF)."""
        return self.formatter() is not None

    def formatter(self) -> Any:
        """The Jinja formatter of the GGUF's chat template, built as llama-cpp-python builds it (``None`` if
        the model uses another chat format)."""
        model = self.model
        if model.chat_format != "chat_template.default" or model.chat_handler is not None:
            return None
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos, bos = model.token_eos(), model.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=model.metadata["tokenizer.chat_template"],
                eos_token=model._model.token_get_text(eos) if eos != -1 else "",
                bos_token=model._model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos],
            )
        return self._formatter

    def tokens(self, messages: list[dict[str, str]]) -> list[int]:
        """The prompt tokens of ``messages`` with the generation prompt, as ``create_chat_completion`` builds them."""
        prompt = self.formatter()(messages=messages).prompt
        return self.model.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def prepare(self, messages: list[dict[str, str]], tokens: list[int] | None = None) -> None:
        """Leave in the KV cache the prompt's leading pieces (see :func:`piece_ends`), each evaluated alone,
        reusing the cached pieces the prompt starts with; at least the prompt's last token is left to evaluate.

        When the prompt cannot be rendered here the cache is emptied. ``tokens``: the prompt's tokens from
        :meth:`tokens`, when the caller has them already.
        """
        model = self.model
        if not self.can_render:
            model.reset()
            self._ends = []
            return
        if tokens is None:
            tokens = self.tokens(messages)
        system = self._system_tokens(messages, tokens)
        ends = piece_ends(len(system) if system else 0, len(tokens))
        held, reuse = self._held(tokens), 0
        for end in ends:
            if end in self._ends and end <= held:
                reuse = end
            else:
                break
        if reuse:
            self.truncate(reuse)
        else:
            model.reset()
        start = reuse
        for end in ends:
            if end > reuse:
                model.eval(tokens[start:end])
                start = end
        self._ends = ends

    def _held(self, tokens: list[int]) -> int:
        """How many leading ``tokens`` the KV cache holds (llama.cpp's own record of what it evaluated)."""
        cached = self.model.input_ids[: self.model.n_tokens].tolist()
        held = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            held += 1
        return held

    def truncate(self, n_tokens: int) -> None:
        """Forget every cached token from position ``n_tokens`` on."""
        self.model._ctx.kv_cache_seq_rm(-1, n_tokens, -1)
        self.model.n_tokens = n_tokens

    def first_token_logprobs(
        self, messages: list[dict[str, str]], tails: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[dict[str, float]]:
        """For each tail (the start of the model's answer): the log-probability that the answer goes on with
        each of that tail's options (``options[i]`` belongs to ``tails[i]``).

        The conversation is evaluated once; each tail then costs only its own few tokens, evaluated alone after
        it (so a tail's answer is the same whatever other tails are asked with it). An option's
        probability sums its spellings that differ in case or a leading space ("yes", "Yes", " yes"), read at
        their first token.
        """
        model = self.model
        base = self.tokens(messages)
        prompts = [base + model.tokenize(tail.encode("utf-8"), add_bos=False, special=False) for tail in tails]
        longest = max(len(p) for p in prompts)
        if longest > model.n_ctx():
            raise ValueError(f"the prompt ({longest} tokens) exceeds context window of {model.n_ctx()}")
        if any(len(p) == len(base) for p in prompts):
            raise ValueError("every tail must add at least one token to the prompt; got an empty tail")
        self.prepare(messages, base)  # the cache now holds a strict prefix of ``base`` (or nothing)
        # Each tail is evaluated alone after the whole prompt, so its answer does not depend on the other tails.
        shared = len(base)
        model.eval(base[model.n_tokens : shared])
        answers = []
        for prompt, choices in zip(prompts, options, strict=True):
            self.truncate(shared)
            model.eval(prompt[shared:])
            # Logits of the last evaluated token (llama-cpp-python keeps no copy unless logits_all is set).
            logits = np.ctypeslib.as_array(model._ctx.get_logits(), shape=(model.n_vocab(),)).astype(np.float64)
            logprobs = logits - np.logaddexp.reduce(logits)
            spelled = {c: sorted(self._first_token_ids(c)) for c in choices}
            answers.append({c: float(np.logaddexp.reduce(logprobs[ids])) for c, ids in spelled.items()})
        return answers

    def _first_token_ids(self, option: str) -> set[int]:
        """First tokens of the option's spellings (cached)."""
        if option in self._option_ids:
            return self._option_ids[option]
        spellings = {option, option.lower(), option.capitalize()}
        spellings |= {" " + s for s in spellings}
        ids = {self.model.tokenize(s.encode("utf-8"), add_bos=False, special=False)[0] for s in spellings}
        self._option_ids[option] = ids
        return ids

    def _system_tokens(self, messages: list[dict[str, str]], full: list[int] | None = None) -> list[int] | None:
        """Tokens of the rendered prompt up to the end of the system message, if the prompt (``full``, when
        given) starts with them."""
        if not self.can_render or messages[0]["role"] != "system" or not messages[0]["content"]:
            return None
        prompt = self.formatter()(messages=messages).prompt
        end = prompt.find(messages[0]["content"])
        if end < 0:
            return None
        model = self.model
        if full is None:
            full = model.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        head = prompt[: end + len(messages[0]["content"])]
        prefix = model.tokenize(head.encode("utf-8"), add_bos=False, special=True)
        # The rest of the prompt must follow: keep at least one token to evaluate, and a prefix that tokenises
        # differently on its own (a merge across the boundary) is not a prefix.
        return prefix if len(prefix) < len(full) and full[: len(prefix)] == prefix else None


def piece_ends(system_length: int, prompt_length: int, size: int = PIECE_TOKENS) -> list[int]:
    """Where the cached pieces of a prompt end: after the system message (when there is one), then every
    ``size`` tokens, always before the prompt's last token.

    Example:
        >>> piece_ends(20, 300, size=128)
        [20, 148, 276]
        >>> piece_ends(0, 128, size=128)
        []
    """
    ends = [system_length] if 0 < system_length < prompt_length else []
    end = (ends[-1] if ends else 0) + size
    while end < prompt_length:
        ends.append(end)
        end += size
    return ends
