"""Inter-annotator agreement: Cohen's kappa per type label and for stance, between gold files and a second
annotator's blind labels of a sample (``{"article_id", "paragraph_index", "types", "stance"}`` per line)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from stancewire.models.schema import DataError, iter_json_lines, load_articles
from stancewire.models.taxonomy import Taxonomy, load_taxonomy


@dataclass
class Agreement:
    """Kappa and raw agreement for one label (or for stance over (paragraph, target) pairs)."""

    label: str
    kappa: float
    observed: float
    positives_first: int
    positives_second: int
    items: int


def agreement(gold: str | Path, second: str | Path, taxonomy: Taxonomy | None = None) -> list[Agreement]:
    """Compare a second annotator's labels with the gold labels of the same paragraphs.

    Returns one :class:`Agreement` per type label, then one for stance (3 classes over every pair).

    Example:
        >>> rows = agreement("fixtures/", "fixtures/agreement/second-annotator.jsonl")  # doctest: +SKIP
        >>> rows[-1].label  # doctest: +SKIP
        'stance'
    """
    taxonomy = load_taxonomy(taxonomy)
    paragraphs = {(a.id, i): p for a in load_articles(gold, taxonomy) for i, p in enumerate(a.paragraphs)}
    first_types, second_types, first_stance, second_stance = [], [], [], []
    for line, record in iter_json_lines(second):
        key = (str(record.get("article_id")), record.get("paragraph_index"))
        if key not in paragraphs:
            raise DataError(second, line, f"no gold paragraph {key[1]} in article {key[0]!r}.")
        gold_paragraph = paragraphs[key]
        first_types.append(set(gold_paragraph.types))
        second_types.append(set(record.get("types", [])))
        for target, stance in gold_paragraph.stance.items():
            if target not in record.get("stance", {}):
                raise DataError(second, line, f"no stance for target {target!r}.")
            first_stance.append(stance)
            second_stance.append(record["stance"][target])
    rows = []
    for name in taxonomy.type_names:
        a = [name in s for s in first_types]
        b = [name in s for s in second_types]
        rows.append(Agreement(name, _kappa(a, b), _observed(a, b), sum(a), sum(b), len(a)))
    rows.append(
        Agreement(
            "stance",
            _kappa(first_stance, second_stance),
            _observed(first_stance, second_stance),
            sum(s != "none" for s in first_stance),
            sum(s != "none" for s in second_stance),
            len(first_stance),
        )
    )
    return rows


def _kappa(a: list, b: list) -> float:
    if len(set(a) | set(b)) < 2:
        return 1.0  # both annotators used one and the same value throughout
    return float(cohen_kappa_score(a, b))


def _observed(a: list, b: list) -> float:
    return sum(x == y for x, y in zip(a, b)) / max(len(a), 1)
