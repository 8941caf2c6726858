"""Speed and size measurements: throughput, single-paragraph latency, size on disk and peak memory."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

MIB = 1024 * 1024


@dataclass
class SpeedResult:
    """Speed and size of one model.

    Attributes:
        paragraphs_per_second: Throughput of the timed prediction pass (warm-up excluded).
        batch_size: Batch size used for every model.
        latency_p50_ms: Median latency of a single-paragraph call.
        latency_p95_ms: 95th percentile latency of a single-paragraph call.
        latency_runs: How many single-paragraph calls were timed.
        size_mb: Size of the model's files on disk (``None`` when it has none and cannot be saved).
        peak_memory_mb: Peak growth of the process's resident memory while loading (when loaded by name)
            and running the model.

    Example:
        >>> SpeedResult(100.0, 32, 5.0, 9.0, 1.5, 80.0).to_dict()["batch_size"]
        32
    """

    paragraphs_per_second: float | None
    batch_size: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    size_mb: float | None
    peak_memory_mb: float | None
    latency_runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def percentiles_ms(durations: Sequence[float]) -> tuple[float | None, float | None]:
    """p50 and p95 of durations given in seconds, in milliseconds.

    Example:
        >>> percentiles_ms([0.001, 0.002, 0.003])
        (2.0, 2.9)
    """
    if not durations:
        return None, None
    p50, p95 = np.percentile(np.asarray(durations) * 1000.0, [50, 95])
    return round(float(p50), 6), round(float(p95), 6)


def time_calls(
    call: Callable[[int], Any], runs: int, warmup: int = 1, budget_seconds: float | None = None, min_runs: int = 5
) -> list[float]:
    """Call ``call(i)`` ``warmup`` times untimed, then up to ``runs`` times timed; return the durations in seconds.

    With ``budget_seconds``, stops once that much time was spent and at least ``min_runs`` calls were timed
    (slow models would otherwise make latency dominate the run).
    """
    for i in range(warmup):
        call(i)
    durations: list[float] = []
    for i in range(runs):
        start = time.perf_counter()
        call(i)
        durations.append(time.perf_counter() - start)
        if budget_seconds is not None and len(durations) >= min_runs and sum(durations) > budget_seconds:
            break
    return durations


def folder_size_mb(path: str | Path) -> float:
    """Total size of the files under ``path`` (or of the file) in MiB."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size / MIB
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / MIB


WEIGHT_ATTRIBUTES = ("encoder_name", "base_encoder", "model_path", "path")
"""Attributes naming the weights a model loads from outside its own files (an embedding model's encoder, the
base encoder of a LoRA classifier, an LLM's GGUF file)."""


def weights_path(model: Any, depth: int = 2) -> Path | None:
    """The file or folder of weights a model loads, found through :data:`WEIGHT_ATTRIBUTES` (also on its
    ``llm``/``encoder`` members); ``None`` when nothing resolves to an existing path."""
    from stancewire.models.hub import resolve_encoder

    for name in WEIGHT_ATTRIBUTES:
        value = getattr(model, name, None)
        if isinstance(value, str | Path) and Path(resolve_encoder(value)).exists():
            return Path(resolve_encoder(value))
    if depth > 0:
        for member in ("llm", "encoder", "_llm", "_encoder"):
            inner = getattr(model, member, None)
            if inner is not None and not isinstance(inner, str | Path):
                found = weights_path(inner, depth - 1)
                if found is not None:
                    return found
    return None


def model_folder(spec: Any) -> Path | None:
    """The folder a model name or path loads from (for its size on disk), ``None`` for objects and factories."""
    if not isinstance(spec, str | Path):
        return None
    from stancewire.models.registry import int8_base

    spec = int8_base(spec) or spec  # an int8 copy is made at load time from the same files
    path = Path(spec)
    if (path / "config.json").exists():
        return path
    from stancewire.models.registry import shipped_path

    shipped = shipped_path(str(spec))
    return shipped if (shipped / "config.json").exists() else None


def model_size_mb(model: Any, folder: str | Path | None = None) -> float | None:
    """Size on disk of what a model needs: its folder when known (else what ``save_pretrained`` writes), plus
    the weights it loads from elsewhere (:func:`weights_path`: the MiniLM encoder under a LoRA adapter or a
    logistic regression, an LLM's GGUF file), plus an ensemble's members (``members``); weights that several
    members load count once. ``None`` when nothing is found."""
    own, external = _size_parts(model, folder)
    if own is None and not external:
        return None
    return (own or 0.0) + sum(folder_size_mb(path) for path in external)


def _size_parts(model: Any, folder: str | Path | None) -> tuple[float | None, set[Path]]:
    """The model's own files in MiB, and the external weights it (or any ensemble member) loads."""
    own = folder_size_mb(folder) if folder is not None and Path(folder).exists() else _saved_size_mb(model)
    external = set()
    found = weights_path(model)
    if found is not None and not (folder is not None and found.resolve().is_relative_to(Path(folder).resolve())):
        external.add(found.resolve())
    members = getattr(model, "members", None)
    if isinstance(members, list) and members:  # an ensemble's folder names its members; count their weights
        specs = getattr(model, "specs", [None] * len(members))
        for member, spec in zip(members, specs, strict=True):
            member_own, member_external = _size_parts(member, model_folder(spec))
            own = (own or 0.0) + (member_own or 0.0)
            external |= member_external
    return own, external


def _saved_size_mb(model: Any) -> float | None:
    """What ``save_pretrained`` writes, in MiB (``None`` when the model cannot be saved)."""
    save = getattr(model, "save_pretrained", None)
    if save is None:
        return None
    with tempfile.TemporaryDirectory(prefix="stancewire-size-") as tmp:
        try:
            save(tmp)
        except (NotImplementedError, OSError, TypeError, ValueError):
            return None
        return folder_size_mb(tmp)


def _rss() -> int:
    return psutil.Process().memory_info().rss


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux ``clear_refs``); False when not possible."""
    try:
        with open(f"/proc/{os.getpid()}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _kernel_peak() -> int | None:
    try:
        with open(f"/proc/{os.getpid()}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class PeakMemory:
    """Measure the peak growth of resident memory inside a ``with`` block.

    Uses the kernel's resettable high-water mark where available and a 10 ms sampling thread otherwise.

    Example:
        >>> with PeakMemory() as peak:
        ...     block = bytearray(50 * 1024 * 1024)
        >>> peak.mb > 0
        True
    """

    def __init__(self) -> None:
        self.mb: float | None = None
        self._baseline = 0
        self._sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._kernel = False

    def __enter__(self) -> PeakMemory:
        self._baseline = _rss()
        self._sampled = self._baseline
        self._kernel = _reset_peak() and _kernel_peak() is not None
        if not self._kernel:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self._sampled = max(self._sampled, _rss())

    def __exit__(self, *exc: object) -> None:
        if self._kernel:
            peak = max(_kernel_peak() or 0, _rss())
        else:
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
            peak = max(self._sampled, _rss())
        self.mb = max(0.0, (peak - self._baseline) / MIB)
