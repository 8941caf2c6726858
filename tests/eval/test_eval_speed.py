"""Speed and size helpers: percentiles, the latency budget, peak memory and model size on disk."""

from __future__ import annotations

import json

from stancewire.eval.speed import PeakMemory, SpeedResult, model_size_mb, percentiles_ms, time_calls


def test_percentiles_in_milliseconds():
    assert percentiles_ms([0.001, 0.002, 0.003]) == (2.0, 2.9)
    assert percentiles_ms([]) == (None, None)


def test_time_calls_runs_warmup_untimed_and_stops_at_the_budget_after_min_runs():
    calls = []
    durations = time_calls(calls.append, runs=50, warmup=2, budget_seconds=0.0, min_runs=5)
    assert len(durations) == 5 and calls == [0, 1, 0, 1, 2, 3, 4]
    assert len(time_calls(calls.append, runs=7, warmup=0)) == 7


def test_peak_memory_sees_a_large_allocation():
    with PeakMemory() as peak:
        block = bytearray(80 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
    assert peak.mb >= 60
    del block


def test_model_size_from_folder_saved_files_or_referenced_weights(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\0" * 2 * 1024 * 1024)
    assert model_size_mb(object(), folder) == 2.0

    class SavesConfigOnly:
        path = str(folder / "weights.bin")

        def save_pretrained(self, directory):
            (tmp_path / "unused").mkdir(exist_ok=True)
            with open(f"{directory}/config.json", "w") as handle:
                json.dump({"weights": self.path}, handle)

    size = model_size_mb(SavesConfigOnly())
    assert 2.0 < size < 2.01  # the small config plus the 2 MiB of weights it points to
    assert model_size_mb(object()) is None
    assert SpeedResult(1.0, 8, 2.0, 3.0, 4.0, 5.0, latency_runs=3).to_dict()["latency_runs"] == 3


def test_ensemble_size_counts_its_members_folders(tmp_path):
    folders = []
    for name, mib in (("a", 2), ("b", 1)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        (folder / "weights.bin").write_bytes(b"\0" * mib * 1024 * 1024)
        folders.append(folder)
    own = tmp_path / "ensemble"
    own.mkdir()
    (own / "config.json").write_text("{}")

    class Ensemble:
        members, specs = [object(), object()], [str(f) for f in folders]

    assert 3.0 < model_size_mb(Ensemble(), own) < 3.01  # its own small config plus 2 and 1 MiB of members


def test_size_adds_external_base_weights_once(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"\0" * 4 * 1024 * 1024)
    own = tmp_path / "adapter"
    own.mkdir()
    (own / "adapter.safetensors").write_bytes(b"\0" * 1024 * 1024)

    class LoRAClassifier:
        base_encoder = str(base)

    assert model_size_mb(LoRAClassifier(), own) == 5.0  # the adapter folder plus the base it loads

    class FullClassifier:
        base_encoder = None

    assert model_size_mb(FullClassifier(), own) == 1.0

    class PointsInside:
        path = str(own / "adapter.safetensors")

    assert model_size_mb(PointsInside(), own) == 1.0  # weights inside its own folder count once


def test_ensemble_size_counts_a_base_its_members_share_once(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"\0" * 4 * 1024 * 1024)

    class UsesBase:
        encoder_name = str(base)

    class Ensemble:
        members, specs = [UsesBase(), UsesBase()], [None, None]

    assert model_size_mb(Ensemble()) == 4.0


def test_an_int8_copy_is_sized_by_the_folder_it_is_made_from(tmp_path):
    from stancewire.eval.speed import model_folder
    from stancewire.models.registry import shipped_path

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    assert model_folder(f"{tmp_path / 'm'}@int8") == tmp_path / "m"
    assert model_folder("default@int8") == shipped_path("default")
