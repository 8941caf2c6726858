"""The chat-LLM protocol every backend follows, the backend registry, and :func:`load_llm`.

A backend is chosen by a spec string ``"BACKEND"`` or ``"BACKEND:ARGUMENT"``:

* ``"llama-cpp"`` (the bundled SmolLM2 GGUF) or ``"llama-cpp:/models/x.gguf"``;
* ``"transformers:HuggingFaceTB/SmolLM2-135M-Instruct"`` or ``"transformers:/models/dir#model.Q4_1.gguf"``;
* ``"openai:http://127.0.0.1:8080/v1#model-name"`` (any OpenAI-compatible ``/v1/chat/completions``).

Backends register themselves with :func:`register_backend` under a versioned name and short aliases; the
heavy libraries they need (llama_cpp, torch, httpx) are imported only when a model is loaded or called.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Protocol, runtime_checkable

DEFAULT_SPEC = "llama-cpp"
MESSAGE_ROLES: tuple[str, ...] = ("system", "user", "assistant")


class LLMError(RuntimeError):
    """A chat model could not answer: bad output, a context overflow, or a server error.

    Example:
        >>> str(LLMError("model x: no answer."))
        'model x: no answer.'
    """


class LLMConnectionError(LLMError):
    """An OpenAI-compatible server could not be reached (down, wrong URL, timed out).

    Example:
        >>> isinstance(LLMConnectionError("no server"), LLMError)
        True
    """


@runtime_checkable
class ChatLLM(Protocol):
    """What every chat backend offers.

    Attributes:
        name: A readable name of the model, e.g. ``"llama-cpp:SmolLM2-135M-Instruct.Q4_1.gguf"``.
        context_length: Tokens the model attends to (prompt plus answer), from the model's own config.

    Optional: a backend that can read next-token probabilities also offers ``can_score`` (bool) and
    ``first_token_logprobs(messages, tails, options)`` (see :class:`~stancewire.models.llm.LlamaCppLLM`);
    ``zero-shot-llm`` then scores its answers instead of generating them.

    Example:
        >>> class Echo:
        ...     name, context_length = "echo", 512
        ...     def chat(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None):
        ...         return messages[-1]["content"]
        ...     def count_tokens(self, text):
        ...         return len(text.split())
        >>> isinstance(Echo(), ChatLLM)
        True
    """

    name: str
    context_length: int

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        json_schema: dict | None = None,
    ) -> str:
        """Answer a conversation of ``{"role", "content"}`` messages; deterministic at temperature 0.

        With ``json_schema`` the answer is a JSON document following that schema.
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's vocabulary (an estimate where the tokenizer is remote)."""
        ...


def is_chat_llm(obj: object) -> bool:
    """True when ``obj`` has the :class:`ChatLLM` members.

    Unlike ``isinstance(obj, ChatLLM)`` on Python 3.11, this reads no property, so it never triggers a
    lazy model load (``context_length`` loads the weights in the local backends).

    Example:
        >>> is_chat_llm("llama-cpp")
        False
    """
    for member in ("chat", "count_tokens", "context_length", "name"):
        try:
            inspect.getattr_static(obj, member)
        except AttributeError:
            return False
    return callable(getattr(obj, "chat", None)) and callable(getattr(obj, "count_tokens", None))


BackendFactory = Callable[[str], ChatLLM]
LLM_BACKENDS: dict[str, BackendFactory] = {}
BACKEND_ALIASES: dict[str, str] = {}


def register_backend(name: str, *aliases: str) -> Callable[[type], type]:
    """Class decorator: ``@register_backend("llm.llama-cpp.v1", "llama-cpp")``.

    The class must have a ``from_spec(argument: str)`` classmethod, called with what follows the first
    ``:`` of the spec (an empty string when there is none).
    """

    def decorate(cls: type) -> type:
        LLM_BACKENDS[name] = cls.from_spec
        for alias in aliases:
            BACKEND_ALIASES[alias] = name
        cls.backend = name
        return cls

    return decorate


def available_backends() -> list[str]:
    """Backend names (versioned and aliases) that :func:`load_llm` accepts before the ``:``."""
    _import_builtin_backends()
    return sorted(set(LLM_BACKENDS) | set(BACKEND_ALIASES))


def load_llm(spec: str | None = None) -> ChatLLM:
    """Build a chat model from a spec string; ``None`` gives the bundled SmolLM2 through llama.cpp.

    Nothing heavy happens here: weights are loaded (or the server contacted) on first use.

    Raises:
        ValueError: for an unknown backend or a malformed argument, listing what is accepted.

    Example:
        >>> load_llm("openai:http://127.0.0.1:8080/v1#smollm2").name
        'openai:http://127.0.0.1:8080/v1#smollm2'
    """
    _import_builtin_backends()
    text = (spec or DEFAULT_SPEC).strip()
    backend, _, argument = text.partition(":")
    key = BACKEND_ALIASES.get(backend, backend)
    if key not in LLM_BACKENDS:
        raise ValueError(
            f"Unknown LLM backend {backend!r} in spec {text!r}; expected one of {available_backends()}, "
            "written as 'BACKEND' or 'BACKEND:ARGUMENT', e.g. 'llama-cpp:/models/x.gguf', "
            "'transformers:HF_ID_OR_PATH[#file.gguf]' or 'openai:http://127.0.0.1:8080/v1#MODEL'."
        )
    return LLM_BACKENDS[key](argument.strip())


def check_messages(messages: list[dict[str, str]]) -> None:
    """Raise ``ValueError`` naming the first message that is not ``{"role": ..., "content": str}``."""
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"messages must be a non-empty list of {{'role', 'content'}} dicts; got {messages!r}.")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in MESSAGE_ROLES:
            raise ValueError(
                f"messages[{index}] must be a dict whose 'role' is one of {list(MESSAGE_ROLES)}; got {message!r}."
            )
        if not isinstance(message.get("content"), str):
            raise ValueError(f"messages[{index}]['content'] must be a string; got {message.get('content')!r}.")


def check_generation(max_tokens: int, temperature: float) -> None:
    """Raise ``ValueError`` for a non-positive ``max_tokens`` or a negative ``temperature``."""
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a positive integer; got {max_tokens!r}.")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy and deterministic); got {temperature!r}.")


def _import_builtin_backends() -> None:
    """Import the modules that register the built-in backends (cheap: they import their libraries lazily)."""
    import stancewire.models.llm.llama_cpp_backend  # noqa: F401
    import stancewire.models.llm.openai_backend  # noqa: F401
    import stancewire.models.llm.transformers_backend  # noqa: F401
