"""Silver labelling through real backends: a tiny random transformers model, and (slow) the bundled SmolLM2 GGUF."""

from __future__ import annotations

import json

import pytest

from stancewire.training.silver_run import SilverConfig, run_silver


@pytest.fixture(scope="module")
def tiny_causal_lm(tmp_path_factory):
    """A 2-layer, 32-wide Llama with random weights and the bundled MiniLM tokenizer (no chat template)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from stancewire.models.hub import minilm_path

    folder = tmp_path_factory.mktemp("tiny-llm")
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    config = LlamaConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_tiny_transformers_model_never_crashes_the_batch_and_failures_are_cached(
    tmp_path, jsonl, make_article, tiny_causal_lm
):
    source = jsonl(tmp_path / "in.jsonl", [make_article("a1", ["Jets struck the town."])])
    config = SilverConfig(llm=f"transformers:{tiny_causal_lm}", shots=0, k=2, max_tokens=8)
    report = run_silver(source, tmp_path / "silver.jsonl", config)
    assert (report.paragraphs, report.labelled, report.failed, report.llm_calls) == (1, 0, 1, 4)
    failures = [json.loads(line) for line in (tmp_path / "silver.failed.jsonl").read_text().splitlines()]
    assert failures[0]["problems"][0].startswith("model error: LLMError: transformers:")
    assert "holds no JSON object" in failures[0]["problems"][0]
    again = run_silver(source, tmp_path / "silver.jsonl", config)
    assert (again.llm_calls, again.cache_hits, again.failed) == (0, 1, 1)


@pytest.mark.slow
def test_bundled_gguf_labels_five_paragraphs_with_logprob_confidence(tmp_path):
    from stancewire.models.schema import load_articles

    article = load_articles("fixtures/test.jsonl")[0]
    article.paragraphs = article.paragraphs[:5]
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(article.to_dict()) + "\n")
    config = SilverConfig(llm="llama-cpp", shots=2, examples="fixtures/dev.jsonl")
    report = run_silver(source, tmp_path / "silver.jsonl", config)
    assert report.method == "logprobs.v1" and report.paragraphs == 5
    assert report.labelled + report.failed == 5 and report.labelled >= 4
    silver = load_articles(tmp_path / "silver.jsonl")
    for paragraph in silver[0].paragraphs:
        assert 0.0 <= paragraph.confidence <= 1.0
        assert set(paragraph.stance) == set(article.targets)
    again = run_silver(source, tmp_path / "silver.jsonl", config)
    assert (again.llm_calls, again.cache_hits) == (0, report.labelled + report.failed)
