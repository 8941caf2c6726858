"""The ensemble labeller: weighted averages, save/load, errors; its fitting on dev."""

from __future__ import annotations

import numpy as np
import pytest

from stancewire.models.ensemble import EnsembleLabeler
from stancewire.models.registry import load_labeler
from stancewire.models.schema import Article, Paragraph
from stancewire.models.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from stancewire.training.baselines import fit_tfidf_logreg
from stancewire.training.config import TrainingConfig
from stancewire.training.ensemble import fit_ensemble

ROWS = [
    ("Rockets and artillery shelled the town again", ("military_action",), "none"),
    ("The envoy urged a truce and an end to the fighting", ("call_for_ceasefire",), "favor"),
    ("Officials rejected the truce proposal as a trap", ("diplomacy",), "against"),
    ("Aid trucks queued at the border crossing", ("humanitarian",), "none"),
]


def articles(n: int, rows=ROWS) -> list[Article]:
    return [
        Article(
            id=f"a{i}",
            paragraphs=[Paragraph(f"{text} on day {i}.", types, {"ceasefire": s}) for text, types, s in rows],
            targets=["ceasefire"],
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def members():
    return fit_tfidf_logreg(articles(6), articles(2)), fit_tfidf_logreg(
        articles(3, ROWS[:3]) + articles(1), articles(2)
    )


def test_ensemble_averages_probabilities_with_normalised_weights(members):
    first, second = members
    ensemble = EnsembleLabeler([first, second], weights=[3, 1])
    texts = ["The envoy urged a truce on day 9.", "Aid trucks queued on day 9."]
    pairs = [("ceasefire", t) for t in texts]
    assert ensemble.weights == [0.75, 0.25]
    expected = 0.75 * first.type_probabilities(texts) + 0.25 * second.type_probabilities(texts)
    np.testing.assert_allclose(ensemble.type_probabilities(texts), expected)
    expected = 0.75 * first.stance_probabilities(pairs) + 0.25 * second.stance_probabilities(pairs)
    np.testing.assert_allclose(ensemble.stance_probabilities(pairs), expected)
    assert ensemble.predict(texts[0], targets=["ceasefire"]).types == ["call_for_ceasefire"]


def test_ensemble_saves_member_names_and_loads_back(members, tmp_path):
    first, second = members
    first.save_pretrained(tmp_path / "one")
    second.save_pretrained(tmp_path / "two")
    thresholds = {"humanitarian": 0.3}
    ensemble = EnsembleLabeler([str(tmp_path / "one"), str(tmp_path / "two")], weights=[1, 1], thresholds=thresholds)
    ensemble.save_pretrained(tmp_path / "ens")
    loaded = load_labeler(tmp_path / "ens")
    assert isinstance(loaded, EnsembleLabeler) and loaded.thresholds["humanitarian"] == 0.3
    assert loaded.name == str(tmp_path / "ens")
    texts = [p.text for p in articles(1)[0].paragraphs]
    assert [p.to_dict() for p in loaded.predict(texts, ["ceasefire"])] == [
        p.to_dict() for p in ensemble.predict(texts, ["ceasefire"])
    ]


def test_ensemble_rejects_bad_members_and_weights(members):
    first, second = members
    with pytest.raises(ValueError, match="at least two members"):
        EnsembleLabeler([first])
    with pytest.raises(ValueError, match="non-negative"):
        EnsembleLabeler([first, second], weights=[1, -1])
    other = Taxonomy.from_dict({**DEFAULT_TAXONOMY.to_dict(), "types": DEFAULT_TAXONOMY.to_dict()["types"][:3]})
    second_other = fit_tfidf_logreg(articles(6, [(t, (), s) for t, _, s in ROWS]), articles(2), other)
    with pytest.raises(ValueError, match="another taxonomy"):
        EnsembleLabeler([first, second_other])


def test_fit_ensemble_chooses_weights_and_thresholds_on_dev(members, tmp_path):
    first, second = members
    first.save_pretrained(tmp_path / "one")
    second.save_pretrained(tmp_path / "two")
    ensemble = fit_ensemble([str(tmp_path / "one"), str(tmp_path / "two")], articles(2))
    assert sum(ensemble.weights) == pytest.approx(1) and len(ensemble.weights) == 2
    assert set(ensemble.thresholds) == set(ensemble.taxonomy.type_names)
    with pytest.raises(ValueError, match="dev split is empty"):
        fit_ensemble([str(tmp_path / "one"), str(tmp_path / "two")], [])


def test_training_config_needs_members_exactly_for_ensembles():
    with pytest.raises(ValueError, match="members"):
        TrainingConfig(train="t", dev="d", output_dir="o", model="ensemble")
    with pytest.raises(ValueError, match="members"):
        TrainingConfig(train="t", dev="d", output_dir="o", members=["default", "tfidf-logreg"])
    config = TrainingConfig(train="t", dev="d", output_dir="o", model="ensemble", members=["a", "b"])
    assert config.members == ["a", "b"]
