"""Stand-off labels: strip text from labelled external articles, attach it back, refuse mismatches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.cli import app
from stancewire.eval.standoff import attach_text, line_hash, load_documents, strip_text
from stancewire.models.schema import DataError, load_articles
from stancewire.models.taxonomy import load_taxonomy

DOCUMENTS = [
    {"id": "101", "document": "Shelling hit the port overnight.\n\nOfficials called for a truce.\nA pull quote line"},
    {"id": "202", "document": "Talks resumed in Doha.\nNo one was hurt."},
]


def without_wording(article) -> dict:
    """The article's record without title and summary, which stand-off files do not keep."""
    return {k: v for k, v in article.to_dict().items() if k not in ("title", "summary")}


@pytest.fixture
def files(tmp_path, jsonl, make_article):
    documents = jsonl(tmp_path / "docs.jsonl", DOCUMENTS)
    labelled = make_article("xsum-101", ["Shelling hit the port overnight.", "Officials called for a truce."])
    labelled["paragraphs"][1]["types"] = ["call_for_ceasefire"]
    labelled["paragraphs"][1]["stance"]["ceasefire"] = "favor"
    second = make_article("xsum-202", ["Talks resumed in Doha.", "No one was hurt."])
    return documents, jsonl(tmp_path / "labelled.jsonl", [labelled, second])


def test_strip_then_attach_gives_the_labelled_articles_back(files, tmp_path):
    documents, labelled = files
    records = strip_text(load_articles(labelled), load_documents(documents))
    assert [p["line"] for p in records[0]["paragraphs"]] == [0, 2]  # the blank line 1 is skipped
    assert "text" not in json.dumps(records)  # no text survives, only line numbers and hashes
    assert "Shelling" not in json.dumps(records) and "Title" not in json.dumps(records)
    standoff = tmp_path / "standoff.jsonl"
    standoff.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    back = attach_text(standoff, load_documents(documents))
    assert [without_wording(a) for a in back] == [without_wording(a) for a in load_articles(labelled)]
    assert back[0].title == "" and back[0].summary == ""  # titles and summaries are never kept


def test_a_changed_document_line_is_an_error_naming_the_article(files, tmp_path, jsonl):
    documents, labelled = files
    records = strip_text(load_articles(labelled), load_documents(documents))
    standoff = jsonl(tmp_path / "standoff.jsonl", records)
    edited = [dict(DOCUMENTS[0], document=DOCUMENTS[0]["document"].replace("truce", "pause")), DOCUMENTS[1]]
    with pytest.raises(DataError, match=r"standoff.jsonl:1: article 'xsum-101', paragraph 1: line 2 does not match"):
        attach_text(standoff, load_documents(jsonl(tmp_path / "edited.jsonl", edited)))
    with pytest.raises(DataError, match=r"standoff.jsonl:2: article 'xsum-202': no document with id '202'"):
        attach_text(standoff, load_documents(jsonl(tmp_path / "one.jsonl", DOCUMENTS[:1])))


def test_attached_labels_are_checked_against_the_taxonomy(tmp_path, jsonl):
    documents = load_documents(jsonl(tmp_path / "docs.jsonl", DOCUMENTS))
    bad = {"id": "xsum-202", "document": "202", "targets": ["Qatar"],
           "paragraphs": [{"line": 0, "sha1": line_hash("Talks resumed in Doha."), "types": ["talks"],
                           "stance": {"Qatar": "none"}}]}  # fmt: skip
    with pytest.raises(DataError, match="unknown type label 'talks'"):
        attach_text(jsonl(tmp_path / "standoff.jsonl", [bad]), documents)
    bad["paragraphs"][0]["line"] = 7
    with pytest.raises(DataError, match="paragraph 0: line 7 is not a line of the document"):
        attach_text(jsonl(tmp_path / "standoff.jsonl", [bad]), documents)


def test_strip_refuses_a_paragraph_that_is_not_in_its_document(tmp_path, jsonl, make_article):
    documents = load_documents(jsonl(tmp_path / "docs.jsonl", DOCUMENTS))
    labelled = jsonl(tmp_path / "l.jsonl", [make_article("xsum-202", ["Talks resumed in Doha.", "Invented."])])
    with pytest.raises(ValueError, match="'xsum-202', paragraph 1: its text is not a line of document '202'"):
        strip_text(load_articles(labelled), documents)


def test_cli_round_trip_and_clear_error(files, tmp_path):
    documents, labelled = files
    runner = CliRunner()
    standoff, joined = tmp_path / "standoff.jsonl", tmp_path / "joined.jsonl"
    result = runner.invoke(
        app, ["data", "strip-text", str(labelled), "--documents", str(documents), "--out", str(standoff)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["data", "attach-text", str(standoff), "--documents", str(documents), "--out", str(joined)]
    )
    assert result.exit_code == 0, result.output
    assert "2 articles" in result.output
    assert [without_wording(a) for a in load_articles(joined)] == [without_wording(a) for a in load_articles(labelled)]
    result = runner.invoke(app, ["data", "attach-text", str(standoff), "--documents", str(tmp_path / "nope.jsonl"),
                                 "--out", str(joined)])  # fmt: skip
    assert result.exit_code == 2


SHIPPED = Path(__file__).parents[2] / "fixtures" / "external" / "xsum-conflict.standoff.jsonl"
XSUM = Path(__file__).parents[3] / "shared" / "data" / "xsum_dev" / "xsum_dev.jsonl"


def test_the_shipped_standoff_file_holds_labels_and_no_text():
    taxonomy = load_taxonomy()
    records = [json.loads(line) for line in SHIPPED.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 20
    for record in records:
        assert set(record) == {"id", "document", "source", "date", "conflict", "targets", "paragraphs"}
        for paragraph in record["paragraphs"]:
            assert set(paragraph) == {"line", "sha1", "types", "stance"}
            assert set(paragraph["types"]) <= set(taxonomy.type_names)
            assert set(paragraph["stance"]) == set(record["targets"])
            assert set(paragraph["stance"].values()) <= set(taxonomy.stances)


@pytest.mark.skipif(not XSUM.exists(), reason="the XSum validation file is not on this machine")
def test_the_shipped_standoff_file_attaches_to_the_xsum_file():
    articles = attach_text(SHIPPED, load_documents(XSUM))
    assert (len(articles), sum(len(a.paragraphs) for a in articles)) == (20, 386)
