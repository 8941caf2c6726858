"""Folder labelling: bad files, errors.jsonl, exit codes, formats, resume, and a SIGKILL mid-run."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import typer
from typer.testing import CliRunner

from stancewire.cli_label import label
from stancewire.inference.analyzer import Analyzer
from stancewire.inference.batch import BatchSettings, label_folder
from stancewire.inference.output import read_records

PARAGRAPHS = [
    "Israeli strikes hit Rafah overnight, killing at least 12 people, the health ministry said.",
    "Hamas said it was studying the latest proposal from Egyptian and Qatari mediators.",
    "M23 rebels said they had taken Goma; Rwanda denied backing them.",
    "The UN chief urged an immediate ceasefire and unhindered access for aid.",
    "Russian drones struck Odesa, Ukrainian officials said.",
]


def _folder(root, n: int = 6):
    """n good articles in mixed formats (one JSONL file holds two), under root/ and root/sub/."""
    (root / "sub").mkdir(parents=True)
    for i in range(n):
        text = "\n\n".join(PARAGRAPHS[(i + k) % 5] for k in range(3))
        suffix = (".txt", ".md")[i % 2]
        (root / ("sub" if i % 3 == 0 else "") / f"a{i:02d}{suffix}").write_text(text, encoding="utf-8")
    records = [{"id": f"j{i}", "paragraphs": [{"text": PARAGRAPHS[i]}], "targets": ["Hamas"]} for i in range(2)]
    (root / "sub" / "more.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return n + 2


@pytest.fixture
def analyzer(tiny_classifier):
    return Analyzer.load(tiny_classifier, summarizer="lead", num_threads=None)


def _by_key(records):
    return {(r["path"], r["content_hash"], r["line"]): r for r in records}


def test_bad_files_go_to_errors_jsonl_and_the_run_goes_on(analyzer, tmp_path):
    root = tmp_path / "news"
    articles = _folder(root)
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.md").write_bytes(b"\x00\x01\x02" * 100)
    (root / "big.txt").write_text("Shelling resumed. " * 100, encoding="utf-8")
    (root / "bad.json").write_text("{nope", encoding="utf-8")
    (root / "sub" / "lines.jsonl").write_text('{"id": "ok", "text": "Talks resumed in Doha."}\n{broken\n')
    (root / "cp1252.txt").write_bytes("Talks in Doha – “final” round, café owners said.".encode("cp1252"))
    (root / "photo.png").write_bytes(b"\x89PNG")
    (root / ".hidden.txt").write_text("Not read at all.", encoding="utf-8")
    (root / "escape.txt").symlink_to(tmp_path.parent)  # a folder outside
    (root / "inside.txt").symlink_to(root / "a01.md")
    out = tmp_path / "out" / "results.jsonl"
    report = label_folder(root, out, analyzer, BatchSettings(max_bytes=1000, chunk_paragraphs=4))
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    failed = {(e["path"], e["line"]): e["reason"] for e in errors if e["kind"] == "failed"}
    assert failed == {
        ("bad.json", None): "malformed JSON (Expecting property name enclosed in double quotes at line 1, column 2).",
        ("big.txt", None): "file is 1.8 kB, over the 1.0 kB limit; raise the limit to read it.",
        ("binary.md", None): "binary file (NUL bytes and no UTF-16/32 byte-order mark); expected text.",
        ("empty.txt", None): "empty file (0 bytes).",
        ("sub/lines.jsonl", 2): "malformed JSON (Expecting property name enclosed in double quotes at column 2).",
    }
    skipped = sorted(e["path"] for e in errors if e["kind"] == "skipped")
    assert skipped == ["escape.txt", "photo.png"]
    records = list(read_records(out))
    assert len(records) == articles + 3  # + cp1252.txt, inside.txt and the good line of lines.jsonl
    assert (report.articles, report.failed, report.skipped, report.ok) == (len(records), 5, 2, False)
    assert report.paragraphs == sum(len(r["paragraphs"]) for r in records)
    assert sum(report.stance_counts.values()) == sum(len(p["stance"]) for r in records for p in r["paragraphs"])
    assert {r["path"] for r in records} >= {"inside.txt", "cp1252.txt", "sub/a00.txt", "sub/more.jsonl"}
    assert all(r["summary"] is None and r["content_hash"].startswith("sha256:") for r in records)


def test_resume_skips_done_articles_and_never_duplicates(analyzer, tmp_path):
    root = tmp_path / "news"
    articles = _folder(root)
    out = tmp_path / "results.jsonl"
    first = label_folder(root, out, analyzer)
    assert first.articles == articles
    with pytest.raises(FileExistsError, match=re.escape(f"{out} already exists; pass --resume to continue")):
        label_folder(root, out, analyzer)
    again = label_folder(root, out, analyzer, BatchSettings(resume=True))
    assert (again.articles, again.already_done) == (0, articles)
    (root / "a01.md").write_text("Shelling resumed in Kharkiv, Ukrainian officials said.", encoding="utf-8")
    (root / "new.txt").write_text("Talks resumed in Doha on Monday.", encoding="utf-8")
    old_a01 = [r for r in read_records(out) if r["path"] == "a01.md"]
    third = label_folder(root, out, analyzer, BatchSettings(resume=True))
    assert (third.articles, third.already_done, third.superseded) == (2, articles - 1, len(old_a01))
    records = list(read_records(out))
    keys = [(r["path"], r["content_hash"], r["line"]) for r in records]
    assert len(keys) == len(set(keys)) == articles + 1  # the edited file's old record was replaced, not kept
    (a01,) = [r for r in records if r["path"] == "a01.md"]
    assert a01["content_hash"] != old_a01[0]["content_hash"] and "Kharkiv" in a01["paragraphs"][0]["text"]


def test_resume_with_another_model_or_precision_is_refused_and_nothing_is_lost(analyzer, tiny_classifier, tmp_path):
    root = tmp_path / "news"
    _folder(root)
    out = tmp_path / "results.jsonl"
    label_folder(root, out, analyzer)
    before = out.read_bytes()
    tiny_classifier.calibrate_int8(PARAGRAPHS)
    int8 = Analyzer.load(tiny_classifier, summarizer="lead", num_threads=None, quantize=True)
    assert int8.model_name != analyzer.model_name
    with pytest.raises(ValueError, match=re.escape(f"holds records labelled by {analyzer.model_name!r}")):
        label_folder(root, out, int8, BatchSettings(resume=True))
    assert out.read_bytes() == before
    label_folder(root, out, int8, BatchSettings(overwrite=True))
    assert {r["model"] for r in read_records(out)} == {int8.model_name}


def test_summaries_in_a_worker_pool_and_table_formats(analyzer, tmp_path):
    root = tmp_path / "news"
    articles = _folder(root)
    settings = BatchSettings(summarise=True, format="csv", targets=["Israel", "Hamas"])
    report = label_folder(root, tmp_path / "r.csv", analyzer, settings)
    with (tmp_path / "r.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == report.articles == articles
    assert all(json.loads(row["targets"]) == ["Israel", "Hamas"] and row["summary_text"] for row in rows)
    assert json.loads(rows[0]["summary"])["method"] == "extractive.lead.v1"
    journal = list(read_records(tmp_path / "r.csv.journal.jsonl"))
    assert [r["id"] for r in journal] == [row["id"] for row in rows]

    import pyarrow.parquet as pq

    label_folder(root, tmp_path / "r.parquet", analyzer, BatchSettings(format="parquet"))
    table = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert len(table) == articles and table[0]["targets"][-1] == "ceasefire"
    assert json.loads(table[0]["paragraphs"])[0]["text"] in PARAGRAPHS


def test_cli_exit_codes_and_closing_table(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path / "model")
    app = typer.Typer()
    app.command()(label)
    app.command("noop")(lambda: None)  # two commands, so "label" is addressed by name as in stancewire
    runner = CliRunner()
    root = tmp_path / "news"
    _folder(root)
    base = ["label", str(root), "--model", str(tmp_path / "model"), "--threads", "1"]
    ok = runner.invoke(app, [*base, "--out", str(tmp_path / "ok.jsonl")])
    assert ok.exit_code == 0, ok.output
    assert "articles labelled" in ok.output and "type: " in ok.output and "stance: " in ok.output
    (root / "empty.txt").write_bytes(b"")
    bad = runner.invoke(app, [*base, "--out", str(tmp_path / "bad.jsonl")])
    assert bad.exit_code == 1
    assert "failed: empty.txt: empty file (0 bytes)." in bad.output
    again = runner.invoke(app, [*base, "--out", str(tmp_path / "bad.jsonl")])
    assert again.exit_code == 2 and "already exists; pass --resume" in again.output
    wrong = runner.invoke(app, [*base, "--out", str(tmp_path / "x.txt"), "--format", "xml"])
    assert (
        wrong.exit_code == 2
        and "Unknown output format 'xml'; expected one of ['csv', 'jsonl', 'parquet']" in wrong.output
    )


def test_cli_follows_the_models_int8_choice_and_records_which_precision_ran(tiny_classifier, tmp_path):
    tiny_classifier.calibrate_int8(PARAGRAPHS, [("Israel", p) for p in PARAGRAPHS])
    tiny_classifier.config.int8_thresholds = dict(tiny_classifier.thresholds)
    tiny_classifier.config.int8_default = True
    tiny_classifier.save_pretrained(tmp_path / "model")
    app = typer.Typer()
    app.command()(label)
    app.command("noop")(lambda: None)
    _folder(tmp_path / "news")
    base = ["label", str(tmp_path / "news"), "--model", str(tmp_path / "model"), "--threads", "1"]
    models = {}
    for flag in ("", "--no-quantize", "--quantize"):
        out = tmp_path / f"out{flag}.jsonl"
        result = CliRunner().invoke(app, [*base, "--out", str(out), *([flag] if flag else [])])
        assert result.exit_code == 0, result.output
        models[flag] = {json.loads(line)["model"] for line in out.read_text().splitlines()}
    name = str(tmp_path / "model")  # a model loaded from a folder is named by its path
    assert models[""] == models["--quantize"] == {f"{name}@int8"}
    assert models["--no-quantize"] == {name}


KILL_SCRIPT = """
import sys, time
from stancewire.inference.analyzer import Analyzer
from stancewire.inference.batch import BatchSettings, label_folder
analyzer = Analyzer.load(sys.argv[1], summarizer=None, num_threads=1)
settings = BatchSettings(resume=True, chunk_paragraphs=6)
label_folder(sys.argv[2], sys.argv[3], analyzer, settings, progress=lambda state: time.sleep(0.1))
"""


@pytest.mark.slow
def test_sigkill_midway_then_resume_equals_a_clean_run(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path / "model")
    root = tmp_path / "news"
    root.mkdir()
    for i in range(40):
        (root / f"{i:02d}.txt").write_text("\n\n".join(PARAGRAPHS[(i + k) % 5] for k in range(3)), encoding="utf-8")
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    out = tmp_path / "killed.jsonl"
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path / "model"), str(root), str(out)])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 4):
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_before = out.read_text().count("\n")
    assert 4 <= done_before < 40
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"path": "07.txt", "content_hash": "sha')  # a torn last write, as a kill mid-write leaves
    analyzer = Analyzer.load(tmp_path / "model", summarizer=None, num_threads=None)
    resumed = label_folder(root, out, analyzer, BatchSettings(resume=True))
    assert (resumed.already_done, resumed.articles) == (done_before, 40 - done_before)
    label_folder(root, tmp_path / "clean.jsonl", analyzer)
    killed_records, clean_records = list(read_records(out)), list(read_records(tmp_path / "clean.jsonl"))
    assert len(killed_records) == len(clean_records) == 40
    killed, fresh = _by_key(killed_records), _by_key(clean_records)
    assert killed.keys() == fresh.keys()
    for key, record in fresh.items():
        assert [p["types"] for p in killed[key]["paragraphs"]] == [p["types"] for p in record["paragraphs"]]
        assert [p["stance"] for p in killed[key]["paragraphs"]] == [p["stance"] for p in record["paragraphs"]]
        for a, b in zip(killed[key]["paragraphs"], record["paragraphs"]):
            assert max(abs(a["type_scores"][k] - b["type_scores"][k]) for k in a["type_scores"]) < 1e-4
