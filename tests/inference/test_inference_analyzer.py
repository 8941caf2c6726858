"""The Analyzer API: label, summarise, analyze; lazy summariser; JSON round trip of results."""

from __future__ import annotations

import json
import re

import pytest

from stancewire.inference.analyzer import Analyzer
from stancewire.inference.readers import ReadError
from stancewire.inference.results import ArticleAnalysis
from stancewire.models.schema import Article, Paragraph

ARTICLE = (
    "Israel and Hamas trade blame as Gaza talks stall\n\n"
    "Israeli strikes hit Rafah overnight, killing at least 12 people, the health ministry said.\n\n"
    "Hamas said Israel had rejected the latest proposal. Israel said Hamas was stalling.\n\n"
    "The UN chief urged an immediate ceasefire."
)


@pytest.fixture
def analyzer(tiny_classifier):
    return Analyzer.load(tiny_classifier, summarizer="lead", num_threads=None)


def test_label_str_or_list_with_default_or_given_targets(analyzer, tiny_classifier):
    single = analyzer.label("Hamas fired rockets at Israel.")
    assert list(single.stance) == ["Hamas", "Israel", "ceasefire"]
    labelled = analyzer.label(["Talks resumed.", "Shelling resumed."], targets=["M23"])
    assert [list(p.stance) for p in labelled] == [["M23"], ["M23"]]
    assert labelled[0].type_scores == tiny_classifier.predict("Talks resumed.", targets=["M23"]).type_scores
    assert analyzer.label(["Talks resumed."], targets=[])[0].stance == {}


def test_labelling_never_builds_the_summariser(tiny_classifier):
    analyzer = Analyzer.load(tiny_classifier, summarizer="hybrid", num_threads=None)
    analyzer.label(ARTICLE.split("\n\n"))
    result = analyzer.analyze(ARTICLE, summarise=False)
    assert analyzer._summarizer is None and result.summary is None


def test_analyze_text_gives_paragraphs_targets_and_a_summary(analyzer):
    result = analyzer.analyze(ARTICLE)
    assert result.title == "Israel and Hamas trade blame as Gaza talks stall"
    assert len(result.paragraphs) == 3
    assert (result.targets, result.target_source) == (["Israel", "Hamas", "ceasefire"], "gazetteer")
    assert result.summary.method == "extractive.lead.v1"
    assert result.summary.provenance[0] == [0]
    assert result.content_hash.startswith("sha256:")
    restored = ArticleAnalysis.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result
    assert result.type_counts() == restored.type_counts()
    assert sum(result.stance_counts().values()) == 3 * 3


def test_analyze_files_html_and_articles(analyzer, tmp_path, make_article):
    path = tmp_path / "story.md"
    path.write_text(
        "# Goma falls\n\nM23 rebels said they had taken Goma. Rwanda denied backing them.", encoding="utf-8"
    )
    by_path = analyzer.analyze(path, summarise=False)
    assert (by_path.path, by_path.title, by_path.targets) == (str(path), "Goma falls", ["M23", "Rwanda", "ceasefire"])
    assert analyzer.analyze(str(path), summarise=False).content_hash == by_path.content_hash
    page = "<!DOCTYPE html><html><body><p>Houthi forces fired missiles at a ship, the army said.</p></body></html>"
    assert analyzer.analyze(page, summarise=False).targets == ["Houthis", "ceasefire"]
    record = tmp_path / "a.json"
    record.write_text(json.dumps(make_article("a1", ["Talks resumed in Doha."], targets=("Qatar",))), encoding="utf-8")
    from_json = analyzer.analyze(record, summarise=False)
    assert (from_json.id, from_json.targets, from_json.target_source) == ("a1", ["Qatar"], "article")
    article = Article(id="x", paragraphs=[Paragraph("Talks resumed.")], targets=["Hamas"])
    assert analyzer.analyze(article, targets=["Israel"], summarise=False).targets == ["Israel"]
    assert article.targets == ["Hamas"]  # the caller's article is not changed


def test_analyze_articles_batches_and_keeps_order(analyzer):
    articles = [Article(id=str(i), paragraphs=[Paragraph(f"Paragraph {i} about Hamas.")]) for i in range(5)]
    results = analyzer.analyze_articles(articles, content_hashes=["h"] * 5)
    assert [r.id for r in results] == ["0", "1", "2", "3", "4"]
    assert all(r.content_hash == "h" and r.targets == ["Hamas", "ceasefire"] for r in results)
    with pytest.raises(ValueError, match=re.escape("Got 1 content hashes for 5 articles; give one per article.")):
        analyzer.analyze_articles(articles, content_hashes=["h"])


def test_summarise_and_its_errors(analyzer, tiny_classifier, tmp_path):
    summary = analyzer.summarise(ARTICLE)
    assert summary.text.startswith("Israeli strikes hit Rafah") and summary.guard is not None
    with pytest.raises(ValueError, match=re.escape("This Analyzer has no summariser (summarizer=None)")):
        Analyzer.load(tiny_classifier, summarizer=None, num_threads=None).summarise(ARTICLE)
    with pytest.raises(TypeError, match=re.escape("summarizer must be a method name such as 'hybrid'")):
        Analyzer.load(tiny_classifier, summarizer=3, num_threads=None)
    (tmp_path / "two.jsonl").write_text('{"id": "a", "text": "One."}\n{"id": "b", "text": "Two."}\n')
    with pytest.raises(ReadError, match=re.escape("expected one article, found 2 articles; use analyze_articles")):
        analyzer.analyze(tmp_path / "two.jsonl")
    with pytest.raises(ReadError, match=re.escape("text: no paragraphs found")):
        analyzer.analyze("  \n ")


def test_load_by_path_and_unknown_name(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path / "model")
    analyzer = Analyzer.load(tmp_path / "model", summarizer=None, num_threads=None)
    assert analyzer.model_name == str(tmp_path / "model")
    with pytest.raises(FileNotFoundError, match=re.escape("No model named 'nope' and no saved model folder")):
        Analyzer.load("nope", num_threads=None)


@pytest.mark.slow
def test_hybrid_summary_with_the_bundled_llm_loads_it_only_when_asked(tiny_classifier):
    analyzer = Analyzer.load(tiny_classifier, summarizer="hybrid", num_threads=None)
    analyzer.label(ARTICLE.split("\n\n")[1:])
    assert analyzer._summarizer is None
    result = analyzer.analyze(ARTICLE)
    assert result.summary.method == "hybrid.v1" or result.summary.fallback
    assert result.summary.text and result.summary.guard is not None and result.summary.guard_before is not None
