"""Every config under training/configs loads, and the ones that train the classifier say what they fine-tune."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from stancewire.training.config import TrainingConfig

CONFIG_DIR = Path(__file__).parents[2] / "training" / "configs"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


def test_the_configs_folder_is_found():
    assert {p.name for p in CONFIGS} >= {"default.yaml", "full.yaml", "tfidf-logreg.yaml"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_each_config_loads_and_points_at_the_fixture_splits(path):
    config = TrainingConfig.from_file(path)
    assert config.train == "fixtures/train.jsonl" and config.dev == "fixtures/dev.jsonl"


def test_full_fine_tuning_uses_a_lower_rate_than_the_lora_default():
    default = TrainingConfig.from_file(CONFIG_DIR / "default.yaml")
    full = TrainingConfig.from_file(CONFIG_DIR / "full.yaml")
    assert (default.full, full.full) == (False, True)
    assert full.learning_rate < default.learning_rate
    assert {k: v for k, v in full.to_dict().items() if k not in ("full", "learning_rate", "output_dir")} == {
        k: v for k, v in default.to_dict().items() if k not in ("full", "learning_rate", "output_dir")
    } | {"lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.1, "lora_layers": None}


def test_full_fine_tuning_at_a_lora_rate_warns(tmp_path):
    settings = TrainingConfig.from_file(CONFIG_DIR / "default.yaml").to_dict()
    with pytest.warns(UserWarning, match=r"full fine-tuning at learning_rate 0\.0005, a LoRA rate"):
        TrainingConfig.from_dict({**settings, "full": True})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TrainingConfig.from_dict(settings)  # LoRA at that rate is the shipped recipe
        TrainingConfig.from_file(CONFIG_DIR / "full.yaml")
