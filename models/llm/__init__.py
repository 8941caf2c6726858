"""Chat LLM backends behind one small protocol: llama.cpp, transformers, OpenAI-compatible servers.

Example:
    >>> from stancewire.models.llm import load_llm
    >>> load_llm("transformers:gpt2").name
    'transformers:gpt2'
"""

from __future__ import annotations

from stancewire.models.llm.base import (
    ChatLLM,
    LLMConnectionError,
    LLMError,
    available_backends,
    is_chat_llm,
    load_llm,
    register_backend,
)
from stancewire.models.llm.llama_cpp_backend import LlamaCppLLM
from stancewire.models.llm.openai_backend import OpenAICompatibleLLM
from stancewire.models.llm.transformers_backend import TransformersLLM

__all__ = [
    "ChatLLM",
    "LLMConnectionError",
    "LLMError",
    "LlamaCppLLM",
    "OpenAICompatibleLLM",
    "TransformersLLM",
    "available_backends",
    "is_chat_llm",
    "load_llm",
    "register_backend",
]
