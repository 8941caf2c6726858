"""``stancewire data check``: validate labelled files and count their labels per split.

Checks every line (schema, labels, targets) and the corpus as a whole: duplicate ids, the same
article in two splits, empty, duplicate and near-duplicate paragraphs (shingled Jaccard similarity).
The split of a file is its name without extension (``train.jsonl`` -> ``train``).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from stancewire.models.schema import DataError, article_from_record, iter_json_lines, record_problems
from stancewire.models.taxonomy import Taxonomy, load_taxonomy

NEAR_DUPLICATE_JACCARD = 0.6
SHINGLE_SIZE = 3
MIN_SHINGLES = 5  # very short paragraphs ("Dozens were killed.") are only checked for exact duplicates


@dataclass(frozen=True)
class Problem:
    """One finding, located by file and line (``line`` is ``None`` for file-level problems)."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line is not None else f"{self.path}: {self.message}"


@dataclass
class SplitStats:
    """Counts for one split."""

    articles: int = 0
    paragraphs: int = 0
    no_type: int = 0
    types: Counter = field(default_factory=Counter)
    stance: Counter = field(default_factory=Counter)
    conflicts: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)


@dataclass
class CheckReport:
    """What :func:`check_data` found: problems and per-split statistics."""

    problems: list[Problem]
    splits: dict[str, SplitStats]

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


@dataclass
class _Seen:
    text: str
    path: str
    line: int
    split: str
    article_id: str


SPLIT_ORDER = ("train", "dev", "test")


def split_order(file: Path) -> tuple[int, str]:
    """Sort key putting train, dev and test first, then other files by name."""
    stem = file.stem
    return (SPLIT_ORDER.index(stem) if stem in SPLIT_ORDER else len(SPLIT_ORDER), stem)


def data_files(path: str | Path) -> list[Path]:
    """The ``*.jsonl`` files under ``path`` (or ``path`` itself), train/dev/test first; errors if there are none."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No data file or folder at {path}.")
    files = sorted(path.glob("*.jsonl"), key=split_order) if path.is_dir() else [path]
    if not files:
        raise DataError(path, None, "folder holds no *.jsonl file.")
    return files


def check_data(
    path: str | Path,
    taxonomy: Taxonomy | str | None = None,
    near_duplicate_threshold: float = NEAR_DUPLICATE_JACCARD,
) -> CheckReport:
    """Validate a data file or a folder of split files.

    Args:
        path: A ``.jsonl`` file or a folder of them (``train.jsonl``, ``dev.jsonl``, ``test.jsonl``...).
        taxonomy: Taxonomy whose labels are accepted (default: the built-in one).
        near_duplicate_threshold: Paragraph pairs with a shingled Jaccard similarity above this are reported.

    Returns:
        A :class:`CheckReport`; ``report.ok`` is false if anything is wrong.

    Example:
        >>> report = check_data("fixtures/")  # doctest: +SKIP
        >>> report.ok, report.splits["test"].articles  # doctest: +SKIP
        (True, 25)
    """
    taxonomy = load_taxonomy(taxonomy)
    problems: list[Problem] = []
    splits: dict[str, SplitStats] = {}
    ids: dict[str, tuple[str, int, str]] = {}
    article_hashes: dict[str, tuple[str, int, str]] = {}
    paragraphs: list[_Seen] = []
    for file in data_files(path):
        split = file.stem
        stats = splits.setdefault(split, SplitStats())
        try:
            for line, record in iter_json_lines(file):
                found = record_problems(record, taxonomy, strict=True)
                problems.extend(Problem(str(file), line, message) for message in found)
                if found:
                    continue
                article = article_from_record(record, str(file), line)
                _count(stats, article)
                where = (str(file), line, split)
                if article.id in ids:
                    first = ids[article.id]
                    problems.append(
                        Problem(str(file), line, f"duplicate id {article.id!r} (first at {first[0]}:{first[1]}).")
                    )
                ids.setdefault(article.id, where)
                digest = hashlib.sha1(article.text.strip().lower().encode()).hexdigest()
                if digest in article_hashes and article_hashes[digest][2] != split:
                    first = article_hashes[digest]
                    problems.append(
                        Problem(
                            str(file),
                            line,
                            f"the same article is in splits {first[2]!r} and {split!r} ({first[0]}:{first[1]}).",
                        )
                    )
                article_hashes.setdefault(digest, where)
                paragraphs.extend(_Seen(p.text, str(file), line, split, article.id) for p in article.paragraphs)
        except DataError as exc:
            problems.append(Problem(exc.path, exc.line, exc.message))
    problems.extend(_duplicate_paragraphs(paragraphs))
    problems.extend(_near_duplicates(paragraphs, near_duplicate_threshold))
    return CheckReport(problems, splits)


def _count(stats: SplitStats, article) -> None:
    stats.articles += 1
    stats.conflicts[article.conflict or "?"] += 1
    stats.sources[article.source or "?"] += 1
    for paragraph in article.paragraphs:
        stats.paragraphs += 1
        stats.types.update(paragraph.types)
        stats.no_type += not paragraph.types
        stats.stance.update(paragraph.stance.values())


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _duplicate_paragraphs(paragraphs: list[_Seen]) -> list[Problem]:
    first_seen: dict[str, _Seen] = {}
    problems = []
    for seen in paragraphs:
        key = _normalised(seen.text)
        if key in first_seen:
            first = first_seen[key]
            problems.append(
                Problem(
                    seen.path,
                    seen.line,
                    f"duplicate paragraph {_clip(seen.text)!r} "
                    f"(also in article {first.article_id!r}, {first.path}:{first.line}).",
                )
            )
        else:
            first_seen[key] = seen
    return problems


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[tuple[str, ...]]:
    """Word ``size``-grams of a lower-cased text (the unit of the near-duplicate check)."""
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _near_duplicates(paragraphs: list[_Seen], threshold: float) -> list[Problem]:
    sets = [shingles(p.text) for p in paragraphs]
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, shingle_set in enumerate(sets):
        if len(shingle_set) >= MIN_SHINGLES:
            for shingle in shingle_set:
                postings[shingle].append(index)
    problems = []
    for index, shingle_set in enumerate(sets):
        if len(shingle_set) < MIN_SHINGLES:
            continue
        shared: Counter = Counter()
        for shingle in shingle_set:
            shared.update(other for other in postings[shingle] if other > index)
        for other, common in shared.items():
            jaccard = common / (len(shingle_set) + len(sets[other]) - common)
            if jaccard > threshold and _normalised(paragraphs[index].text) != _normalised(paragraphs[other].text):
                a, b = paragraphs[index], paragraphs[other]
                problems.append(
                    Problem(
                        b.path,
                        b.line,
                        f"near-duplicate paragraphs (Jaccard {jaccard:.2f}): {_clip(b.text)!r} ~ "
                        f"{_clip(a.text)!r} in article {a.article_id!r} ({a.path}:{a.line}).",
                    )
                )
    return problems


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
