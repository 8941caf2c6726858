"""``config.json`` of a saved labeller folder: written with the library versions, read back with checks.

Every saved labeller (the fine-tuned classifier, the linear baselines, the zero-shot ones) keeps what
defines it in ``config.json`` beside its weights, with a ``kind`` the registry dispatches on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stancewire.models.jsonfile import read_json_file
from stancewire.models.registry import saved_folder
from stancewire.models.versions import check_versions, current_versions


def write_config(directory: str | Path, config: dict[str, Any]) -> Path:
    """Write ``config`` plus the current library versions to ``directory/config.json`` (creating the folder)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps({**config, "versions": current_versions()}, indent=2) + "\n", encoding="utf-8")
    return path


def read_config(path_or_name: str | Path, kind: str, what: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The folder (a path, or a shipped model's name) and its parsed ``config.json``.

    Args:
        path_or_name: A saved folder, or the name of a folder under ``models/shipped``.
        kind: The ``kind`` the config must declare.
        what: How messages name the model (default: ``kind``).

    Raises:
        FileNotFoundError: when the folder has no ``config.json``.
        ValueError: when the config is not JSON or declares another kind (naming the file).

    Warns when the folder was saved by other library versions.
    """
    path = saved_folder(path_or_name)
    config_file = path / "config.json"
    if not config_file.exists():
        raise FileNotFoundError(f"No saved {what or kind} at {path}: {config_file} is missing.")
    config = read_json_file(config_file, "model config")
    if not isinstance(config, dict) or config.get("kind") != kind:
        found = config.get("kind") if isinstance(config, dict) else type(config).__name__
        raise ValueError(f"{config_file}: kind is {found!r}, expected {kind!r}.")
    check_versions(config.get("versions"), str(path))
    return path, config
