"""The results.json file: a versioned schema with the run's config, data hashes, environment and every metric.

Reports (Markdown, HTML) and ``eval compare`` read this file only, so any report can be re-rendered from it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from stancewire.models.jsonfile import read_json_file

SCHEMA_VERSION = "stancewire.eval-results.v1"
"""Bump the trailing number when a field changes meaning or is removed; readers accept known versions."""
KNOWN_SCHEMAS = (SCHEMA_VERSION,)
KINDS = ("classify", "summarise")
TRACKED_PACKAGES = ("stancewire", "torch", "transformers", "numpy", "scikit-learn", "rouge-score", "matplotlib")


def environment() -> dict[str, Any]:
    """Python, platform, CPU count and versions of the packages that affect results."""
    packages = {}
    for name in TRACKED_PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "packages": packages,
    }


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(path: str | Path) -> dict[str, str]:
    """SHA-256 of a data file, or of each ``*.jsonl`` file of a folder, keyed by path."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return {str(f): file_sha256(f) for f in files}


def now_utc() -> str:
    """The current time as an ISO 8601 UTC string (seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def jsonable(value: Any) -> Any:
    """Convert numpy values, tuples and dataclass-like objects into plain JSON; ``nan``/``inf`` become ``None``."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def envelope(kind: str, config: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The top level of a results file: schema version, kind, creation time, config and environment."""
    if kind not in KINDS:
        raise ValueError(f"Unknown results kind {kind!r}; expected one of {list(KINDS)}.")
    return jsonable(
        {
            "schema": SCHEMA_VERSION,
            "kind": kind,
            "created": now_utc(),
            "config": config,
            "environment": environment(),
            **body,
        }
    )


def write_results(results: dict[str, Any], path: str | Path) -> Path:
    """Write a results dict as indented JSON (strict: no ``NaN`` tokens)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(results), indent=2, ensure_ascii=False, allow_nan=False) + "\n", "utf-8")
    return path


def read_results(path: str | Path) -> dict[str, Any]:
    """Read and check a results file written by :func:`write_results`.

    Raises:
        ValueError: when the file is not JSON, or has an unknown schema or kind, naming the file.
    """
    path = Path(path)
    data = read_json_file(path, "results file", hint="Run `stancewire eval classify|summarise` first.")
    if not isinstance(data, dict) or data.get("schema") not in KNOWN_SCHEMAS:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: field 'schema' is {found!r}; expected one of {list(KNOWN_SCHEMAS)}.")
    if data.get("kind") not in KINDS:
        raise ValueError(f"{path}: field 'kind' is {data.get('kind')!r}; expected one of {list(KINDS)}.")
    return data
