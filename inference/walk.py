"""Which files of a folder get labelled: recursive, sorted, and never led out of the folder by a symlink.

Hidden files and folders (names starting with ``.``) are ignored. Symbolic links to folders are not
followed (that also rules out loops); a symbolic link to a file is read only when its target lies inside
the folder. Files with an unsupported ending and links that are not followed are reported as skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from stancewire.inference.readers import READERS, supported_suffixes


@dataclass
class FolderPlan:
    """The files to read (absolute path, name relative to the root) and what was skipped, with why.

    Example:
        >>> plan = plan_folder("examples/articles")  # doctest: +SKIP
        >>> plan.files[0][1]  # doctest: +SKIP
        'caucasus-012.txt'
    """

    root: Path
    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def plan_folder(root: str | Path, exclude: Iterable[str | Path] = ()) -> FolderPlan:
    """List the article files under ``root``.

    Args:
        root: The folder.
        exclude: Files never to read (the run's own outputs when they sit inside the folder).

    Raises:
        NotADirectoryError: when ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder; give a folder of .txt/.md/.html/.json/.jsonl articles.")
    real_root = root.resolve()
    excluded = {Path(p).resolve() for p in exclude}
    plan = FolderPlan(root=root)
    for directory, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        here = Path(directory)
        for folder in folders:
            if (here / folder).is_symlink():
                plan.skipped.append((_relative(here / folder, root), "symbolic link to a folder: not followed."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            reason = _skip_reason(path, real_root)
            if path.resolve() in excluded:
                continue
            if reason:
                plan.skipped.append((_relative(path, root), reason))
            else:
                plan.files.append((path, _relative(path, root)))
    return plan


def _skip_reason(path: Path, real_root: Path) -> str:
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            return "broken symbolic link."
        if not target.is_relative_to(real_root):
            return f"symbolic link leads outside the folder (to {target}): not followed."
        if not target.is_file():
            return "symbolic link to something that is not a regular file."
    elif not path.is_file():
        return "not a regular file (a device, socket or pipe)."
    if path.suffix.lower() not in READERS:
        return f"unsupported file type {path.suffix or '(none)'!r}; expected one of {supported_suffixes()}."
    return ""


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
