"""The transformers backend and the LLM summarisers' plumbing, on a tiny randomly initialised Llama.

The config (2 layers, hidden size 32) and a word-level tokenizer with a chat template are built here;
no weights are downloaded.
"""

from __future__ import annotations

import json
import re

import pytest

from stancewire.models.llm import LLMError, TransformersLLM, load_llm
from stancewire.models.summarize import load_summarizer
from stancewire.models.summarize.abstractive import LLMSummarizer
from stancewire.models.summarize.hybrid import HybridSummarizer

ARTICLE = (
    "Rebels of the M23 movement said on Monday they had taken control of Goma. Thousands of residents fled.\n\n"
    "At least 13 peacekeepers have been killed in the past week, the UN mission said.\n\n"
    "Rwanda denied that its troops were fighting alongside the rebels."
)
MESSAGES = [{"role": "system", "content": "You summarise."}, {"role": "user", "content": "the rebels took goma"}]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "<pad>": 3}
    words = re.findall(r"\w+|[^\w\s]", ARTICLE.lower()) + ["system", "user", "assistant", ":", "{", "}", '"']
    for word in words:
        vocab.setdefault(word, len(vocab))
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.decoder = decoders.WordPiece(prefix="##")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    tokenizer.chat_template = (
        "{% for m in messages %}<s> {{ m['role'] }} : {{ m['content'] }} </s> {% endfor %}"
        "{% if add_generation_prompt %}<s> assistant : {% endif %}"
    )
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=3,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_llm(tiny_model_dir):
    return load_llm(f"transformers:{tiny_model_dir}")


def test_tiny_model_chats_deterministically(tiny_llm, tiny_model_dir):
    assert isinstance(tiny_llm, TransformersLLM)
    assert tiny_llm.name == f"transformers:{tiny_model_dir}"
    assert tiny_llm.context_length == 1024
    assert tiny_llm.count_tokens("the rebels took goma .") == 5
    first = tiny_llm.chat(MESSAGES, max_tokens=8)
    assert isinstance(first, str) and first
    assert tiny_llm.chat(MESSAGES, max_tokens=8) == first
    sampled = tiny_llm.chat(MESSAGES, max_tokens=8, temperature=1.0, seed=7)
    assert tiny_llm.chat(MESSAGES, max_tokens=8, temperature=1.0, seed=7) == sampled


def test_tiny_model_without_chat_template_gets_a_transcript(tiny_model_dir):
    llm = TransformersLLM(str(tiny_model_dir))
    llm.tokenizer.chat_template = None
    assert llm._encode(MESSAGES)["input_ids"].shape[1] == llm.count_tokens(
        "System: You summarise.\nUser: the rebels took goma\nAssistant:"
    )
    assert isinstance(llm.chat(MESSAGES, max_tokens=4), str)


def test_context_overflow_and_json_errors(tiny_llm):
    long = [{"role": "user", "content": "goma " * 1100}]
    with pytest.raises(LLMError, match=re.escape("plus max_tokens=8 exceeds the context length of 1024 tokens")):
        tiny_llm.chat(long, max_tokens=8)
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    try:
        answer = tiny_llm.chat(MESSAGES, max_tokens=12, json_schema=schema)
    except LLMError as exc:
        assert "the answer holds no JSON object" in str(exc)
    else:
        assert isinstance(json.loads(answer), dict)


def test_json_object_is_extracted_from_a_chatty_answer():
    from stancewire.models.llm.transformers_backend import _first_json_object

    assert _first_json_object('Sure! {"n": 3} and {"m": 1}', "m") == '{"n": 3}'
    with pytest.raises(LLMError, match=re.escape("m: the answer holds no JSON object")):
        _first_json_object("{not json", "m")


@pytest.mark.parametrize("summarizer_class", [LLMSummarizer, HybridSummarizer])
def test_llm_summarisers_run_end_to_end_on_the_tiny_model(tiny_llm, summarizer_class):
    summarizer = summarizer_class(llm=tiny_llm, max_sentences=2, max_new_tokens=16)
    summary = summarizer.summarise(ARTICLE)
    assert summary.guard is not None and summary.guard_before is not None
    assert len(summary.provenance) == len(summary.sentences) <= 2
    if summary.fallback:
        assert summary.method == "extractive.lead-mmr.v1" and summary.guard.passed
    else:
        assert summary.method == summarizer.name and summary.guard.passed
    again = summarizer_class(llm=tiny_llm, max_sentences=2, max_new_tokens=16).summarise(ARTICLE)
    assert (again.text, again.method, again.guard_before) == (summary.text, summary.method, summary.guard_before)


def test_llm_summariser_takes_a_spec_string(tiny_model_dir):
    summarizer = load_summarizer("llm", llm=f"transformers:{tiny_model_dir}", max_sentences=1)
    assert summarizer._llm is None  # nothing loaded before the first summary
    assert isinstance(summarizer.llm, TransformersLLM)
    assert summarizer.llm.model_id == str(tiny_model_dir)
