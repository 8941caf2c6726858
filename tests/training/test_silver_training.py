"""Distillation: silver rows below the confidence threshold are left out, the others carry the silver weight."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stancewire.models.taxonomy import DEFAULT_TAXONOMY
from stancewire.training.config import TrainingConfig
from stancewire.training.distill_experiment import ExperimentConfig, run_experiment, split_gold
from stancewire.training.features import task_rows
from stancewire.training.trainer import load_training_data


def silver_article(make_article, confidences):
    record = make_article("s1", [f"Silver paragraph {i}." for i in range(len(confidences))])
    for paragraph, confidence in zip(record["paragraphs"], confidences):
        paragraph["confidence"] = confidence
        paragraph["silver"] = {"model": "fake", "label_confidence": {"types": {}, "stance": {}}}
    return record


def test_silver_below_the_threshold_is_excluded_and_the_rest_weighted(tmp_path, jsonl, make_article):
    gold = jsonl(tmp_path / "gold.jsonl", [make_article("g1", ["Gold paragraph."])])
    silver = jsonl(tmp_path / "silver.jsonl", [silver_article(make_article, [0.3, 0.8, 0.5])])
    config = TrainingConfig(
        train=str(gold), dev=str(gold), output_dir=str(tmp_path / "m"), silver=str(silver),
        silver_weight=0.25, silver_min_confidence=0.5,
    )  # fmt: skip
    data = load_training_data(config, DEFAULT_TAXONOMY)
    kept = [p.text for a in data.silver for p in a.paragraphs]
    assert kept == ["Silver paragraph 1.", "Silver paragraph 2."]
    gold_rows = task_rows(data.train, DEFAULT_TAXONOMY)
    silver_rows = task_rows(data.silver, DEFAULT_TAXONOMY, config.silver_weight)
    assert {r["sample_weight"] for r in gold_rows} == {1.0}
    assert {r["sample_weight"] for r in silver_rows} == {0.25}
    assert sorted({r["first"] for r in silver_rows if r["second"] is None}) == kept


class TargetEcho:
    """A fake LLM answering every paragraph with valid labels for exactly the targets its schema requires."""

    name = "echo"
    context_length = 4096

    def __init__(self):
        self.calls = 0

    def chat(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None):
        self.calls += 1
        targets = json_schema["properties"]["stance"]["required"]
        types = ["military_action"] if seed % 2 == 0 or "struck" in messages[-1]["content"] else []
        return json.dumps({"types": types, "stance": dict.fromkeys(targets, "none")})

    def count_tokens(self, text):
        return len(text.split())


def test_distill_experiment_trains_three_variants_and_reruns_without_llm_calls(tmp_path, jsonl, make_article):
    texts = ["Jets struck the town.", "Talks resumed in Cairo.", "Aid trucks waited.", "Officials met."]
    articles = [make_article(f"a{i}", texts, conflict=("east" if i % 2 else "west")) for i in range(10)]
    for record in articles:
        record["paragraphs"][1]["types"] = ["diplomacy"]
        record["paragraphs"][1]["stance"]["ceasefire"] = "favor"
    train = jsonl(tmp_path / "train.jsonl", articles)
    held = jsonl(tmp_path / "held.jsonl", articles[:4])
    config = ExperimentConfig(
        out=str(tmp_path / "run"), train=str(train), dev=str(held), test=str(held), shots=0, k=2,
        threshold=0.9, n_resamples=30,
    )  # fmt: skip
    llm = TargetEcho()
    results = run_experiment(config, llm=llm)
    assert results["data"]["gold_articles"] == 4 and results["data"]["silver_paragraphs"] == 24
    assert list(results["variants"]) == ["gold only", "gold + silver", "gold + silver (confidence >= 0.9)"]
    assert results["threshold"] == 0.9
    silver_counts = [row["silver_paragraphs"] for row in results["variants"].values()]
    assert silver_counts == [0, 24, 6]  # only "struck" paragraphs get both samples agreeing on every label
    assert results["silver_quality"]["all"]["paragraphs"] == 24
    assert "| gold + silver |" in (tmp_path / "run" / "results.md").read_text()
    calls = llm.calls
    run_experiment(config, llm=llm)
    assert llm.calls == calls


def test_split_gold_keeps_a_share_of_every_conflict(make_article):
    from stancewire.models.schema import article_from_record

    articles = [article_from_record(make_article(f"a{i}", ["x."], conflict=f"c{i % 3}")) for i in range(9)]
    gold, rest = split_gold(articles, 0.34, seed=1)
    assert sorted(a.conflict for a in gold) == ["c0", "c1", "c2"] and len(rest) == 6
    assert split_gold(articles, 0.34, seed=1)[0] == gold


def test_keep_share_sets_the_threshold_from_the_silver_confidences(make_article):
    from stancewire.models.schema import article_from_record
    from stancewire.training.distill_experiment import resolve_threshold

    silver = [article_from_record(silver_article(make_article, [0.1, 0.9, 0.4, 0.7]))]
    assert resolve_threshold(ExperimentConfig(out="x", keep_share=0.5), silver) == 0.7
    assert resolve_threshold(ExperimentConfig(out="x", keep_share=1.0), silver) == 0.1
    assert resolve_threshold(ExperimentConfig(out="x", threshold=0.3), silver) == 0.3


@pytest.mark.parametrize("fit_name", ["fit_tfidf_logreg", "fit_embed_logreg"])
def test_linear_baselines_train_on_weighted_silver(make_article, fit_name, monkeypatch):
    """Silver rows reach the logistic regressions with the silver weight (gold rows weigh 1)."""
    from sklearn.linear_model import LogisticRegression

    from stancewire.models.schema import article_from_record
    from stancewire.training import baselines

    if fit_name == "fit_embed_logreg":  # no real encoder in unit tests: fixed random features instead
        monkeypatch.setattr(baselines.EmbedLogReg, "paragraph_features", lambda self, t: np.random.rand(len(t), 4))
        monkeypatch.setattr(baselines.EmbedLogReg, "pair_features", lambda self, p: np.random.rand(len(p), 4))
    seen = []
    original_fit = LogisticRegression.fit

    def recording_fit(self, x, y, sample_weight=None):
        seen.append(None if sample_weight is None else sorted(set(np.round(sample_weight, 3))))
        return original_fit(self, x, y, sample_weight=sample_weight)

    monkeypatch.setattr(LogisticRegression, "fit", recording_fit)
    texts = ["Shelling hit Rafah overnight.", "Talks resumed in Cairo.", "Israel agreed to a truce."]
    records = [make_article(name, [f"{t} ({name})" for t in texts]) for name in ("g1", "s1")]
    for record in records:
        record["paragraphs"][2]["stance"]["ceasefire"] = "favor"
    gold, silver = [article_from_record(records[0])], [article_from_record(records[1])]
    getattr(baselines, fit_name)(gold, gold, silver=silver, silver_weight=0.25)
    assert seen and all(weights == [0.25, 1.0] for weights in seen)
