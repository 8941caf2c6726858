"""transformers backend: any Hugging Face causal LM (id or local folder), GGUF files included."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from stancewire.models.llm.base import LLMError, check_generation, check_messages, register_backend

CONTEXT_KEYS: tuple[str, ...] = (
    "max_position_embeddings",
    "n_positions",
    "n_ctx",
    "max_sequence_length",
    "seq_length",
)
JSON_INSTRUCTION = "Answer with one JSON object and nothing else. It must follow this JSON schema: {schema}"


@register_backend("llm.transformers.v1", "transformers", "hf")
class TransformersLLM:
    """A causal language model run by ``transformers`` (on the CPU unless told otherwise), loaded on first use.

    Messages go through the tokenizer's chat template; a tokenizer without one (a base model such as
    GPT-2) gets a plain ``"User: ...\\nAssistant:"`` transcript. ``json_schema`` cannot be enforced while
    decoding here: the schema is added to the prompt and the first JSON object of the answer is returned,
    or :class:`LLMError` is raised (use llama-cpp or a server for guaranteed JSON).

    Args:
        model_id: A Hugging Face id or a local folder.
        gguf_file: A GGUF file name inside ``model_id`` (weights are de-quantised on load).
        device: A torch device name.
        name: Display name; defaults to ``"transformers:<model_id>"``.

    Example:
        >>> llm = TransformersLLM.from_spec("HuggingFaceTB/SmolLM2-135M-Instruct")  # doctest: +SKIP
        >>> llm.chat([{"role": "user", "content": "Say hello."}], max_tokens=8)  # doctest: +SKIP
        'Hello! How can I help you today?'
    """

    def __init__(
        self, model_id: str, *, gguf_file: str | None = None, device: str = "cpu", name: str | None = None
    ) -> None:
        if not model_id:
            raise ValueError(
                "The transformers backend needs a model: 'transformers:HF_ID_OR_PATH' or "
                "'transformers:HF_ID_OR_PATH#file.gguf'."
            )
        self.model_id = model_id
        self.gguf_file = gguf_file or None
        self.device = device
        suffix = f"#{self.gguf_file}" if self.gguf_file else ""
        self.name = name or f"transformers:{model_id}{suffix}"
        self._model: Any = None
        self._tokenizer: Any = None

    @classmethod
    def from_spec(cls, argument: str) -> TransformersLLM:
        """``ID_OR_PATH`` or ``ID_OR_PATH#file.gguf``; a path to a ``.gguf`` file is split into folder and file."""
        model_id, _, gguf_file = argument.partition("#")
        if not model_id.strip():
            return cls("")  # raises, saying what a spec looks like
        path = Path(model_id).expanduser()
        if not gguf_file and path.suffix.lower() == ".gguf" and path.is_file():
            return cls(str(path.parent), gguf_file=path.name)
        return cls(str(path) if path.exists() else model_id, gguf_file=gguf_file or None)

    @property
    def tokenizer(self) -> Any:
        """The tokenizer (loaded on first access)."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.model_id, gguf_file=self.gguf_file)
        return self._tokenizer

    @property
    def model(self) -> Any:
        """The causal LM in eval mode (loaded on first access)."""
        if self._model is None:
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained(self.model_id, gguf_file=self.gguf_file)
            self._model = model.to(self.device).eval()
        return self._model

    @property
    def context_length(self) -> int:
        """The model's maximum sequence length, read from its config."""
        config = self.model.config
        for key in CONTEXT_KEYS:
            value = getattr(config, key, None)
            if isinstance(value, int) and value > 0:
                return value
        raise LLMError(
            f"{self.name}: the model config has none of {list(CONTEXT_KEYS)}, so its context length is unknown."
        )

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` (without special tokens)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        json_schema: dict | None = None,
    ) -> str:
        """Answer the conversation (see :class:`ChatLLM`); greedy at temperature 0, seeded sampling above."""
        import torch

        check_messages(messages)
        check_generation(max_tokens, temperature)
        if json_schema is not None:
            messages = _with_schema_instruction(messages, json_schema)
        inputs = self._encode(messages)
        prompt_length = int(inputs["input_ids"].shape[1])
        if prompt_length + max_tokens > self.context_length:
            raise LLMError(
                f"{self.name}: the prompt ({prompt_length} tokens) plus max_tokens={max_tokens} exceeds the "
                f"context length of {self.context_length} tokens; shorten the messages or lower max_tokens."
            )
        torch.manual_seed(seed)
        with torch.no_grad():
            output = self.model.generate(**inputs, generation_config=self._generation_config(max_tokens, temperature))
        text = self.tokenizer.decode(output[0, prompt_length:], skip_special_tokens=True).strip()
        return _first_json_object(text, self.name) if json_schema is not None else text

    def _encode(self, messages: list[dict[str, str]]) -> Any:
        """Token ids and attention mask of the prompt, through the chat template when there is one."""
        tokenizer = self.tokenizer
        if getattr(tokenizer, "chat_template", None):
            encoded = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        else:
            transcript = "".join(f"{m['role'].capitalize()}: {m['content']}\n" for m in messages) + "Assistant:"
            encoded = tokenizer(transcript, return_tensors="pt")
        return {key: value.to(self.device) for key, value in encoded.items() if key in ("input_ids", "attention_mask")}

    def _generation_config(self, max_tokens: int, temperature: float) -> Any:
        """The model's generation config with our length, sampling and padding settings."""
        config = copy.deepcopy(self.model.generation_config)
        sampling = temperature > 0
        config.max_new_tokens = max_tokens
        config.do_sample = sampling
        config.temperature = temperature if sampling else None
        config.top_p = config.top_p if sampling else None
        config.top_k = config.top_k if sampling else None
        if config.pad_token_id is None:
            pad = self.tokenizer.pad_token_id
            config.pad_token_id = pad if pad is not None else self.tokenizer.eos_token_id
        return config


def _with_schema_instruction(messages: list[dict[str, str]], json_schema: dict) -> list[dict[str, str]]:
    """The messages with the schema instruction added to (or as) the system message."""
    instruction = JSON_INSTRUCTION.format(schema=json.dumps(json_schema, separators=(",", ":")))
    if messages[0]["role"] == "system":
        return [{"role": "system", "content": f"{messages[0]['content']}\n{instruction}"}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def _first_json_object(text: str, name: str) -> str:
    """The first parseable ``{...}`` in ``text``, re-serialised; raises :class:`LLMError` when there is none."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        return json.dumps(value, ensure_ascii=False)
    raise LLMError(
        f"{name}: the answer holds no JSON object (the transformers backend cannot constrain decoding to a "
        f"schema); answer was {text[:200]!r}. Use a llama-cpp or openai spec for guaranteed JSON."
    )
