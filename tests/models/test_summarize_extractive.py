"""Extractive summarisers, sentence splitting, provenance and the method registry, on a tiny article."""

from __future__ import annotations

import re

import pytest

from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.schema import Article, Paragraph
from stancewire.models.summarize import Summary, available_summarizers, load_summarizer
from stancewire.models.summarize.extractive import MMRSummarizer
from stancewire.models.summarize.text import SourceDocument, align_provenance, split_paragraphs, split_sentences

PARAGRAPHS = [
    "Rebels of the M23 movement said on Monday they had taken control of Goma. Thousands of residents fled.",
    "Gunfire rang out near the airport in Goma through the night, residents said.",
    "The UN Secretary-General called on M23 to observe a ceasefire and withdraw from Goma.",
    "At least 13 peacekeepers have been killed in the past week, the UN mission said.",
    "Rwanda denied that its troops were fighting alongside the M23 rebels in Goma.",
    "Aid agencies said hospitals in Goma were overwhelmed and food was running out.",
]
ARTICLE = Article(id="t1", paragraphs=[Paragraph(p) for p in PARAGRAPHS], targets=["M23", "ceasefire"])
TYPES = [
    ["military_action"],
    ["military_action"],
    ["call_for_ceasefire"],
    ["casualty_report"],
    ["denial"],
    ["humanitarian"],
]


class FakeLabeler:
    """Returns fixed types per paragraph and records what it was asked."""

    def __init__(self, types):
        self.types = types
        self.calls = []

    def predict(self, paragraphs, targets=None):
        self.calls.append((list(paragraphs), targets))
        return [ParagraphPrediction(p, list(t), {label: 0.9 for label in t}) for p, t in zip(paragraphs, self.types)]


def test_sentence_splitting_keeps_abbreviations_and_numbers_together():
    text = 'The U.S. sent 1.5 million doses to No. 10 Downing St. in London. "We will not stop," Mr. Smith said.'
    assert split_sentences(text) == [
        "The U.S. sent 1.5 million doses to No. 10 Downing St. in London.",
        '"We will not stop," Mr. Smith said.',
    ]
    assert split_paragraphs("One.\nStill one.\n\n\nTwo.") == ["One. Still one.", "Two."]
    assert split_paragraphs("Line one.\nLine two.") == ["Line one.", "Line two."]


def test_lead_takes_the_first_sentences_with_their_paragraphs():
    summary = load_summarizer("lead", max_sentences=3).summarise(ARTICLE)
    assert summary.method == "extractive.lead.v1"
    assert summary.sentences == [
        "Rebels of the M23 movement said on Monday they had taken control of Goma.",
        "Thousands of residents fled.",
        "Gunfire rang out near the airport in Goma through the night, residents said.",
    ]
    assert summary.provenance == [[0], [0], [1]]
    assert summary.text == " ".join(summary.sentences)
    assert summary.guard is not None and summary.guard.passed
    assert summary.guard_before is None and summary.fallback is False


@pytest.mark.parametrize("method", ["textrank", "mmr", "label-aware"])
def test_ranking_methods_return_source_sentences_in_order(method):
    doc = SourceDocument.from_article(ARTICLE)
    summary = load_summarizer(method, max_sentences=2).summarise(ARTICLE)
    assert len(summary.sentences) == 2
    indices = [doc.sentences.index(s) for s in summary.sentences]
    assert indices == sorted(indices)
    assert summary.provenance == [[doc.sentence_paragraphs[i]] for i in indices]
    assert summary.guard.passed


def test_textrank_prefers_the_sentence_most_like_the_others():
    text = "Goma fell to the rebels. The rebels took Goma airport. Rebels hold Goma now. Bananas are yellow fruit."
    summary = load_summarizer("textrank", max_sentences=1).summarise(text)
    assert "Bananas" not in summary.text
    assert summary.method == "extractive.textrank.v1"


def test_mmr_skips_repeats_and_trades_relevance_for_diversity():
    text = "Rebels took the city of Goma. Rebels took the city of Goma. Aid agencies warned food in Goma is scarce."
    summary = load_summarizer("mmr", max_sentences=2).summarise(text)
    assert summary.sentences == ["Rebels took the city of Goma.", "Aid agencies warned food in Goma is scarce."]
    text = "Rebels took the city of Goma. Rebels took the city of Goma on Monday. Aid to Goma is scarce now."
    assert MMRSummarizer(max_sentences=2, diversity=0.0).summarise(text).sentences == [
        "Rebels took the city of Goma.",
        "Rebels took the city of Goma on Monday.",
    ]
    assert MMRSummarizer(max_sentences=2, diversity=0.6).summarise(text).sentences == [
        "Rebels took the city of Goma.",
        "Aid to Goma is scarce now.",
    ]


def test_label_aware_covers_key_types_after_the_lead():
    labeler = FakeLabeler(TYPES)
    summary = load_summarizer("label-aware", labeler=labeler, max_sentences=3).summarise(ARTICLE)
    assert summary.method == "extractive.label-aware.v1"
    assert summary.sentences == [
        "Rebels of the M23 movement said on Monday they had taken control of Goma.",
        "The UN Secretary-General called on M23 to observe a ceasefire and withdraw from Goma.",
        "At least 13 peacekeepers have been killed in the past week, the UN mission said.",
    ]
    assert summary.provenance == [[0], [2], [3]]
    assert labeler.calls == [(PARAGRAPHS, ["M23", "ceasefire"])]


def test_label_aware_without_labeler_is_lead_mmr():
    with_mmr = load_summarizer("lead-mmr", max_sentences=2).summarise(ARTICLE)
    fallback = load_summarizer("label-aware", max_sentences=2).summarise(ARTICLE)
    assert fallback.method == "extractive.lead-mmr.v1"
    assert fallback.sentences == with_mmr.sentences


def test_label_aware_rejects_a_labeller_returning_the_wrong_count():
    summarizer = load_summarizer("label-aware", labeler=FakeLabeler(TYPES[:2]))
    with pytest.raises(ValueError, match=re.escape("The labeller returned 2 predictions for 6 paragraphs")):
        summarizer.summarise(ARTICLE)


def test_plain_text_input_and_short_articles():
    summary = load_summarizer("lead", max_sentences=5).summarise("Shelling resumed.\nTwo died.")
    assert summary.sentences == ["Shelling resumed.", "Two died."]
    assert summary.provenance == [[0], [1]]
    assert load_summarizer("mmr").summarise("").sentences == []


def test_registry_names_aliases_and_errors():
    names = available_summarizers()
    for alias, versioned in [
        ("lead", "extractive.lead.v1"),
        ("textrank", "extractive.textrank.v1"),
        ("mmr", "extractive.mmr.v1"),
        ("lead-mmr", "extractive.lead-mmr.v1"),
        ("label-aware", "extractive.label-aware.v1"),
        ("llm", "abstractive.llm.v1"),
        ("hybrid", "hybrid.v1"),
    ]:
        assert alias in names and versioned in names
        assert load_summarizer(versioned).name == load_summarizer(alias).name
    with pytest.raises(ValueError, match=re.escape("Unknown summarisation method 'best'; expected one of [")):
        load_summarizer("best")
    with pytest.raises(ValueError, match=re.escape("max_sentences must be a positive integer; got 0.")):
        load_summarizer("lead", max_sentences=0)
    with pytest.raises(TypeError, match=re.escape("labeler must have a .predict(paragraphs, targets=None) method")):
        load_summarizer("label-aware", labeler=object())


def test_lead_mmr_prefers_early_sentences():
    text = (
        "Rebels took the airport of Goma on Monday.\n\n"
        "Fighting around Goma and its airport went on, and more fighting in Goma was reported.\n\n"
        "Aid groups said fighting near Goma had cut the road to the airport."
    )
    assert load_summarizer("mmr", max_sentences=1).summarise(text).sentences != [
        "Rebels took the airport of Goma on Monday."
    ]
    lead_first = load_summarizer("lead-mmr", max_sentences=1).summarise(text)
    assert lead_first.sentences == ["Rebels took the airport of Goma on Monday."]
    assert lead_first.method == "extractive.lead-mmr.v1"
    with pytest.raises(ValueError, match=re.escape("lead_bias and position_decay must be >= 0; got -1 and 1.0.")):
        MMRSummarizer(lead_bias=-1)


def test_summary_round_trip_and_checks():
    summary = load_summarizer("lead").summarise(ARTICLE)
    assert Summary.from_dict(summary.to_dict()) == summary
    with pytest.raises(ValueError, match=re.escape("got 1 sentences and 0 provenance lists")):
        Summary(text="A.", sentences=["A."], provenance=[], method="x")


def test_provenance_of_rewritten_sentences():
    assert align_provenance(["Goma fell to M23 rebels."], ["Rain fell.", "M23 rebels advanced.", "Goma fell."]) == [
        [1, 2]
    ]
    assert align_provenance(["Nothing shared here."], ["Goma fell."]) == [[]]


def test_same_input_same_summary():
    first = load_summarizer("textrank").summarise(ARTICLE)
    second = load_summarizer("textrank").summarise(ARTICLE)
    assert first.sentences == second.sentences


def test_method_names_give_one_short_name_per_registered_method():
    from stancewire.models.summarize.base import SUMMARIZERS, method_names, resolve_method

    names = method_names()
    assert {"lead", "mmr", "textrank", "llm", "hybrid", "label-aware"} <= set(names)
    assert sorted(resolve_method(n) for n in names) == sorted(SUMMARIZERS)  # each method once
    assert all(n in available_summarizers() for n in names)
