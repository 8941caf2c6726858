"""Reports: results.json, report.md and report.html are written by the CLI and parse; compare flags changes."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from stancewire.cli_eval import eval_app
from stancewire.eval.compare import compare_results
from stancewire.eval.report_md import render_markdown
from stancewire.eval.results import read_results, write_results

VOID = {"meta", "img", "br", "hr", "input", "link", "source", "wbr", "col", "area", "base", "embed", "track"}


class StrictParser(HTMLParser):
    """Fails on a closing tag that does not match the open one; records images and external references."""

    def __init__(self):
        super().__init__()
        self.stack, self.images, self.external, self.ids = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "img":
            self.images.append(attrs)
        self.ids += [attrs["id"]] if "id" in attrs else []
        self.external += [v for k, v in attrs.items() if k in ("src", "href") and v and re.match(r"(https?:)?//", v)]

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()


def parse_html(text):
    parser = StrictParser()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed tags {parser.stack}"
    return parser


def fake_models(fakes):
    return {
        "keywords": lambda: fakes.FakeLabeler("keywords", fakes.keyword_decide),
        "random": lambda: fakes.FakeLabeler("random", fakes.random_decide_factory(3)),
    }


@pytest.fixture
def fake_registry(monkeypatch, fakes):
    """Make load_labeler return fake models for the names 'keywords' and 'random'."""
    models = fake_models(fakes)
    monkeypatch.setattr("stancewire.eval.predict.load_labeler", lambda name: models[str(name)]())
    monkeypatch.setattr("stancewire.eval.predict.available_models", lambda: sorted(models))


def run_classify(tmp_path, data, *extra):
    out = tmp_path / "report"
    args = ["classify", "--models", "keywords,random", "--data", str(data), "--out", str(out), "--resamples", "100"]
    result = CliRunner().invoke(eval_app, [*args, "--latency-runs", "2", *extra])
    assert result.exit_code == 0, result.output
    return out, result


@pytest.fixture(scope="module")
def classify_run(tmp_path_factory, fakes):
    """One CLI classify run on 8 articles with two fake models, shared by the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("classify")
    data = tmp_path / "test.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in fakes.make_corpus(8)) + "\n")
    models = fake_models(fakes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("stancewire.eval.predict.load_labeler", lambda name: models[str(name)]())
        patch.setattr("stancewire.eval.predict.available_models", lambda: sorted(models))
        return run_classify(tmp_path, data)


def test_cli_classify_writes_results_markdown_and_self_contained_html(classify_run):
    out, result = classify_run
    assert "ranked by types_macro_f1" in result.output
    results = read_results(out / "results.json")
    assert [m["name"] for m in results["datasets"][0]["models"]] == ["keywords", "random"]
    for estimate in results["datasets"][0]["models"][0]["metrics"].values():
        assert set(estimate) == {"value", "low", "high"}
    assert results["environment"]["packages"]["numpy"] and results["config"]["n_resamples"] == 100
    markdown = (out / "report.md").read_text()
    assert "**Leaderboard**" in markdown and "| 1 | keywords |" in markdown
    assert "the 20 most confident wrong predictions" in markdown
    html = (out / "report.html").read_text()
    parsed = parse_html(html)
    assert parsed.external == [] and "<script" not in html
    assert "leaderboard-0" in parsed.ids
    # speed scatter + per-label bars + 2 stance confusions + 2 reliability diagrams
    assert len(parsed.images) == 6
    assert all(img["src"].startswith("data:image/png;base64,iVBOR") for img in parsed.images)
    assert 'name="viewport"' in html


def test_cli_classify_reports_a_data_error_with_file_and_line(tmp_path, fake_registry):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x", "types": ["nope"], "stance": {}}\n')
    args = ["classify", "--models", "keywords", "--data", str(bad), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(eval_app, args)
    assert result.exit_code == 2
    assert f"{bad}:1: unknown type label 'nope'" in " ".join(result.output.split())


def test_cli_summarise_and_reports(tmp_path, monkeypatch, corpus_file):
    class Lead:
        name = "lead-fake"

        def summarise(self, article):
            from stancewire.models.summarize import Summary

            text = article.paragraphs[0].text
            return Summary(text=text, sentences=[text], provenance=[[0]], method="lead-fake")

    monkeypatch.setattr("stancewire.models.summarize.load_summarizer", lambda method, labeler=None, llm=None: Lead())
    out = tmp_path / "s"
    args = ["summarise", "--methods", "lead", "--data", str(corpus_file(5)), "--out", str(out), "--limit", "3"]
    result = CliRunner().invoke(eval_app, [*args, "--resamples", "50"])
    assert result.exit_code == 0, result.output
    results = read_results(out / "results.json")
    assert results["datasets"][0]["n_articles"] == 3 and results["config"]["limit"] == 3
    assert "ROUGE-Lsum" in (out / "report.md").read_text()
    parsed = parse_html((out / "report.html").read_text())
    assert len(parsed.images) == 2 and parsed.external == []


def test_compare_flags_changes_outside_the_intervals(tmp_path, classify_run):
    out, _ = classify_run
    old = read_results(out / "results.json")
    new = copy.deepcopy(old)
    metric = new["datasets"][0]["models"][0]["metrics"]["types_micro_f1"]
    metric.update(value=metric["high"] + 0.2, low=metric["high"] + 0.1, high=metric["high"] + 0.3)
    new["config"]["seed"] = 99
    comparison = compare_results(old, new)
    assert [(c.system, c.metric) for c in comparison.flagged] == [("keywords", "types_micro_f1")]
    assert "config seed: 13 -> 99" in comparison.notes
    assert compare_results(old, old).flagged == []
    new_file = write_results(new, tmp_path / "new.json")
    result = CliRunner().invoke(eval_app, ["compare", str(out / "results.json"), str(new_file)])
    assert result.exit_code == 0, result.output
    assert "outside" in result.output and "1 of 16 metrics changed beyond their intervals." in result.output


def test_results_file_checks_schema_and_reports_render_from_it(tmp_path, classify_run):
    out, _ = classify_run
    results = read_results(out / "results.json")
    assert render_markdown(results) == (out / "report.md").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**results, "schema": "other.v9"}))
    with pytest.raises(ValueError, match=re.escape(f"{bad}: field 'schema' is 'other.v9'; expected one of")):
        read_results(bad)
    bad.write_text("{")
    with pytest.raises(ValueError, match=re.escape(f"{bad}:1: results file is not valid JSON")):
        read_results(bad)
    with pytest.raises(ValueError, match=re.escape("Cannot compare a classify run (a) with a summarise run (b).")):
        compare_results(results, {**results, "kind": "summarise"})
