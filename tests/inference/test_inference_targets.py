"""Default targets from the gazetteer, and the order user > article > gazetteer."""

from __future__ import annotations

import json
import re

import pytest

from stancewire.inference.targets import Gazetteer, load_gazetteer, resolve_targets


def test_shipped_gazetteer_finds_actors_by_alias_case_sensitively():
    gazetteer = load_gazetteer()
    for actor in ("Israel", "Hamas", "Hezbollah", "Russia", "Ukraine", "RSF", "Sudanese army", "Houthis", "M23"):
        assert actor in gazetteer.actors
    text = "Rapid Support Forces fighters shelled El Fasher; the SAF said the RSF broke the truce. Wagner? us? fano?"
    assert gazetteer.mentions(text) == {"RSF": 2, "Sudanese army": 1}


def test_default_is_most_mentioned_actors_then_ceasefire():
    text = "Kyiv said Russian drones hit Odesa. Moscow denied it. Ukraine's army said Russia fired 40 drones."
    assert load_gazetteer().default_targets(text) == ["Russia", "Ukraine", "ceasefire"]
    many = "Israel Hamas Hezbollah Iran Houthis Russia"
    assert load_gazetteer().default_targets(many, max_actors=2) == ["Israel", "Hamas", "ceasefire"]
    assert load_gazetteer().default_targets("Nothing named here.") == ["ceasefire"]


def test_resolution_order():
    text = "Hamas fired rockets at Israel."
    assert resolve_targets(text, ["M23"], ["Rwanda"]) == (["M23"], "user")
    assert resolve_targets(text, "M23, Rwanda ,") == (["M23", "Rwanda"], "user")
    assert resolve_targets(text, [], ["Rwanda"]) == ([], "user")
    assert resolve_targets(text, None, ["Rwanda"]) == (["Rwanda"], "article")
    assert resolve_targets(text, None, []) == (["Hamas", "Israel", "ceasefire"], "gazetteer")


def test_custom_gazetteer_file_and_its_errors(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"actors": {"Fano": ["Fano militia"]}, "always": []}), encoding="utf-8")
    assert load_gazetteer(path).default_targets("The Fano militia took the town.") == ["Fano"]
    assert Gazetteer.from_dict(load_gazetteer(path).to_dict()) == load_gazetteer(path)
    with pytest.raises(ValueError, match=re.escape("alias 'AA' belongs to both 'Arakan Army' and 'Other'")):
        Gazetteer(actors={"Arakan Army": ("AA",), "Other": ("AA",)})
    with pytest.raises(ValueError, match=re.escape("field 'actors' must be an object {actor: [aliases, ...]}")):
        Gazetteer.from_dict({"actors": ["Israel"]})
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{path}:1: gazetteer file is not valid JSON")):
        load_gazetteer(path)
    with pytest.raises(FileNotFoundError, match=re.escape(f"No gazetteer file at {tmp_path / 'nope.json'}")):
        load_gazetteer(tmp_path / "nope.json")
