"""The silver-label cache: one JSON line per labelled paragraph, keyed by model, prompt and paragraph.

The cache sits beside the output file (``silver.jsonl`` -> ``silver.cache.jsonl``). Every answer is appended
and flushed as soon as it exists, so an interrupted run resumes where it stopped and a rerun makes no LLM
call. A torn last line (the process was killed mid-write) is skipped when the file is read back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


def cache_key(model: str, prompt: str, method: str, text: str, targets: Sequence[str]) -> str:
    """sha256 over the model name, the prompt fingerprint, the confidence settings, the paragraph and its targets.

    Example:
        >>> len(cache_key("llama-cpp:x.gguf", "silver.v1:abc", "agreement.v1/k3", "Shelling resumed.", ["UN"]))
        64
    """
    payload = json.dumps([model, prompt, method, " ".join(text.split()), list(targets)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def cache_path_for(out: str | Path) -> Path:
    """The cache file beside an output file: ``silver.jsonl`` -> ``silver.cache.jsonl``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.cache.jsonl")


class SilverCache:
    """A JSONL cache of silver labels (``key -> record``), appended to as labels arrive.

    Args:
        path: The cache file (created on the first :meth:`put`); ``None`` keeps the cache in memory only.

    Example:
        >>> cache = SilverCache(None)
        >>> cache.put("k", {"types": []})
        >>> cache.get("k")
        {'types': []}
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._records: dict[str, dict[str, Any]] = {}
        self._handle: IO[str] | None = None
        self.skipped_lines = 0
        if self.path is not None and self.path.exists():
            self._read()

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached record, or ``None``."""
        return self._records.get(key)

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store a record and append it to the file at once (a later line for the same key wins on reading)."""
        self._records[key] = record
        if self.path is None:
            return
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps({"key": key, "record": record}, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        """Close the file handle (the cache stays readable)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _read(self) -> None:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    self._records[entry["key"]] = entry["record"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    self.skipped_lines += 1
