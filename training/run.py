"""``train``: one entry point for every trainable model kind, chosen by ``TrainingConfig.model``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from stancewire.models.taxonomy import load_taxonomy
from stancewire.training.baselines import fit_embed_logreg, fit_tfidf_logreg
from stancewire.training.config import TrainingConfig
from stancewire.training.ensemble import fit_ensemble
from stancewire.training.model_card import write_model_card
from stancewire.training.trainer import (
    TrainResult,
    data_statistics,
    load_training_data,
    score,
    train_classifier,
)

TRAINERS: dict[str, Callable[..., TrainResult]] = {}


def register_trainer(kind: str) -> Callable:
    """Decorator registering a training function for a ``TrainingConfig.model`` kind."""

    def decorate(func: Callable[..., TrainResult]) -> Callable[..., TrainResult]:
        TRAINERS[kind] = func
        return func

    return decorate


def train(config: TrainingConfig, progress: bool = False) -> TrainResult:
    """Train the model kind ``config.model`` names, save it to ``config.output_dir`` with a model card.

    Example:
        >>> result = train(TrainingConfig.from_file("training/configs/tfidf-logreg.yaml"))  # doctest: +SKIP
        >>> round(result.metrics["test"]["types_macro_f1"], 2)  # doctest: +SKIP
        0.7
    """
    return TRAINERS[config.model](config, progress=progress)


@register_trainer("paragraph-classifier")
def _train_paragraph_classifier(config: TrainingConfig, progress: bool = False) -> TrainResult:
    return train_classifier(config, progress=progress)


def _train_linear(config: TrainingConfig, fit: Callable) -> TrainResult:
    started = time.perf_counter()
    taxonomy = load_taxonomy(config.taxonomy)
    data = load_training_data(config, taxonomy)  # silver below the confidence floor is already dropped
    if config.model == "ensemble":
        model = fit(config.members, data.dev)
    else:
        model = fit(data.train, data.dev, taxonomy, silver=data.silver, silver_weight=config.silver_weight)
    metrics = {"dev": score(model, data.dev)}
    if data.test:
        metrics["test"] = score(model, data.test)
    output_dir = Path(config.output_dir)
    model.save_pretrained(output_dir)
    seconds = time.perf_counter() - started
    stats = data_statistics(data, taxonomy)
    write_model_card(output_dir, config, metrics, seconds, 0, stats)
    return TrainResult(model, output_dir, metrics, seconds, 0.0, stats)


@register_trainer("tfidf-logreg")
def _train_tfidf(config: TrainingConfig, progress: bool = False) -> TrainResult:
    return _train_linear(config, fit_tfidf_logreg)


@register_trainer("embed-logreg")
def _train_embed(config: TrainingConfig, progress: bool = False) -> TrainResult:
    return _train_linear(config, fit_embed_logreg)


@register_trainer("ensemble")
def _train_ensemble(config: TrainingConfig, progress: bool = False) -> TrainResult:
    return _train_linear(config, fit_ensemble)
