"""The classifier harness end to end, with fake labellers (no weights)."""

from __future__ import annotations

import json
import re

import pytest

from stancewire.eval.classify import ClassificationEvaluator, ClassifyConfig, evaluate_classifiers, load_dataset
from stancewire.eval.labelmap import LabelMap
from stancewire.models.schema import DataError

FAST = ClassifyConfig(n_resamples=200, latency_runs=3, warmup=2)


def perfect_for(path, fakes):
    table = fakes.gold_lookup(load_dataset(path).articles)
    return fakes.FakeLabeler("perfect", lambda text, targets: table[text], confidence=1.0)


def test_perfect_model_scores_one_and_ranks_first(corpus_file, fakes):
    path = corpus_file(15)
    results = evaluate_classifiers(
        [
            fakes.FakeLabeler("random", fakes.random_decide_factory(0)),
            perfect_for(path, fakes),
            fakes.FakeLabeler("keywords", fakes.keyword_decide),
        ],
        [path],
        config=FAST,
    )
    dataset = results["datasets"][0]
    assert [m["name"] for m in dataset["models"]][0] == "perfect"
    best = dataset["models"][0]["metrics"]
    for metric in ("types_micro_f1", "types_macro_f1", "types_exact_match", "stance_accuracy"):
        assert best[metric] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert best["types_ece"]["value"] == 0.0
    assert dataset["models"][0]["errors"] == []
    values = [m["metrics"]["types_macro_f1"]["value"] for m in dataset["models"]]
    assert values == sorted(values, reverse=True)
    assert len(dataset["comparisons"]) == 3 * 6  # 3 pairs x 6 compared metrics
    speed = dataset["models"][0]["speed"]
    assert speed["batch_size"] == 32 and speed["paragraphs_per_second"] > 0 and speed["size_mb"] > 0
    assert results["schema"] == "stancewire.eval-results.v1" and results["kind"] == "classify"
    assert list(dataset["hashes"]) == [str(path)]


def test_stance_is_predicted_for_each_articles_targets_with_one_batch_size(tmp_path, corpus_file, fakes):
    records = fakes.make_corpus(3, targets=("Hamas",)) + fakes.make_corpus(2, seed=1, targets=("Israel", "ceasefire"))
    for i, record in enumerate(records):
        record["id"] = f"r{i}"
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    model = fakes.FakeLabeler("keywords", fakes.keyword_decide)
    evaluate_classifiers([model], [path], config=ClassifyConfig(n_resamples=20, measure_speed=False, warmup=0))
    assert {targets for _, targets, _ in model.calls} == {("Hamas",), ("Israel", "ceasefire")}
    assert {batch for _, _, batch in model.calls} == {32}


def test_keyword_model_metrics_match_a_direct_count(corpus_file, fakes):
    path = corpus_file(10)
    dataset = load_dataset(path)
    report = ClassificationEvaluator(dataset, FAST).evaluate(fakes.FakeLabeler("keywords", fakes.keyword_decide))
    gold = [p.types for a in dataset.articles for p in a.paragraphs]
    pred = [fakes.keyword_decide(p.text, [])[0] for a in dataset.articles for p in a.paragraphs]
    exact = sum(set(g) == set(p) for g, p in zip(gold, pred, strict=True)) / len(gold)
    assert report["metrics"]["types_exact_match"]["value"] == pytest.approx(exact)
    confusions = {(c["predicted"], c["gold"]): c["count"] for c in report["type_confusions"]}
    missed_accusation = sum("accusation" in g and "accusation" not in p for g, p in zip(gold, pred, strict=True))
    assert confusions[("(nothing)", "accusation")] == missed_accusation
    assert len(report["errors"]) == min(20, len(report["errors"])) and report["errors"][0]["confidence"] == 0.9


def test_evaluator_is_a_callable_returning_a_flat_dict(corpus_file, fakes):
    flat = ClassificationEvaluator(load_dataset(corpus_file(6)), FAST)(
        fakes.FakeLabeler("keywords", fakes.keyword_decide)
    )
    assert flat["primary_metric"] == "types_macro_f1"
    assert all(isinstance(v, float | str | type(None)) for v in flat.values())
    assert flat["types_macro_f1_low"] <= flat["types_macro_f1"] <= flat["types_macro_f1_high"]


def test_external_set_scored_through_a_label_map(tmp_path, fakes):
    rows = [
        {"id": "x1", "text": "Shelling hit the port.", "types": ["violence"], "stance": {}},
        {"id": "x2", "text": "Aid trucks crossed.", "types": ["aid"], "stance": {}},
        {"id": "x3", "text": "Residents protested the fuel price.", "types": ["other"], "stance": {}},
        {"id": "x4", "text": "Talks on a truce began.", "types": ["politics"], "stance": {}},
    ]
    data = tmp_path / "coarse.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps(fakes.COARSE))
    results = evaluate_classifiers(
        [fakes.FakeLabeler("keywords", fakes.keyword_decide)], [data], label_maps=[map_file], config=FAST
    )
    dataset = results["datasets"][0]
    model = dataset["models"][0]
    assert dataset["labels"] == ["politics", "violence", "aid", "other"]
    # keyword hits: shell -> military_action -> violence; aid -> aid; none -> other; talks+truce -> politics.
    assert model["metrics"]["types_exact_match"]["value"] == 1.0
    assert model["metrics"]["stance_accuracy"]["value"] is None  # no gold stance in this set
    assert dataset["label_map"]["none_of_ours"] == "other"


def test_malformed_data_names_file_and_line(tmp_path, corpus_file, fakes):
    path = corpus_file(2)
    with path.open("a") as handle:
        handle.write('{"id": "bad", "paragraphs": [{"text": "x", "types": ["nonsense"]}]}\n')
    with pytest.raises(DataError, match=re.escape(f"{path}:3: paragraphs[0]: unknown type label 'nonsense'")):
        evaluate_classifiers([fakes.FakeLabeler("k", fakes.keyword_decide)], [path], config=FAST)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "text": "x"}\n{"id": \n')
    with pytest.raises(DataError, match=re.escape(f"{broken}:2: malformed JSON")):
        load_dataset(broken)


def test_wrong_prediction_count_and_bad_config_are_explained(corpus_file, fakes):
    class Broken(fakes.FakeLabeler):
        def predict(self, paragraphs, targets=None, batch_size=32):
            return super().predict(paragraphs, targets, batch_size)[:1]

    with pytest.raises(ValueError, match=re.escape("Model 'broken' returned 1 predictions for")):
        evaluate_classifiers([Broken("broken", fakes.keyword_decide)], [corpus_file(3)], config=FAST)
    with pytest.raises(ValueError, match=re.escape("primary_metric must be one of ['types_micro_f1'")):
        ClassifyConfig(primary_metric="accuracy")
    with pytest.raises(
        ValueError, match=re.escape("Got 2 label maps for 1 data sets; give one, or one per data set.")
    ):
        evaluate_classifiers([fakes.FakeLabeler("k", fakes.keyword_decide)], [corpus_file(2)], label_maps=[None, None])
    assert LabelMap.from_dict({"types": {"a": "x"}}).labels == ("x",)
