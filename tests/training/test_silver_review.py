"""The review loop: export most doubtful first (CSV, Label Studio), import decisions into gold with provenance."""

from __future__ import annotations

import csv
import json
import re

import pytest

from stancewire.models.schema import load_articles
from stancewire.training.review import export_review, import_review


def silver_paragraph(index, text, types, confidence, agreement=None, disputed=()):
    silver = {
        "index": index,
        "status": "ok",
        "label_confidence": {"types": {"diplomacy": confidence}, "stance": {"Israel": min(1.0, confidence + 0.1)}},
        "model": "llama-cpp:m.gguf",
        "prompt": "silver.v1:abc",
        "method": "logprobs.v1",
    }
    if agreement is not None:
        silver["classifier"] = {
            "types": [],
            "stance": {"Israel": "none"},
            "agreement": agreement,
            "disputed": list(disputed),
        }
    return {"text": text, "types": types, "stance": {"Israel": "favor"}, "confidence": confidence, "silver": silver}


@pytest.fixture
def silver_files(tmp_path, jsonl):
    article = {
        "id": "a1", "title": "T", "source": "wire", "date": "2024-01-02", "conflict": "israel-gaza",
        "targets": ["Israel"], "summary": "",
        "paragraphs": [
            silver_paragraph(0, "Sure one.", ["diplomacy"], 0.95, agreement=0.9),
            silver_paragraph(2, "Disputed one.", ["diplomacy"], 0.9, agreement=0.2, disputed=["type:diplomacy"]),
            silver_paragraph(3, "Unsure one.", [], 0.4, agreement=1.0),
        ],
    }  # fmt: skip
    silver = jsonl(tmp_path / "silver.jsonl", [article])
    failure = {"id": "a1", "title": "T", "source": "wire", "date": "", "conflict": "israel-gaza", "index": 1,
               "text": "Failed one.", "targets": ["Israel"], "model": "m", "problems": ["not JSON"]}  # fmt: skip
    failed = jsonl(tmp_path / "silver.failed.jsonl", [failure])
    return silver, failed


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_export_puts_failed_then_least_confident_or_most_disputed_first(tmp_path, silver_files):
    silver, failed = silver_files
    export_review(silver, tmp_path / "review.csv", failed=failed)
    rows = read_rows(tmp_path / "review.csv")
    assert [r["text"] for r in rows] == ["Failed one.", "Disputed one.", "Unsure one.", "Sure one."]
    assert [r["priority"] for r in rows] == ["-1.000", "0.200", "0.400", "0.900"]
    assert rows[0]["stance"] == "Israel=?" and rows[0]["weakest"] == "not JSON"
    assert rows[1]["item_id"] == "a1#2" and rows[1]["disputed"] == "type:diplomacy"
    assert rows[1]["types"] == "diplomacy" and rows[1]["stance"] == "Israel=favor"
    assert rows[2]["weakest"] == "type:diplomacy=0.40; stance:Israel=0.50"
    assert len(read_rows(export_review(silver, tmp_path / "top.csv", limit=2)[0])) == 2


def test_import_merges_accepted_and_edited_rows_into_gold_with_provenance(tmp_path, silver_files, jsonl, make_article):
    silver, failed = silver_files
    export_review(silver, tmp_path / "review.csv", failed=failed)
    rows = read_rows(tmp_path / "review.csv")
    rows[0].update(types="Military Action", stance="Israel=against", decision="edit", annotator="rana")
    rows[1].update(decision="accept")
    rows[2].update(decision="skip")
    write_rows(tmp_path / "review.csv", rows)
    gold = jsonl(tmp_path / "gold.jsonl", [make_article("old", ["Already gold."], targets=["Israel"])])
    report = import_review(tmp_path / "review.csv", gold, annotator="ali")
    assert (report.added, report.updated, report.skipped, report.articles) == (2, 0, 2, 2)
    articles = {a.id: a for a in load_articles(gold, strict=True)}
    assert [p.text for p in articles["a1"].paragraphs] == ["Failed one.", "Disputed one."]
    assert articles["a1"].paragraphs[0].types == ("military_action",)
    records = [json.loads(line) for line in gold.read_text().splitlines()]
    edited, accepted = records[1]["paragraphs"]
    assert edited["review"]["labelled_by"] == "human" and edited["review"]["annotator"] == "rana"
    assert accepted["review"]["labelled_by"] == "llm-accepted-by-human" and accepted["review"]["annotator"] == "ali"
    assert accepted["review"]["llm"]["model"] == "llama-cpp:m.gguf" and accepted["review"]["llm"]["types"] == [
        "diplomacy"
    ]
    assert not accepted["review"]["changed"] and edited["review"]["index"] == 1
    again = import_review(tmp_path / "review.csv", gold, annotator="ali")
    assert (again.added, again.updated) == (0, 2)


def test_import_errors_name_the_row_and_column(tmp_path, silver_files):
    silver, _ = silver_files
    export_review(silver, tmp_path / "review.csv")
    rows = read_rows(tmp_path / "review.csv")
    rows[0].update(decision="accept", types="war")
    write_rows(tmp_path / "review.csv", rows)
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'review.csv'}:2: column 'annotator' is empty")):
        import_review(tmp_path / "review.csv", tmp_path / "gold.jsonl")
    with pytest.raises(ValueError, match=re.escape("review.csv:2: column 'types': unknown type label 'war'")):
        import_review(tmp_path / "review.csv", tmp_path / "gold.jsonl", annotator="ali")
    rows[0].update(types="", stance="Israel=pro")
    write_rows(tmp_path / "review.csv", rows)
    with pytest.raises(ValueError, match=re.escape("column 'stance': stance 'pro' for 'Israel'; expected one of")):
        import_review(tmp_path / "review.csv", tmp_path / "gold.jsonl", annotator="ali")
    assert not (tmp_path / "gold.jsonl").exists()


def test_label_studio_round_trip(tmp_path, silver_files):
    silver, failed = silver_files
    tasks_path, interface = export_review(silver, tmp_path / "review.json", fmt="label-studio", failed=failed)
    assert '<Choices name="stance:Israel" toName="text" choice="single-radio">' in interface.read_text()
    tasks = json.loads(tasks_path.read_text())
    assert [t["data"]["text"] for t in tasks][:2] == ["Failed one.", "Disputed one."]
    assert "predictions" not in tasks[0] and tasks[1]["predictions"][0]["score"] == 0.9
    tasks[0]["annotations"] = [
        {"completed_by": {"email": "rana@example.org"}, "result": [
            {"from_name": "types", "to_name": "text", "type": "choices", "value": {"choices": ["casualty_report"]}},
            {"from_name": "stance:Israel", "to_name": "text", "type": "choices", "value": {"choices": ["against"]}},
        ]}
    ]  # fmt: skip
    tasks[1]["annotations"] = [{"completed_by": 7, "result": tasks[1]["predictions"][0]["result"]}]
    tasks[2]["annotations"] = [{"completed_by": 7, "was_cancelled": True, "result": []}]
    tasks_path.write_text(json.dumps(tasks))
    report = import_review(tasks_path, tmp_path / "gold.jsonl")
    assert (report.added, report.skipped) == (2, 2)
    records = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()]
    first, second = records[0]["paragraphs"]
    assert first["types"] == ["casualty_report"] and first["stance"] == {"Israel": "against"}
    assert first["review"]["annotator"] == "rana@example.org" and first["review"]["labelled_by"] == "human"
    assert second["review"]["annotator"] == "label-studio-user-7" and second["review"]["decision"] == "accept"


def test_unknown_export_format_is_an_error(tmp_path, silver_files):
    with pytest.raises(
        ValueError, match=re.escape("Unknown review format 'xlsx'; expected one of ['csv', 'label-studio']")
    ):
        export_review(silver_files[0], tmp_path / "r.xlsx", fmt="xlsx")
