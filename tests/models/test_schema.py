from __future__ import annotations

import re

import pytest

from stancewire.models.datasets import paragraph_dataset, stance_dataset
from stancewire.models.schema import DataError, load_articles


def test_load_articles_and_flat_paragraphs(tmp_path, make_article, jsonl):
    jsonl(tmp_path / "a.jsonl", [make_article("a1", ["Shelling resumed overnight.", "Markets were calm."])])
    jsonl(
        tmp_path / "b.jsonl",
        [{"id": "p1", "text": "Talks resumed.", "types": ["diplomacy"], "stance": {"X": "favor"}}],
    )
    articles = load_articles(tmp_path)
    assert [a.id for a in articles] == ["a1", "p1"]
    assert articles[0].paragraphs[0].types == ("military_action",)
    assert articles[1].targets == ["X"]
    assert articles[0].line == 1 and articles[0].path.endswith("a.jsonl")


def test_datasets_have_one_row_per_paragraph_and_per_pair(make_article):
    from stancewire.models.schema import article_from_record

    art = article_from_record(make_article("a1", ["One.", "Two."]))
    paragraphs = paragraph_dataset([art])
    assert paragraphs.num_rows == 2
    assert paragraphs[0]["labels"] == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert paragraphs[1]["labels"] == [0.0] * 9
    pairs = stance_dataset([art])
    assert pairs.num_rows == 4
    assert set(pairs["target"]) == {"Israel", "ceasefire"}
    assert pairs[0]["label"] == 2  # "none"
    assert pairs[0]["article_id"] == "a1"


def test_loader_errors_name_file_line_and_field(tmp_path, make_article, jsonl):
    bad = make_article("a1", ["Text."])
    bad["paragraphs"][0]["types"] = ["war"]
    path = jsonl(tmp_path / "bad.jsonl", [make_article("a0", ["Fine."]), bad])
    with pytest.raises(DataError, match=re.escape(f"{path}:2: paragraphs[0]: unknown type label 'war'")):
        load_articles(path)
    path = jsonl(tmp_path / "broken.jsonl", ['{"id": "x", '])
    with pytest.raises(DataError, match=re.escape(f"{path}:1: malformed JSON")):
        load_articles(path)
    with pytest.raises(FileNotFoundError, match="No data file or folder at"):
        load_articles(tmp_path / "missing.jsonl")
