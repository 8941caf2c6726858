"""Parquet shard folders of the Ray engine: shard sizes, atomic writes, refusing, overwriting and resuming."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest

from stancewire.inference.output import flat_row
from stancewire.inference.shards import ShardFolder, read_shard_rows, shard_index, shard_paths


def _record(i: int, line: int | None = None) -> dict:
    paragraph = {"text": f"Paragraph {i}.", "types": ["diplomacy"], "type_scores": {"diplomacy": 0.75}}
    return {
        "id": f"a{i}",
        "path": f"a{i}.jsonl" if line is not None else f"a{i}.txt",
        "content_hash": f"sha256:{i:04d}",
        "line": line,
        "title": "",
        "date": "",
        "model": "tiny",
        "targets": ["ceasefire"],
        "target_source": "user",
        "paragraphs": [paragraph],
        "summary": None,
    }


def test_records_are_written_in_whole_shards_with_the_local_parquet_columns(tmp_path):
    shards = ShardFolder(tmp_path / "out", rows_per_shard=3)
    shards.append([_record(i) for i in range(4)])
    assert len(shard_paths(tmp_path / "out")) == 1  # the fourth waits for its shard to fill
    shards.append([_record(4, line=2), _record(0)])  # a key already written is not written twice
    shards.close()
    paths = shard_paths(tmp_path / "out")
    assert [pq.read_metadata(p).num_rows for p in paths] == [3, 2]
    assert not list((tmp_path / "out").glob("*.tmp"))
    rows = list(read_shard_rows(tmp_path / "out"))
    expected = flat_row(_record(4, line=2)) | {"targets": ["ceasefire"]}
    assert rows[-1] == expected
    assert shard_index(tmp_path / "out") == (
        {(f"a{i}.txt", f"sha256:{i:04d}", None) for i in range(4)} | {("a4.jsonl", "sha256:0004", 2)},
        {"tiny"},
    )


def test_an_existing_run_is_refused_resumed_or_overwritten(tmp_path):
    out = tmp_path / "out"
    first = ShardFolder(out, rows_per_shard=2)
    first.append([_record(i) for i in range(3)])
    first.close()
    (out / "part-x-00009.parquet.tmp").write_bytes(b"half a shard")
    (out / "notes.txt").write_text("kept", encoding="utf-8")
    message = f"{out} already holds 2 shard(s) (part-*.parquet); pass --resume to continue that run or --overwrite"
    with pytest.raises(FileExistsError, match=re.escape(message)):
        ShardFolder(out)
    resumed = ShardFolder(out, resume=True)
    assert resumed.done(("a2.txt", "sha256:0002", None)) and not resumed.done(("a3.txt", "sha256:0003", None))
    assert not list(out.glob("*.tmp"))  # what a killed run was writing is dropped
    resumed.append([_record(2), _record(3)])
    resumed.close()
    assert len(list(read_shard_rows(out))) == 4
    fresh = ShardFolder(out, overwrite=True)
    assert shard_paths(out) == [] and (out / "notes.txt").exists()  # only shards are deleted
    fresh.close()
    assert shard_paths(out) == []


def test_a_file_as_output_folder_and_bad_sizes_are_refused(tmp_path):
    (tmp_path / "out.parquet").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match=re.escape("is a file; --engine ray writes a folder of Parquet")):
        ShardFolder(tmp_path / "out.parquet")
    with pytest.raises(ValueError, match=re.escape("rows_per_shard must be >= 1; got 0.")):
        ShardFolder(tmp_path / "out", rows_per_shard=0)


def test_records_of_edited_files_are_dropped_shard_by_shard(tmp_path):
    shards = ShardFolder(tmp_path / "out", rows_per_shard=2)
    shards.append([_record(i) for i in range(3)])
    shards.close()
    current = {"a0.txt": "sha256:9999", "a1.txt": "sha256:0001"}  # a0 was edited; a2 was not seen this time
    assert shards.drop_superseded(current) == 1
    assert sorted(r["path"] for r in read_shard_rows(tmp_path / "out")) == ["a1.txt", "a2.txt"]
    assert shards.drop_superseded({"a1.txt": "sha256:x", "a2.txt": "sha256:y"}) == 2
    assert shard_paths(tmp_path / "out") == []  # shards left empty are deleted
