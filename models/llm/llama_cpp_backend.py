"""llama.cpp backend: any GGUF file through llama-cpp-python; the default is the bundled SmolLM2-135M."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

from stancewire.models.llm.base import LLMError, check_generation, check_messages, register_backend

DEFAULT_MAX_CONTEXT = 8192


@register_backend("llm.llama-cpp.v1", "llama-cpp", "llama_cpp", "llamacpp")
class LlamaCppLLM:
    """A GGUF chat model run by llama.cpp on the CPU, loaded on first use.

    The context window is the model's trained context length (``{arch}.context_length`` in the GGUF
    metadata), capped at ``max_context`` so a long-context model does not allocate a huge KV cache.
    ``json_schema`` is enforced by a grammar (``LlamaGrammar.from_json_schema``), so the answer always parses.

    Args:
        model_path: A ``.gguf`` file.
        max_context: Upper bound on the context window, in tokens.
        n_threads: CPU threads; ``None`` uses the cores that are idle when the model loads (see
            :func:`idle_cores`). More threads only help on idle cores: llama.cpp threads spin while they
            wait, so on a busy machine they slow each other.
        name: Display name; defaults to ``"llama-cpp:<file name>"``.

    Example:
        >>> llm = LlamaCppLLM.from_spec("")  # the bundled SmolLM2  # doctest: +SKIP
        >>> llm.chat([{"role": "user", "content": "Say hello."}], max_tokens=8)  # doctest: +SKIP
        'Hello! How can I help you today?'
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        max_context: int = DEFAULT_MAX_CONTEXT,
        n_threads: int | None = None,
        name: str | None = None,
    ) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No GGUF file at {path}; expected a path like 'llama-cpp:/models/model.Q4_K_M.gguf', "
                "or plain 'llama-cpp' for the bundled SmolLM2."
            )
        if max_context < 128:
            raise ValueError(f"max_context must be at least 128 tokens; got {max_context}.")
        self.model_path = path
        self.max_context = max_context
        self.n_threads = n_threads
        self.name = name or f"llama-cpp:{path.name}"
        self._llama: Any = None
        self._prompts: Any = None

    @classmethod
    def from_spec(cls, argument: str) -> LlamaCppLLM:
        """``""`` gives the bundled SmolLM2 GGUF; otherwise ``argument`` is a GGUF path."""
        if not argument:
            from stancewire.models.hub import smollm2_gguf_path

            return cls(smollm2_gguf_path())
        return cls(Path(argument).expanduser())

    @property
    def model(self) -> Any:
        """The ``llama_cpp.Llama`` instance (loaded on first access)."""
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(self.model_path),
                n_ctx=min(self._trained_context(), self.max_context),
                n_threads=self.n_threads or idle_cores(),
                seed=0,
                verbose=False,
            )
        return self._llama

    @property
    def context_length(self) -> int:
        """The context window in tokens (the trained length, capped at ``max_context``)."""
        return int(self.model.n_ctx())

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's vocabulary (no BOS token)."""
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        json_schema: dict | None = None,
    ) -> str:
        """Answer the conversation with the model's chat template (see :class:`ChatLLM`)."""
        check_messages(messages)
        check_generation(max_tokens, temperature)
        grammar = None
        if json_schema is not None:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False)
        model = self.model
        self.prompts.prepare(messages)  # cached in fixed pieces only: deterministic, see PromptCache
        model.set_seed(seed)
        try:
            result = model.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                grammar=grammar,
            )
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise LLMError(
                    f"{self.name}: the prompt does not fit the context window of {self.context_length} tokens "
                    f"({exc}); shorten the messages or use a model with a longer context."
                ) from None
            raise
        return result["choices"][0]["message"].get("content") or ""

    @property
    def prompts(self) -> Any:
        """The :class:`~stancewire.models.llm.llama_cpp_prompt.PromptCache` of the loaded model."""
        if self._prompts is None:
            from stancewire.models.llm.llama_cpp_prompt import PromptCache

            self._prompts = PromptCache(self.model)
        return self._prompts

    @property
    def can_score(self) -> bool:
        """Whether :meth:`first_token_logprobs` works (the GGUF carries its chat template, as most do)."""
        return self.prompts.can_render

    def first_token_logprobs(
        self, messages: list[dict[str, str]], tails: list[str], options: list[list[str]]
    ) -> list[dict[str, float]]:
        """For each tail (the start of the model's answer), the log-probability that the answer goes on with each
        of its options (e.g. ``["yes", "no"]``): one evaluation of the conversation, a few tokens per tail, no
        decoding.

        Example:
            >>> llm = LlamaCppLLM.from_spec("")  # doctest: +SKIP
            >>> question = [{"role": "user", "content": "Is Paris in France? Answer yes or no."}]
            >>> llm.first_token_logprobs(question, ["Answer:"], [["yes", "no"]])  # doctest: +SKIP
            [{'yes': -0.2, 'no': -2.1}]
        """
        check_messages(messages)
        if not tails:
            return []
        if not self.can_score:
            raise LLMError(f"{self.name}: scoring needs the chat template stored in the GGUF file; it has none.")
        try:
            return self.prompts.first_token_logprobs(messages, tails, options)
        except ValueError as exc:
            if "exceeds context window" in str(exc):
                raise LLMError(f"{self.name}: {exc}; shorten the messages or use a longer-context model.") from None
            raise

    def _trained_context(self) -> int:
        """The trained context length from the GGUF metadata, else ``max_context``."""
        value = gguf_context_length(self.model_path)
        return value if value else self.max_context


def idle_cores() -> int:
    """Cores not busy with other work, measured over 0.2 s (at least 1).

    llama.cpp threads spin while they wait for each other, so a thread on a busy core slows every other
    thread: on a loaded 2-core machine two threads took ~100 s per call where one took ~5 s.
    """
    import psutil

    cores = os.cpu_count() or 1
    busy = psutil.cpu_percent(interval=0.2) / 100 * cores
    return max(1, min(cores, round(cores - busy)))


_SCALAR_FORMATS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING_TYPE, _ARRAY_TYPE = 8, 9


def gguf_context_length(path: str | Path) -> int | None:
    """``{general.architecture}.context_length`` from a GGUF header, reading only the metadata block.

    (``gguf.GGUFReader`` also parses every tensor record, which takes seconds; loading the model through
    llama.cpp just to ask prints context warnings.) Returns ``None`` when the key is absent.
    """
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file (its first bytes are not 'GGUF').")
        version, _tensors, kv_count = struct.unpack("<IQQ", handle.read(20))
        if version < 2:
            raise ValueError(f"{path}: GGUF version {version} is too old; convert it with a current llama.cpp.")
        values: dict[str, Any] = {}
        for _ in range(kv_count):
            key = _read_string(handle)
            (value_type,) = struct.unpack("<I", handle.read(4))
            values[key] = _read_value(handle, value_type)
            architecture = values.get("general.architecture")
            if architecture and f"{architecture}.context_length" in values:
                return int(values[f"{architecture}.context_length"])
    return None


def _read_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", handle.read(8))
    return handle.read(length).decode("utf-8", errors="replace")


def _read_value(handle: BinaryIO, value_type: int) -> Any:
    if value_type == _STRING_TYPE:
        return _read_string(handle)
    if value_type == _ARRAY_TYPE:
        item_type, count = struct.unpack("<IQ", handle.read(12))
        if item_type in _SCALAR_FORMATS:  # skip scalar arrays in one seek
            handle.seek(count * struct.calcsize(_SCALAR_FORMATS[item_type]), os.SEEK_CUR)
            return None
        for _ in range(count):
            _read_value(handle, item_type)
        return None
    if value_type not in _SCALAR_FORMATS:
        raise ValueError(f"Unknown GGUF metadata value type {value_type}; the file may be corrupt.")
    fmt = _SCALAR_FORMATS[value_type]
    return struct.unpack(fmt, handle.read(struct.calcsize(fmt)))[0]
