"""Turn articles into ``datasets.Dataset`` tables: one row per paragraph, or per (paragraph, target).

Article ids are kept in every row so metrics and bootstrap resampling can group by article.
"""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset

from stancewire.models.schema import Article
from stancewire.models.taxonomy import Taxonomy, load_taxonomy


def paragraph_dataset(articles: Sequence[Article], taxonomy: Taxonomy | None = None) -> Dataset:
    """One row per paragraph: ``article_id``, ``paragraph_index``, ``text``, ``types`` and multi-hot ``labels``.

    Example:
        >>> from stancewire.models.schema import Article, Paragraph
        >>> ds = paragraph_dataset([Article("a", [Paragraph("Talks resumed.", ("diplomacy",))])])
        >>> ds[0]["labels"][6]
        1.0
    """
    taxonomy = load_taxonomy(taxonomy)
    rows: dict[str, list] = {"article_id": [], "paragraph_index": [], "text": [], "types": [], "labels": []}
    for article in articles:
        for index, paragraph in enumerate(article.paragraphs):
            rows["article_id"].append(article.id)
            rows["paragraph_index"].append(index)
            rows["text"].append(paragraph.text)
            rows["types"].append(list(paragraph.types))
            rows["labels"].append([1.0 if name in paragraph.types else 0.0 for name in taxonomy.type_names])
    return Dataset.from_dict(rows)


def stance_dataset(articles: Sequence[Article], taxonomy: Taxonomy | None = None) -> Dataset:
    """One row per labelled (paragraph, target) pair: ``article_id``, ``paragraph_index``, ``target``,
    ``text``, ``stance`` and integer ``label`` (index into ``taxonomy.stances``)."""
    taxonomy = load_taxonomy(taxonomy)
    rows: dict[str, list] = {
        "article_id": [],
        "paragraph_index": [],
        "target": [],
        "text": [],
        "stance": [],
        "label": [],
    }
    for article in articles:
        for index, paragraph in enumerate(article.paragraphs):
            for target, stance in paragraph.stance.items():
                rows["article_id"].append(article.id)
                rows["paragraph_index"].append(index)
                rows["target"].append(target)
                rows["text"].append(paragraph.text)
                rows["stance"].append(stance)
                rows["label"].append(taxonomy.stances.index(stance))
    return Dataset.from_dict(rows)
