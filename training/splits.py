"""Split articles into train/dev/test by article, stratified by conflict, with every label in every split."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stancewire.models.schema import Article
from stancewire.models.taxonomy import Taxonomy, load_taxonomy

SPLITS = ("train", "dev", "test")


@dataclass
class SplitPlan:
    """Articles per split and the seed that produced the plan."""

    splits: dict[str, list[Article]]
    seed: int
    worst_coverage: float


def split_articles(
    articles: Sequence[Article],
    ratios: tuple[float, float, float] = (0.70, 0.15, 0.15),
    taxonomy: Taxonomy | None = None,
    tries: int = 300,
    seed: int = 0,
) -> SplitPlan:
    """Assign whole articles to train/dev/test, per conflict, keeping every label in every split.

    Each try shuffles the articles of each conflict and cuts them by ``ratios``; the try whose rarest
    label (type or favor/against stance) is best covered in its smallest share is kept. Coverage is the
    share of a label's positives that falls in a split divided by that split's ratio, so 1.0 is perfect.

    Example:
        >>> plan = split_articles(articles)  # doctest: +SKIP
        >>> sorted(plan.splits)  # doctest: +SKIP
        ['dev', 'test', 'train']
    """
    taxonomy = load_taxonomy(taxonomy)
    if abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError(f"ratios must add up to 1; got {ratios}.")
    by_conflict: dict[str, list[Article]] = {}
    for article in sorted(articles, key=lambda a: a.id):
        by_conflict.setdefault(article.conflict, []).append(article)
    totals = _label_counts(articles, taxonomy)
    best: SplitPlan | None = None
    for attempt in range(tries):
        rng = random.Random(seed + attempt)
        splits: dict[str, list[Article]] = {s: [] for s in SPLITS}
        for group in by_conflict.values():
            group = group[:]
            rng.shuffle(group)
            n_dev = max(1, round(len(group) * ratios[1]))
            n_test = max(1, round(len(group) * ratios[2]))
            splits["test"] += group[:n_test]
            splits["dev"] += group[n_test : n_test + n_dev]
            splits["train"] += group[n_test + n_dev :]
        coverage = min(
            _label_counts(splits[s], taxonomy)[label] / (totals[label] * ratio)
            for s, ratio in zip(SPLITS, ratios)
            for label in totals
        )
        if best is None or coverage > best.worst_coverage:
            best = SplitPlan(splits, seed + attempt, coverage)
    return best


def _label_counts(articles: Sequence[Article], taxonomy: Taxonomy) -> Counter:
    counts: Counter = Counter()
    for article in articles:
        for paragraph in article.paragraphs:
            counts.update(t for t in paragraph.types if t in taxonomy.type_names)
            counts.update(f"stance:{s}" for s in paragraph.stance.values() if s != "none")
    return counts


def write_splits(plan: SplitPlan, directory: str | Path) -> dict[str, Path]:
    """Write ``train.jsonl``, ``dev.jsonl`` and ``test.jsonl`` (articles sorted by id) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, articles in plan.splits.items():
        path = directory / f"{split}.jsonl"
        lines = [json.dumps(a.to_dict(), ensure_ascii=False) for a in sorted(articles, key=lambda a: a.id)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths[split] = path
    return paths
