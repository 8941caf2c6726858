from __future__ import annotations

import json
import re

import pytest

from stancewire.models.taxonomy import DEFAULT_TAXONOMY, Taxonomy, load_taxonomy


def test_default_taxonomy_has_the_nine_types_in_order():
    assert DEFAULT_TAXONOMY.type_names == (
        "call_for_ceasefire",
        "accusation",
        "denial",
        "casualty_report",
        "military_action",
        "humanitarian",
        "diplomacy",
        "peace_process",
        "legal_action",
    )
    assert DEFAULT_TAXONOMY.stances == ("favor", "against", "none")
    assert all(label.description for label in DEFAULT_TAXONOMY.types)


def test_canonical_maps_near_misses_and_synonyms():
    assert DEFAULT_TAXONOMY.canonical("Call For Ceasefire") == "call_for_ceasefire"
    assert DEFAULT_TAXONOMY.canonical("legal-action") == "legal_action"
    assert DEFAULT_TAXONOMY.canonical("death toll") == "casualty_report"
    assert DEFAULT_TAXONOMY.canonical("weather") is None


def test_round_trip_through_json_and_yaml(tmp_path):
    path = tmp_path / "tax.json"
    DEFAULT_TAXONOMY.save(path)
    assert Taxonomy.from_file(path) == DEFAULT_TAXONOMY
    yaml_path = tmp_path / "tax.yaml"
    yaml_path.write_text("name: coarse\nversion: '2'\ntypes:\n  - name: violence\n    description: Any attack.\n")
    custom = load_taxonomy(yaml_path)
    assert custom.type_names == ("violence",)
    assert custom.version == "2"


def test_bad_taxonomy_files_name_the_file_and_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "x", "types": [{"name": "a"}]}))
    with pytest.raises(
        ValueError, match=re.escape(f"{path}: types[0] must be an object with 'name' and 'description'.")
    ):
        Taxonomy.from_file(path)
    path.write_text(json.dumps({"name": "x", "types": [{"name": "a", "description": "d"}] * 2}))
    with pytest.raises(ValueError, match=re.escape("repeats label(s) ['a']")):
        Taxonomy.from_file(path)


def test_unknown_label_index_lists_known_labels():
    with pytest.raises(KeyError, match="Unknown type label 'war'"):
        DEFAULT_TAXONOMY.index("war")
