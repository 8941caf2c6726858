from __future__ import annotations

from typer.testing import CliRunner

import stancewire
from stancewire.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"stancewire {stancewire.__version__}"


def test_data_check_exit_codes_and_table(tmp_path, make_article, jsonl):
    jsonl(tmp_path / "ok" / "train.jsonl", [make_article("a1", ["Talks resumed in Doha on Monday, officials said."])])
    result = runner.invoke(app, ["data", "check", str(tmp_path / "ok")])
    assert result.exit_code == 0, result.output
    assert "type: military_action" in result.stdout
    assert "No problems found." in result.stdout
    bad = make_article("b1", ["Text of a bad record."])
    bad["paragraphs"][0]["stance"]["ceasefire"] = "maybe"
    path = jsonl(tmp_path / "bad" / "train.jsonl", [bad])
    result = runner.invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1
    assert "unknown stance 'maybe' for target 'ceasefire'" in result.output
    result = runner.invoke(app, ["data", "check", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "No data file or folder at" in result.output
