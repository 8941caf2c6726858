"""Folder throughput of the local engine against the Ray engine (local Ray instance, N actors), same articles.

Articles are generated as in ``bench_folder.py`` (about 10 paragraphs each, nearly every paragraph new text)
in a temporary folder. The local engine (``label_folder``, one process, ``--threads`` torch threads) and the
Ray engine (``label_folder_ray`` on ``ray.init(num_cpus=--ray-cpus)``, ``--actors`` actors of one torch
thread each) label the same folder into Parquet; ``--ray-first`` swaps the order. Reports wall time (model
loading included: the local process loads it once, each actor once), articles/s and paragraphs/s of each,
Ray's start-up (``ray.init``) apart from the run, the peak memory of each labelling actor (sampled every
half second), and how far the two outputs differ (label agreement, largest probability difference).

    .venv/bin/python benchmarks/bench_ray.py --model default --articles 1000 --actors 2 --targets ""
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
from _common import UNTRAINED, load_model, machine, peak_rss_mb
from bench_folder import write_articles

from stancewire.inference.analyzer import Analyzer
from stancewire.inference.batch import BatchSettings, label_folder
from stancewire.inference.ray_engine import RaySettings, label_folder_ray
from stancewire.inference.shards import read_shard_rows
from stancewire.inference.stages import AnalyzerRecipe


class ActorMemory:
    """Peak resident memory of each Ray labelling actor process, and of all Ray processes together."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval, self.peak_mb, self.all_ray_mb, self._stop = interval, {}, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ActorMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0.0
            for process in psutil.Process().children(recursive=True):  # gcs, raylet, workers, actors
                try:
                    command, rss = " ".join(process.cmdline()), process.memory_info().rss / 2**20
                except psutil.Error:  # ended meanwhile
                    continue
                total += rss
                if "_LabelActor" in command:
                    self.peak_mb[process.pid] = max(self.peak_mb.get(process.pid, 0.0), rss)
            self.all_ray_mb = max(self.all_ray_mb, total)


class FirstRecords:
    """Progress callback: when the first records arrived, and the articles done by then and at the end."""

    def __init__(self) -> None:
        self.first: tuple[float, int] | None = None
        self.last: tuple[float, int] = (0.0, 0)

    def __call__(self, state) -> None:
        if state.articles and self.first is None:
            self.first = (state.seconds, state.articles)
        self.last = (state.seconds, state.articles)

    def to_dict(self) -> dict:
        """Seconds to the first records, and articles/s from then on (start-up and model loading excluded)."""
        if self.first is None or self.last[0] <= self.first[0]:
            return {}
        rate = (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])
        return {"seconds_to_first_records": round(self.first[0], 1), "articles_per_second_after_first": round(rate, 2)}


def run_local(folder: Path, out: Path, model: str, targets, threads: int, quantize: bool) -> dict:
    load = machine()["load_1min"]
    start = time.perf_counter()
    analyzer = Analyzer.load(load_model(model), summarizer=None, quantize=quantize, num_threads=threads)
    loaded = time.perf_counter()
    first = FirstRecords()
    report = label_folder(folder, out, analyzer, BatchSettings(targets=targets, format="parquet"), progress=first)
    seconds = time.perf_counter() - start
    extra = {"model_load_seconds": round(loaded - start, 1), "torch_threads": threads}
    return _rates("local", report, seconds, load) | first.to_dict() | extra


def run_ray(folder: Path, out: Path, model: str, targets, actors: int, cpus: int, quantize: bool) -> dict:
    import ray

    start = time.perf_counter()
    ray.init(num_cpus=cpus, logging_level="WARNING", log_to_driver=False, include_dashboard=False)
    startup = time.perf_counter() - start
    recipe = AnalyzerRecipe(model=model, quantize=quantize)
    settings = BatchSettings(targets=targets, format="parquet")
    load = machine()["load_1min"]
    try:
        with ActorMemory() as memory:
            start = time.perf_counter()
            first = FirstRecords()
            report = label_folder_ray(folder, out, recipe, settings, RaySettings(actors=actors), progress=first)
            seconds = time.perf_counter() - start
    finally:
        ray.shutdown()
    extra = {
        "ray_init_seconds": round(startup, 1),
        "actors": actors,
        "ray_cpus": cpus,
        "actor_peak_rss_mb": sorted(round(v) for v in memory.peak_mb.values()),
        "all_ray_processes_peak_rss_mb": round(memory.all_ray_mb),
    }
    return _rates("ray", report, seconds, load) | first.to_dict() | extra


def _rates(engine: str, report, seconds: float, load: float) -> dict:
    return {
        "engine": engine,
        "load_1min_at_start": load,
        "load_1min_at_end": machine()["load_1min"],
        "articles": report.articles,
        "paragraphs": report.paragraphs,
        "failed": report.failed,
        "seconds": round(seconds, 1),
        "articles_per_second": round(report.articles / seconds, 2),
        "paragraphs_per_second": round(report.paragraphs / seconds, 1),
    }


def compare(local_rows: list[dict], ray_rows: list[dict]) -> dict:
    """Same articles? Same labels? Largest probability difference?"""
    local = {(r["path"], r["line"]): json.loads(r["paragraphs"]) for r in local_rows}
    ray = {(r["path"], r["line"]): json.loads(r["paragraphs"]) for r in ray_rows}
    same_labels, largest = 0, 0.0
    pairs = [(a, b) for key in local.keys() & ray.keys() for a, b in zip(local[key], ray[key])]
    for a, b in pairs:
        same_labels += a["types"] == b["types"] and a["stance"] == b["stance"]
        largest = max([largest] + [abs(a["type_scores"][k] - b["type_scores"][k]) for k in a["type_scores"]])
        for target, scores in a["stance_scores"].items():
            largest = max([largest] + [abs(v - b["stance_scores"][target][k]) for k, v in scores.items()])
    return {
        "same_articles": local.keys() == ray.keys(),
        "paragraphs_with_same_labels": f"{same_labels}/{len(pairs)}",
        "largest_probability_difference": float(f"{largest:.2g}"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default", help="Name or saved folder (the actors load it themselves).")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--targets", default=None, help="Comma-separated targets ('' for types only); default: gazetteer."
    )
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--ray-cpus", type=int, default=2, help="num_cpus of the local Ray instance.")
    parser.add_argument("--threads", type=int, default=2, help="Torch threads of the local engine.")
    parser.add_argument("--quantize", action="store_true")
    parser.add_argument("--ray-first", action="store_true", help="Run the Ray engine before the local one.")
    args = parser.parse_args()

    targets = None if args.targets is None else [t for t in args.targets.split(",") if t]
    started = machine()
    with tempfile.TemporaryDirectory(prefix="stancewire-bench-ray-") as tmp:
        folder = Path(tmp) / "news"
        folder.mkdir()
        written = write_articles(folder, args.articles)
        model = args.model
        if model == UNTRAINED:  # the actors load the model themselves: they need a folder
            load_model(UNTRAINED).save_pretrained(Path(tmp) / "model")
            model = str(Path(tmp) / "model")
        runs = {
            "local": lambda: run_local(
                folder, Path(tmp) / "local.parquet", model, targets, args.threads, args.quantize
            ),
            "ray": lambda: run_ray(
                folder, Path(tmp) / "ray", model, targets, args.actors, args.ray_cpus, args.quantize
            ),
        }
        order = ["ray", "local"] if args.ray_first else ["local", "ray"]
        results = {name: runs[name]() for name in order}
        agreement = compare(
            pq.read_table(Path(tmp) / "local.parquet").to_pylist(), list(read_shard_rows(Path(tmp) / "ray"))
        )
    speedup = results["ray"]["articles_per_second"] / results["local"]["articles_per_second"]
    print(
        json.dumps(
            {
                "model": args.model,
                "quantize": args.quantize,
                "targets": "gazetteer default" if targets is None else targets,
                "machine_at_start": started,
                "paragraphs_written": written,
                "runs": [results[name] for name in order],
                "ray_over_local_throughput": round(speedup, 2),
                "agreement": agreement,
                "driver_peak_rss_mb": round(peak_rss_mb(), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
