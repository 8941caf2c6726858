"""Reading a JSON file the user gave, with errors that name the file (and line) instead of a bare traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json_file(path: str | Path, what: str = "JSON file", hint: str = "") -> Any:
    """Parse the JSON document at ``path``.

    Args:
        path: The file.
        what: What the file should be, for the messages ("label map", "gazetteer", ...).
        hint: Appended to the missing-file message (for example which command writes such a file).

    Raises:
        FileNotFoundError: when there is no file at ``path``.
        ValueError: ``"<path>:<line>: <what> is not valid JSON (<reason>)."`` for malformed content.

    Example:
        >>> read_json_file("no/such.json", "label map")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        FileNotFoundError: No label map at no/such.json.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No {what} at {path}." + (f" {hint}" if hint else ""))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: {what} is not valid JSON ({exc.msg}).") from None
