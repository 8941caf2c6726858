"""The summariser harness with fake summarisers: data formats, ROUGE, faithfulness, limits, errors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from stancewire.eval.faithfulness import Faithfulness, support_counts
from stancewire.eval.summarise import SummarisationEvaluator, SummariseConfig, evaluate_summarisers
from stancewire.eval.summary_data import load_summary_dataset
from stancewire.eval.summary_metrics import rouge
from stancewire.models.schema import DataError

FAST = SummariseConfig(n_resamples=200)


@dataclass
class FakeReport:
    unsupported_numbers: list = field(default_factory=list)
    unsupported_entities: list = field(default_factory=list)

    @property
    def passed(self):
        return not (self.unsupported_numbers or self.unsupported_entities)


@dataclass
class FakeSummary:
    text: str
    sentences: list
    guard_before: FakeReport | None = None
    fallback: bool = False


class Copier:
    """Returns the reference summary (perfect ROUGE), or the last paragraph."""

    def __init__(self, name, perfect=False, draft=None):
        self.name, self.perfect, self.draft = name, perfect, draft

    def summarise(self, article):
        text = article.summary if self.perfect else article.paragraphs[-1].text
        return FakeSummary(text, [text], guard_before=self.draft, fallback=self.draft is not None)


def count_nothing(summary, article):
    draft = summary.guard_before
    return Faithfulness(
        numbers=2,
        numbers_ok=1,
        entities=1,
        entities_ok=1,
        passed=False,
        draft_bad_numbers=len(draft.unsupported_numbers) if draft else None,
        draft_bad_entities=len(draft.unsupported_entities) if draft else None,
        draft_passed=draft.passed if draft else None,
    )


def xsum_file(tmp_path, n=5, empty_at=None):
    rows = []
    for i in range(n):
        document = "" if i == empty_at else f"Storm {i} hit the coast on Monday.\nPower was cut to {i + 100} homes."
        rows.append({"id": str(i), "document": document, "summary": f"A storm cut power to {i + 100} homes."})
    path = tmp_path / "xsum.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_rouge_by_hand_with_stemming_and_lsum():
    scores = rouge(["Rebels took Goma."], "Rebels took the city of Goma.")
    # unigrams: 3 shared of 3 predicted and 6 reference -> P 1, R 0.5, F 2/3 (stopwords count in rouge-score).
    assert scores["rouge1"] == pytest.approx(2 / 3)
    assert rouge(["The rebels attacked."], "The rebel attacks.")["rouge1"] == pytest.approx(1.0)  # stemming
    two = rouge(["Talks stalled.", "Rebels took Goma."], "Rebels took Goma. Talks stalled.")
    assert two["rougeLsum"] == pytest.approx(1.0) and two["rougeL"] < 1.0


def test_xsum_format_paragraphs_limit_and_skipped_empty_documents(tmp_path):
    dataset = load_summary_dataset(xsum_file(tmp_path, n=5, empty_at=1), limit=3)
    assert dataset.format == "xsum" and dataset.n_skipped == 1
    assert [a.id for a in dataset.articles] == ["0", "2", "3"]
    assert [p.text for p in dataset.articles[0].paragraphs] == [
        "Storm 0 hit the coast on Monday.",
        "Power was cut to 100 homes.",
    ]


def test_xsum_and_fixture_errors_name_file_and_line(tmp_path, corpus_file):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "1", "document": "a", "summary": "b"}\n{"id": "2", "document": "a"}\n')
    with pytest.raises(DataError, match=re.escape(f"{path}:2: missing field(s) ['summary']; XSum-style lines")):
        load_summary_dataset(path)
    bad = corpus_file(2)
    bad.write_text(bad.read_text() + "not json\n")
    with pytest.raises(DataError, match=re.escape(f"{bad}:3: malformed JSON")):
        load_summary_dataset(bad)
    with pytest.raises(ValueError, match=re.escape("limit must be a positive number of articles; got 0.")):
        load_summary_dataset(bad, limit=0)


def test_perfect_summariser_wins_and_draft_metrics_only_for_guarded_methods(corpus_file):
    results = evaluate_summarisers(
        [Copier("last-paragraph"), Copier("oracle", perfect=True), Copier("llm-ish", draft=FakeReport(["9"], ["X"]))],
        corpus_file(8),
        config=FAST,
        counter=count_nothing,
    )
    methods = {m["name"]: m for m in results["datasets"][0]["methods"]}
    assert results["datasets"][0]["methods"][0]["name"] == "oracle"
    assert methods["oracle"]["metrics"]["rougeL"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert methods["oracle"]["metrics"]["numbers_supported"]["value"] == 0.5
    assert methods["oracle"]["metrics"]["draft_pass_rate"]["value"] is None
    assert methods["llm-ish"]["guarded_draft"] and methods["llm-ish"]["metrics"]["fallback_rate"]["value"] == 1.0
    assert methods["llm-ish"]["metrics"]["unsupported_numbers_before_guard"]["value"] == 1.0
    assert methods["llm-ish"]["metrics"]["draft_pass_rate"]["value"] == 0.0
    rouge_tests = [c for c in results["datasets"][0]["comparisons"] if c["metric"] == "rougeL"]
    assert len(rouge_tests) == 3
    versus_oracle = next(c for c in rouge_tests if {c["a"], c["b"]} == {"oracle", "last-paragraph"})
    assert versus_oracle["significant"]
    assert results["kind"] == "summarise" and results["datasets"][0]["format"] == "articles"


def test_evaluator_callable_returns_flat_metrics(tmp_path):
    evaluator = SummarisationEvaluator(load_summary_dataset(xsum_file(tmp_path)), FAST, counter=count_nothing)
    flat = evaluator(Copier("oracle", perfect=True))
    assert flat["primary_metric"] == "rougeL" and flat["rougeL"] == 1.0 and flat["rougeL_low"] == 1.0
    assert flat["compression_ratio"] > 0


def test_support_counts_uses_the_guards_rules():
    source = "The health ministry said 85 per cent of Gaza's population had been displaced."
    assert support_counts("The health ministry said 85% of Gazans were displaced.", source) == (1, 1, 1, 1, True)
    numbers, numbers_ok, *_ = support_counts("The ministry said 85,000 were displaced.", source)
    assert (numbers, numbers_ok) == (1, 0)


def test_bad_config_and_empty_methods_are_explained(corpus_file):
    with pytest.raises(ValueError, match=re.escape("primary_metric must be one of ['rouge1'")):
        SummariseConfig(primary_metric="bleu")
    with pytest.raises(ValueError, match=re.escape("No summarisation method to evaluate; give at least one")):
        evaluate_summarisers([], corpus_file(2))
