"""The ``versions`` block saved with every artefact, and the warning when loading one saved by other versions."""

from __future__ import annotations

import warnings
from importlib.metadata import PackageNotFoundError, version

TRACKED = ("stancewire", "transformers", "torch")


def current_versions() -> dict[str, str]:
    """Installed versions of stancewire, transformers and torch."""
    found = {}
    for package in TRACKED:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def check_versions(saved: dict[str, str] | None, where: str) -> None:
    """Warn (``UserWarning``) if an artefact at ``where`` was saved by other versions than those installed."""
    if not saved:
        return
    now = current_versions()
    differ = {k: (v, now.get(k)) for k, v in saved.items() if k in now and now[k] != v}
    if differ:
        detail = ", ".join(f"{k} {old} (now {new})" for k, (old, new) in sorted(differ.items()))
        warnings.warn(f"{where} was saved with {detail}; predictions may differ slightly.", UserWarning, stacklevel=3)
