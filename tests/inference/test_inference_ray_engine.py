"""The Ray engine: the local engine's records and errors, resume, the CLI, and the error when Ray is missing.

The fast tests run the Ray engine's stages in this process (what Ray Data runs on its workers) and need no Ray;
the ``slow`` test starts a local Ray instance and compares a 50-article folder with the local engine.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from stancewire.cli_label import label
from stancewire.inference.analyzer import Analyzer
from stancewire.inference.batch import BatchSettings, label_folder
from stancewire.inference.ray_engine import RayNotInstalled, RaySettings, require_ray
from stancewire.inference.sharded_run import ShardedRun
from stancewire.inference.shards import read_shard_rows
from stancewire.inference.stages import AnalyzerRecipe, LabelStage, SummaryStage, read_files

SENTENCES = [  # written for these tests
    "Artillery fire hit the northern district overnight, local officials said.",
    "The two delegations met again in the capital to discuss a truce.",
    "Aid convoys waited at the crossing for a third day.",
    "The army said it had pushed the rebels back from the ring road.",
    "A rebel spokesman denied that his fighters had shelled the market.",
    "Hospital staff counted at least nine dead and dozens wounded.",
    "Mediators urged both sides to accept a ceasefire before the holiday.",
    "The government accused its neighbour of arming the militia.",
    "Residents fled toward the coast as the front line moved closer.",
    "A court opened an inquiry into the killing of two journalists.",
]


def write_folder(root, count: int, start: int = 0) -> None:
    """``count`` articles of 2 to 4 paragraphs, as .txt, .md, .html and .json in turn, under root/ and root/NN/."""
    for i in range(start, start + count):
        paragraphs = [SENTENCES[(i * 3 + k) % 10] + " " + SENTENCES[(i + 2 * k) % 10] for k in range(2 + i % 3)]
        kind = ("txt", "md", "html", "json")[i % 4]
        if kind == "txt":
            text = f"Report {i}\n\n" + "\n\n".join(paragraphs)
        elif kind == "md":
            text = f"# Report {i}\n\n" + "\n\n".join(paragraphs)
        elif kind == "html":
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
            text = f"<html><head><title>Report {i}</title></head><body><article>{body}</article></body></html>"
        else:
            text = json.dumps({"id": f"r{i}", "title": f"Report {i}", "paragraphs": [{"text": p} for p in paragraphs]})
        path = root / (f"{i // 20:02d}" if i % 2 else "") / f"report-{i:03d}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def add_bad_files(root) -> None:
    """An empty file, a JSON Lines file with a bad line, and a file type that is skipped."""
    (root / "empty.txt").write_bytes(b"")
    lines = [
        json.dumps({"id": "l1", "paragraphs": [{"text": SENTENCES[1]}], "targets": ["ceasefire"]}),
        "{broken",
        json.dumps({"id": "l3", "paragraphs": [{"text": SENTENCES[6]}]}),
    ]
    (root / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "photo.png").write_bytes(b"\x89PNG")


def in_process(stages, max_bytes: int = 5_000_000, files_per_batch: int = 4):
    """A row stream running the stages here, batch by batch (what Ray Data does on its workers)."""

    def stream(files, done):
        for start in range(0, len(files), files_per_batch):
            rows = read_files(files[start : start + files_per_batch], max_bytes, done)
            for stage in stages:
                rows = stage(rows)
            yield rows

    return stream


def errors_of(path) -> list[tuple]:
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted((e["kind"], e["path"], e["line"] or 0, e["reason"]) for e in entries)


def assert_same_rows(sharded: list[dict], local: list[dict], tolerance: float) -> None:
    """Same articles, fields, labels and summaries; probabilities within ``tolerance``."""
    by_key = {(r["path"], r["line"]): r for r in local}
    assert sorted(by_key) == sorted((r["path"], r["line"]) for r in sharded)
    for row in sharded:
        expected = dict(by_key[(row["path"], row["line"])])
        row = dict(row)
        ours, theirs = json.loads(row.pop("paragraphs")), json.loads(expected.pop("paragraphs"))
        our_summary, their_summary = row.pop("summary"), expected.pop("summary")
        assert row == expected
        if their_summary:
            untimed = [
                {k: v for k, v in json.loads(s).items() if k != "seconds"} for s in (our_summary, their_summary)
            ]
            assert untimed[0] == untimed[1]
        assert [(p["text"], p["types"], p["stance"]) for p in ours] == [
            (p["text"], p["types"], p["stance"]) for p in theirs
        ]
        for a, b in zip(ours, theirs):
            assert max(abs(a["type_scores"][k] - b["type_scores"][k]) for k in a["type_scores"]) <= tolerance
            for target, scores in a["stance_scores"].items():
                assert max(abs(v - b["stance_scores"][target][k]) for k, v in scores.items()) <= tolerance


@pytest.fixture
def model_dir(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path / "model")
    return str(tmp_path / "model")


# ---------------------------------------------------------------------------------------- without Ray itself
def test_the_stages_write_the_local_engines_records_and_errors(model_dir, tmp_path):
    root = tmp_path / "news"
    write_folder(root, 12)
    add_bad_files(root)
    recipe = AnalyzerRecipe(model_dir, summarizer="label-aware", threads=None)
    stages = [LabelStage(recipe, chunk_paragraphs=8, keep_articles=True), SummaryStage(recipe)]
    report = ShardedRun(root, tmp_path / "sharded", in_process(stages)).run()
    analyzer = Analyzer.load(model_dir, summarizer="label-aware", num_threads=None)
    settings = BatchSettings(format="parquet", summarise=True, chunk_paragraphs=8)
    local = label_folder(root, tmp_path / "local" / "labels.parquet", analyzer, settings)
    assert report.to_dict() | {"out": "", "errors": "", "seconds": 0} == local.to_dict() | {
        "out": "",
        "errors": "",
        "seconds": 0,
    }
    assert (report.files, report.articles, report.failed, report.skipped) == (14, 14, 2, 1)
    rows = list(read_shard_rows(tmp_path / "sharded"))
    assert_same_rows(rows, pq.read_table(tmp_path / "local" / "labels.parquet").to_pylist(), tolerance=1e-5)
    assert errors_of(tmp_path / "sharded" / "errors.jsonl") == errors_of(tmp_path / "local" / "errors.jsonl")


def test_resume_skips_articles_whose_content_hash_is_already_in_the_shards(model_dir, tmp_path):
    root = tmp_path / "news"
    write_folder(root, 6)
    add_bad_files(root)
    stream = in_process([LabelStage(AnalyzerRecipe(model_dir, threads=None))])
    out = root / "labels"  # inside the folder: its shards and errors.jsonl must not be read as articles
    first = ShardedRun(root, out, stream).run()
    assert (first.articles, first.failed, first.skipped) == (8, 2, 1)
    with pytest.raises(FileExistsError, match=re.escape("pass --resume to continue that run or --overwrite")):
        ShardedRun(root, out, stream).run()
    write_folder(root, 2, start=6)
    (root / "report-000.txt").write_text("Report 0, corrected\n\n" + SENTENCES[4], encoding="utf-8")
    seen = []
    resumed = ShardedRun(root, out, stream, resume=True, progress=seen.append).run()
    counts = (resumed.already_done, resumed.articles, resumed.failed, resumed.skipped, resumed.superseded)
    assert counts == (7, 3, 2, 1, 1)  # 2 new files, 1 changed: its old record is dropped
    assert seen[-1].files_done == seen[-1].files_total == 10
    rows = list(read_shard_rows(out))
    assert len(rows) == 10 and len({(r["path"], r["line"]) for r in rows}) == 10
    assert next(r for r in rows if r["path"] == "report-000.txt")["title"] == "Report 0, corrected"
    fresh = ShardedRun(root, out, stream, overwrite=True).run()
    assert (fresh.articles, len(list(read_shard_rows(out)))) == (10, 10)


def test_resume_with_another_model_is_refused_and_the_earlier_run_is_kept(model_dir, tmp_path):
    root = tmp_path / "news"
    write_folder(root, 4)
    add_bad_files(root)
    out = tmp_path / "labels"
    ShardedRun(root, out, in_process([LabelStage(AnalyzerRecipe(model_dir, threads=None))])).run()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "errors.jsonl" in before and any(name.endswith(".parquet") for name in before)
    other = shutil.copytree(model_dir, tmp_path / "other-model")  # same weights, another labeller name
    write_folder(root, 2, start=4)  # new articles: the other model would label them
    stream = in_process([LabelStage(AnalyzerRecipe(str(other), threads=None))])
    with pytest.raises(ValueError, match=re.escape(f"{out} holds records labelled by {model_dir!r}; this run")):
        ShardedRun(root, out, stream, resume=True).run()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    resumed = ShardedRun(root, out, in_process([LabelStage(AnalyzerRecipe(model_dir, threads=None))]), resume=True)
    assert resumed.run().articles == 2


def test_without_ray_the_cli_names_the_extra(model_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    monkeypatch.setitem(sys.modules, "ray.data", None)
    message = (
        "--engine ray needs Ray, which is not installed (import failed: import of ray halted; None in sys.modules). "
        "Install the optional extra: pip install 'stancewire[ray]' (in a checkout: pip install -e '.[ray]'), "
        "or use the default --engine local."
    )
    with pytest.raises(RayNotInstalled, match=re.escape(message)):
        require_ray()
    root = tmp_path / "news"
    write_folder(root, 2)
    result = _invoke(["label", str(root), "--out", str(tmp_path / "out"), "--engine", "ray", "--model", model_dir])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == f"error: {message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "spark"], "Unknown --engine 'spark'; expected one of ['local', 'ray']."),
        (["--actors", "4"], "--address and --actors go with --engine ray; add --engine ray or leave them out."),
        (
            ["--engine", "ray", "--format", "csv"],
            "--engine ray writes Parquet shards; got --format 'csv'. Use --format parquet or leave it out.",
        ),
    ],
)
def test_cli_usage_errors(extra, message, tmp_path):
    (tmp_path / "news").mkdir()
    result = _invoke(["label", str(tmp_path / "news"), "--out", str(tmp_path / "out"), *extra])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == f"error: {message}"


def test_ray_settings_are_checked():
    with pytest.raises(ValueError, match=re.escape("address must be 'auto', 'ray://HOST:PORT' or 'HOST:PORT'")):
        RaySettings(address="localhost")
    with pytest.raises(ValueError, match=re.escape("actors must be a whole number >= 1; got 0.")):
        RaySettings(actors=0)
    with pytest.raises(ValueError, match=re.escape("threads must be a number >= 1 or None; got 0.")):
        AnalyzerRecipe("default", threads=0)


def _invoke(args: list[str]):
    app = typer.Typer()
    app.command()(label)
    app.command("noop")(lambda: None)  # two commands, so "label" is addressed by name as in stancewire
    return CliRunner().invoke(app, args)


# --------------------------------------------------------------------------------------------------- on Ray
@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, logging_level="WARNING", log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_labels_a_50_article_folder_like_the_local_engine_and_resumes(local_ray, tmp_path):
    root = tmp_path / "news"
    write_folder(root, 50)
    add_bad_files(root)
    targets = "Israel,ceasefire"
    base = ["label", str(root), "--model", "default", "--targets", targets]
    base += ["--summarise", "--summarizer", "label-aware"]
    on_ray = _invoke([*base, "--engine", "ray", "--actors", "2", "--threads", "1", "--out", str(tmp_path / "ray")])
    assert on_ray.exit_code == 1, on_ray.output  # 1: the empty file and the broken line failed, as they should
    assert "failed: empty.txt: empty file (0 bytes)." in on_ray.output
    analyzer = Analyzer.load("default", summarizer="label-aware", num_threads=1)
    settings = BatchSettings(targets=targets.split(","), summarise=True, format="parquet")
    local = label_folder(root, tmp_path / "local" / "labels.parquet", analyzer, settings)
    assert (local.articles, local.failed, local.skipped) == (52, 2, 1)
    rows = list(read_shard_rows(tmp_path / "ray"))
    assert_same_rows(rows, pq.read_table(tmp_path / "local" / "labels.parquet").to_pylist(), tolerance=1e-4)
    assert errors_of(tmp_path / "ray" / "errors.jsonl") == errors_of(tmp_path / "local" / "errors.jsonl")

    write_folder(root, 3, start=50)
    again = _invoke([*base, "--engine", "ray", "--out", str(tmp_path / "ray"), "--resume"])
    assert again.exit_code == 1, again.output
    assert re.search(r"already done \(resume\)\s+│\s+52", again.output), again.output
    assert re.search(r"articles labelled\s+│\s+3\b", again.output), again.output
    assert len(list(read_shard_rows(tmp_path / "ray"))) == 55
