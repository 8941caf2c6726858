from __future__ import annotations

from stancewire.models.schema import Article, Paragraph
from stancewire.training.splits import split_articles, write_splits


def articles() -> list[Article]:
    out = []
    for conflict in ("sudan", "haiti"):
        for i in range(20):
            types = ("legal_action",) if i % 4 == 0 else ("military_action",)
            stance = {"army": "against" if i % 3 == 0 else "none"}
            paragraph = Paragraph(f"{conflict} text {i}.", types, stance)
            out.append(Article(f"{conflict}-{i}", [paragraph], conflict=conflict))
    return out


def test_split_is_by_article_stratified_and_deterministic(tmp_path):
    plan = split_articles(articles())
    sizes = {k: len(v) for k, v in plan.splits.items()}
    assert sizes == {"train": 28, "dev": 6, "test": 6}
    ids = [a.id for split in plan.splits.values() for a in split]
    assert len(ids) == len(set(ids)) == 40
    for split in plan.splits.values():
        assert {a.conflict for a in split} == {"sudan", "haiti"}
        assert any("legal_action" in a.paragraphs[0].types for a in split)
    assert [a.id for a in split_articles(articles()).splits["test"]] == [a.id for a in plan.splits["test"]]
    paths = write_splits(plan, tmp_path)
    assert sorted(p.name for p in paths.values()) == ["dev.jsonl", "test.jsonl", "train.jsonl"]
