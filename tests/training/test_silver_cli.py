"""The thin CLI of `stancewire silver` and `stancewire review export|import`."""

from __future__ import annotations

import csv
import json

import typer
from typer.testing import CliRunner

from stancewire import cli_silver


def app() -> typer.Typer:
    root = typer.Typer()
    root.command("silver")(cli_silver.silver)
    root.add_typer(cli_silver.review_app, name="review")
    return root


def test_silver_reports_a_missing_input_and_a_bad_setting(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app(), ["silver", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 2
    assert f"No input file or folder at {tmp_path / 'none.jsonl'}" in " ".join(result.output.split())
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "text": "Talks resumed."}) + "\n")
    result = runner.invoke(
        app(), ["silver", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "s.jsonl"), "--shots", "0",
                "--classifier", "none", "--confidence", "agreement", "--k", "1"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Confidence by agreement needs k >= 2 samples" in " ".join(result.output.split())


def test_review_export_then_import(tmp_path):
    paragraph = {"text": "Talks resumed.", "types": ["diplomacy"], "stance": {"UN": "favor"}, "confidence": 0.7,
                 "silver": {"index": 0, "status": "ok", "model": "m", "prompt": "silver.v1:x"}}  # fmt: skip
    record = {"id": "a", "title": "", "source": "", "date": "", "conflict": "", "targets": ["UN"],
              "paragraphs": [paragraph], "summary": ""}  # fmt: skip
    (tmp_path / "silver.jsonl").write_text(json.dumps(record) + "\n")
    runner = CliRunner()
    result = runner.invoke(
        app(), ["review", "export", str(tmp_path / "silver.jsonl"), "--out", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    rows[0]["decision"] = "accept"
    with (tmp_path / "r.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(
        app(),
        ["review", "import", str(tmp_path / "r.csv"), "--into", str(tmp_path / "gold.jsonl"), "--annotator", "ali"],
    )
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 skipped" in result.output
    gold = json.loads((tmp_path / "gold.jsonl").read_text())
    assert gold["paragraphs"][0]["review"]["annotator"] == "ali"
