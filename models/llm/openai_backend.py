"""OpenAI-compatible backend: any server with ``/v1/chat/completions`` (llama.cpp server, vLLM, Ollama, ...).

Requests go through ``httpx`` with a timeout and a bounded number of retries (connection errors,
timeouts, HTTP 429 and 5xx); other HTTP errors fail at once with the server's message. The API key, if
any, is read from an environment variable and never shown.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any
from urllib.parse import urlsplit

from stancewire.models.llm.base import (
    LLMConnectionError,
    LLMError,
    check_generation,
    check_messages,
    register_backend,
)

DEFAULT_CONTEXT_LENGTH = 4096
RETRY_STATUS: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
CONTEXT_FIELDS: tuple[str, ...] = ("context_length", "max_model_len", "context_window", "n_ctx", "n_ctx_train")
CHARS_PER_TOKEN = 3.0  # conservative for English BPE vocabularies (about 4 characters a token)


@register_backend("llm.openai.v1", "openai")
class OpenAICompatibleLLM:
    """A chat model behind an OpenAI-compatible HTTP API.

    Args:
        base_url: The API root, e.g. ``http://127.0.0.1:8080/v1`` (a bare ``http://host:port`` gets ``/v1``;
            a URL ending in ``/chat/completions`` is accepted too).
        model: The model name the server expects.
        api_key_env: Environment variable holding the API key; unset means no ``Authorization`` header.
        timeout: Seconds per request (connect, read and write).
        max_retries: Extra attempts after a connection error, timeout, HTTP 429 or 5xx.
        backoff: Seconds before the first retry, doubled each time.
        context_length: The model's context window; ``None`` asks the server's ``/models`` listing and
            falls back to 4096 tokens.
        transport: An ``httpx`` transport (tests pass a mock one).

    Example:
        >>> llm = OpenAICompatibleLLM("http://127.0.0.1:8080", "smollm2")
        >>> llm.url
        'http://127.0.0.1:8080/v1/chat/completions'
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        context_length: int | None = None,
        transport: Any = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"Expected an http(s) URL for the OpenAI-compatible server, e.g. 'http://127.0.0.1:8080/v1'; "
                f"got {base_url!r}."
            )
        if not model:
            raise ValueError(
                f"No model name given for the server at {base_url}; write the spec as 'openai:URL#MODEL'."
            )
        if max_retries < 0 or timeout <= 0:
            raise ValueError(
                f"Need max_retries >= 0 and timeout > 0; got max_retries={max_retries}, timeout={timeout}."
            )
        self.base_url = _api_root(base_url)
        self.model_name = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.name = f"openai:{base_url}#{model}"
        self._context_length = context_length
        self._transport = transport
        self._client: Any = None
        self._json_format = "json_schema"

    @classmethod
    def from_spec(cls, argument: str) -> OpenAICompatibleLLM:
        """``URL#MODEL``, e.g. ``http://127.0.0.1:8080/v1#smollm2``."""
        url, _, model = argument.partition("#")
        if not url or not model:
            raise ValueError(
                "Expected 'openai:URL#MODEL', e.g. 'openai:http://127.0.0.1:8080/v1#smollm2'; "
                f"got 'openai:{argument}'."
            )
        return cls(url, model)

    @property
    def url(self) -> str:
        """The chat-completions endpoint."""
        return f"{self.base_url}/chat/completions"

    @property
    def context_length(self) -> int:
        """The context window: as configured, else from the server's model listing, else 4096."""
        if self._context_length is None:
            self._context_length = self._listed_context_length() or DEFAULT_CONTEXT_LENGTH
        return self._context_length

    def count_tokens(self, text: str) -> int:
        """An upper-side estimate (about 3 characters a token): the server's tokenizer is not reachable in general."""
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        json_schema: dict | None = None,
    ) -> str:
        """Answer the conversation (see :class:`ChatLLM`); ``json_schema`` becomes ``response_format``."""
        check_messages(messages)
        check_generation(max_tokens, temperature)
        payload: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
        }
        if json_schema is None:
            return _message_content(self._post(payload), self.url)
        payload["response_format"] = _response_format(json_schema, self._json_format)
        if self._json_format == "json_object":
            return _message_content(self._post(payload), self.url)
        response = self._request("POST", self.url, payload, retry_status=False)
        if response.status_code >= 400 and "response_format" in response.text:
            # Some servers (llama-cpp-python, which answers HTTP 500) only know {"type": "json_object", "schema"}.
            self._json_format = "json_object"
            payload["response_format"] = _response_format(json_schema, self._json_format)
            response = self._post(payload)
        elif response.status_code in RETRY_STATUS:
            response = self._post(payload)
        _raise_for_status(response, self.url)
        return _message_content(response, self.url)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            self._client = httpx.Client(timeout=self.timeout, headers=headers, transport=self._transport)
        return self._client

    def _post(self, payload: dict[str, Any]) -> Any:
        """POST to the endpoint with bounded retries; raises :class:`LLMError` on a final failure."""
        response = self._request("POST", self.url, payload)
        _raise_for_status(response, self.url)
        return response

    def _request(
        self, method: str, url: str, payload: dict[str, Any] | None = None, *, retry_status: bool = True
    ) -> Any:
        """Send with retries on connection errors and timeouts (and on HTTP 429/5xx when ``retry_status``)."""
        import httpx

        attempts = self.max_retries + 1
        for attempt in range(attempts):
            try:
                response = self._http().request(method, url, json=payload)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                response = None
            else:
                if not retry_status or response.status_code not in RETRY_STATUS:
                    return response
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
            if attempt + 1 < attempts:
                time.sleep(self.backoff * 2**attempt)
        if response is not None:
            return response
        raise LLMConnectionError(
            f"Could not reach the OpenAI-compatible server at {url} after {attempts} attempt(s) ({problem}). "
            "Is the server running? Start one, e.g. `python -m llama_cpp.server --model MODEL.gguf --port 8080`, "
            "or fix the URL in the spec 'openai:URL#MODEL'."
        )

    def _listed_context_length(self) -> int | None:
        """The context length the server reports for this model in ``GET /models``, if it does."""
        try:
            response = self._request("GET", f"{self.base_url}/models")
            entries = response.json().get("data", []) if response.status_code == 200 else []
        except (LLMError, ValueError, AttributeError):
            return None
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("id") not in (self.model_name, None):
                continue
            for holder in (entry, entry.get("meta") or {}):
                for key in CONTEXT_FIELDS:
                    if isinstance(holder.get(key), int) and holder[key] > 0:
                        return holder[key]
        return None


def _api_root(base_url: str) -> str:
    """Normalise to the API root: drop a trailing ``/chat/completions``; add ``/v1`` to a bare host."""
    root = base_url.rstrip("/")
    if root.endswith("/chat/completions"):
        root = root[: -len("/chat/completions")]
    if urlsplit(root).path in ("", "/"):
        root = f"{root}/v1"
    return root


def _response_format(json_schema: dict, style: str) -> dict[str, Any]:
    """The ``response_format`` field in OpenAI's style or in llama-cpp-python's older one."""
    if style == "json_object":
        return {"type": "json_object", "schema": json_schema}
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": json_schema, "strict": True}}


def _raise_for_status(response: Any, url: str) -> None:
    if response.status_code >= 400:
        raise LLMError(
            f"The server at {url} answered HTTP {response.status_code}: {response.text[:300]}. "
            "Check the model name and the request (and the API key environment variable, for 401/403)."
        )


def _message_content(response: Any, url: str) -> str:
    """``choices[0].message.content`` of a chat-completion response."""
    body = response.text
    try:
        body = response.json()
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError, ValueError):
        raise LLMError(
            f"The server at {url} sent no choices[0].message.content; got {str(body)[:300]}. "
            "Is it an OpenAI-compatible /chat/completions endpoint?"
        ) from None
    return content or ""
