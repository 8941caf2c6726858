from __future__ import annotations

from stancewire.training.checks import check_data

TEXTS = [
    "Artillery fire hit the northern districts for a third night, residents said, and power was cut across the area.",
    "The foreign ministry summoned the ambassador over remarks made at the summit.",
    "Prices of flour have tripled in the city's main market since the siege began.",
]


def messages(report):
    return [str(p) for p in report.problems]


def test_clean_folder_passes_and_counts_per_split(tmp_path, make_article, jsonl):
    jsonl(tmp_path / "train.jsonl", [make_article("a1", TEXTS[:2])])
    jsonl(tmp_path / "test.jsonl", [make_article("a2", TEXTS[2:])])
    report = check_data(tmp_path)
    assert report.ok, messages(report)
    assert report.splits["train"].paragraphs == 2
    assert report.splits["train"].types["military_action"] == 1
    assert report.splits["test"].no_type == 0
    assert report.splits["train"].stance["none"] == 4


def test_each_problem_is_reported_with_file_and_line(tmp_path, make_article, jsonl):
    unknown = make_article("u1", ["Unknown label paragraph about the front line."])
    unknown["paragraphs"][0]["types"] = ["war"]
    missing = make_article("m1", ["A paragraph about missing fields in this record."])
    del missing["summary"]
    foreign_target = make_article("t1", ["A paragraph with a stance for an unlisted target."])
    foreign_target["paragraphs"][0]["stance"]["Hamas"] = "against"
    empty = make_article("e1", ["   "])
    path = jsonl(
        tmp_path / "train.jsonl",
        [unknown, missing, foreign_target, empty, "{not json", make_article("u1", ["Dup id."])],
    )
    found = messages(check_data(path))
    assert f"{path}:1: paragraphs[0]: unknown type label 'war'; expected one of" in found[0]
    assert f"{path}:2: missing field 'summary'." in found
    assert (
        f"{path}:3: paragraphs[0]: stance for target 'Hamas', which the article does not list in 'targets' "
        "['Israel', 'ceasefire']." in found
    )
    assert f"{path}:4: paragraphs[0]: empty paragraph text." in found
    assert any(m.startswith(f"{path}:5: malformed JSON") for m in found)


def test_duplicate_ids_split_leaks_and_duplicate_paragraphs(tmp_path, make_article, jsonl):
    train = jsonl(tmp_path / "train.jsonl", [make_article("a1", TEXTS[:2]), make_article("a2", [TEXTS[2]])])
    test = jsonl(
        tmp_path / "test.jsonl",
        [make_article("a1", ["Something else entirely new here."]), make_article("a3", TEXTS[:2])],
    )
    found = messages(check_data(tmp_path))
    assert f"{test}:1: duplicate id 'a1' (first at {train}:1)." in found
    assert f"{test}:2: the same article is in splits 'train' and 'test' ({train}:1)." in found
    assert any(m.startswith(f"{test}:2: duplicate paragraph 'Artillery fire hit") for m in found)


def test_near_duplicates_are_caught_but_distinct_paragraphs_are_not(tmp_path, make_article, jsonl):
    near = TEXTS[0].replace("third", "fourth")
    path = jsonl(tmp_path / "train.jsonl", [make_article("a1", TEXTS), make_article("a2", [near])])
    found = messages(check_data(path))
    assert len(found) == 1
    assert found[0].startswith(f"{path}:2: near-duplicate paragraphs (Jaccard 0.")
    assert check_data(path, near_duplicate_threshold=0.95).ok


def test_agreement_kappa_per_label(tmp_path, make_article, jsonl):
    import json

    from stancewire.training.agreement import agreement

    gold = make_article("a1", TEXTS)  # paragraph 0 is military_action, others have no type
    jsonl(tmp_path / "gold" / "train.jsonl", [gold])
    second = [
        {
            "article_id": "a1",
            "paragraph_index": 0,
            "types": ["military_action"],
            "stance": {"Israel": "none", "ceasefire": "none"},
        },
        {
            "article_id": "a1",
            "paragraph_index": 1,
            "types": ["military_action"],
            "stance": {"Israel": "against", "ceasefire": "none"},
        },
        {"article_id": "a1", "paragraph_index": 2, "types": [], "stance": {"Israel": "none", "ceasefire": "none"}},
    ]
    path = jsonl(tmp_path / "second.jsonl", second)
    rows = {r.label: r for r in agreement(tmp_path / "gold", path)}
    # gold [1,0,0] vs second [1,1,0]: po = 2/3, pe = 1/3*2/3 + 2/3*1/3 = 4/9, kappa = (2/3-4/9)/(5/9) = 0.4
    assert abs(rows["military_action"].kappa - 0.4) < 1e-9
    assert rows["legal_action"].kappa == 1.0 and rows["legal_action"].observed == 1.0
    assert rows["stance"].items == 6 and abs(rows["stance"].observed - 5 / 6) < 1e-9
    path.write_text(json.dumps({"article_id": "zz", "paragraph_index": 0, "types": [], "stance": {}}) + "\n")
    import pytest

    from stancewire.models.schema import DataError

    with pytest.raises(DataError, match="no gold paragraph 0 in article 'zz'"):
        agreement(tmp_path / "gold", path)
