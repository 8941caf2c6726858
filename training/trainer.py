"""``train_classifier``: fine-tune the paragraph classifier with ``transformers.Trainer``.

The run reads as its phases: load data, weigh classes, build the model, tokenise, warm-start the heads
by linear probing, fit with early stopping on dev macro-F1, tune per-label thresholds on dev (for the
full-precision network and for its int8-quantised copy), score dev and test with both, decide whether int8
is the model's default (``training/int8_choice.py``), save with a model card.
"""

from __future__ import annotations

import dataclasses
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score
from transformers import PretrainedConfig, Trainer, TrainerCallback, TrainingArguments, set_seed

from stancewire.models.classifier import ParagraphClassifier
from stancewire.models.classifier_config import ClassifierConfig, LoraSettings
from stancewire.models.classifier_network import IGNORE_INDEX
from stancewire.models.schema import Article, load_articles
from stancewire.models.taxonomy import Taxonomy, load_taxonomy
from stancewire.training.config import TrainingConfig
from stancewire.training.features import TaskCollator, joint_rows, task_rows, tokenize_rows
from stancewire.training.int8_choice import Int8Choice
from stancewire.training.model_card import write_model_card
from stancewire.training.thresholds import tune_none_shift, tune_thresholds
from stancewire.training.warm_start import warm_start_heads

CALIBRATION_TEXTS = 256  # paragraphs and pairs whose activations set the int8 input ranges
CALIBRATION_PAIRS = 128
# Seeded calibration samples tried; the int8 copy keeps the one whose types macro-F1 on dev is best. On one
# model, four calibration samples (two seeds at this size, two larger) gave int8 losses against full precision
# from 0.19 to 0.98 points (dev + test), so the sample decides the 0.5-point bar as much as the model does.
CALIBRATION_DRAWS = 3


@dataclass
class TrainingData:
    """The articles of one run."""

    train: list[Article]
    dev: list[Article]
    test: list[Article] = field(default_factory=list)
    silver: list[Article] = field(default_factory=list)


@dataclass
class TrainResult:
    """What a run produced: the model, where it was saved, its scores and its cost."""

    model: ParagraphClassifier
    output_dir: Path
    metrics: dict[str, dict[str, float]]
    seconds: float
    epochs_run: float
    data_stats: dict[str, Any]


def train_classifier(
    config: TrainingConfig, encoder_config: PretrainedConfig | None = None, progress: bool = False
) -> TrainResult:
    """Train, tune and save a :class:`ParagraphClassifier` as ``config`` says.

    Args:
        config: The run's settings.
        encoder_config: Build a randomly initialised encoder from this config instead of loading
            ``config.base_model``'s weights (tests use a tiny one).
        progress: Show the Trainer's progress bar (the CLI sets it; the library is quiet by default).

    Example:
        >>> cfg = TrainingConfig.from_file("training/configs/default.yaml")  # doctest: +SKIP
        >>> result = train_classifier(cfg)  # doctest: +SKIP
        >>> result.metrics["test"]["types_macro_f1"]  # doctest: +SKIP
        0.87
    """
    started = time.perf_counter()
    set_seed(config.seed)
    taxonomy = load_taxonomy(config.taxonomy)
    data = load_training_data(config, taxonomy)
    pos_weight, class_weight = class_weights(data.train, taxonomy, config.class_weighting)
    model = ParagraphClassifier.create(
        classifier_config(config, taxonomy),
        encoder_config=encoder_config,
        type_pos_weight=pos_weight,
        stance_class_weight=class_weight,
    )
    keep, seed, packed = config.absent_none_keep, config.seed, config.stance_encoding == "packed"
    rows = joint_rows if config.joint_rows else task_rows
    train_set = tokenize_rows(
        rows(data.train, taxonomy, absent_none_keep=keep, seed=seed)
        + rows(data.silver, taxonomy, config.silver_weight, absent_none_keep=keep, seed=seed),
        model.tokenizer,
        config.max_length,
        packed=packed,
    )
    dev_set = tokenize_rows(rows(data.dev, taxonomy), model.tokenizer, config.max_length, packed=packed)
    if config.warm_start:
        warm_start_heads(model, train_set)
    epochs_run = fit(model, train_set, dev_set, config, progress)
    model.config.thresholds = tune_thresholds(model, data.dev)
    model.config.stance_none_shift = tune_none_shift(model, data.dev)
    model.merge_adapter()
    calibration_scores = calibrate_on_dev(model, data.train, data.dev, config.seed)
    int8 = model.quantized()  # decides with the int8 thresholds the best draw was tuned to
    model.config.int8_stance_none_shift = tune_none_shift(int8, data.dev)
    int8.config.stance_none_shift = model.config.int8_stance_none_shift
    outcomes = {  # each precision predicts each split once; the int8 verdict pools the same predictions
        (split, suffix): predict_outcomes(labeller, articles)
        for suffix, labeller in (("", model), (", int8", int8))
        for split, articles in (("dev", data.dev), ("test", data.test))
        if articles
    }
    metrics = {split + suffix: outcome_scores(found) for (split, suffix), found in outcomes.items()}
    pooled = {
        suffix: outcome_scores(_concatenate([found for (_, s), found in outcomes.items() if s == suffix]))
        for suffix in ("", ", int8")
    }
    int8_choice = Int8Choice(
        fp32=pooled[""]["types_macro_f1"],
        int8=pooled[", int8"]["types_macro_f1"],
        paragraphs=sum(len(a.paragraphs) for a in data.dev + data.test),
        tolerance=config.int8_tolerance,
    )
    model.config.int8_default = int8_choice.use_int8
    output_dir = Path(config.output_dir)
    model.name = output_dir.name
    model.save_pretrained(output_dir)
    seconds = time.perf_counter() - started
    stats = data_statistics(data, taxonomy)
    shifts = (
        f"Stance: the probability of `none` is multiplied by exp(shift) before the stance is chosen, the shift tuned "
        f"on dev (training weights favor and against up): {model.config.stance_none_shift:+.2f}, int8 "
        f"{model.config.int8_stance_none_shift:+.2f}."
    )
    calibration = (
        f"int8 calibration: {len(calibration_scores)} seeded samples of {CALIBRATION_TEXTS} paragraphs and "
        f"{CALIBRATION_PAIRS} pairs; dev types macro-F1 of their int8 copies "
        f"{', '.join(f'{score:.4f}' for score in calibration_scores)}; the best is kept."
    )
    notes = [int8_choice.describe(), calibration, shifts]
    write_model_card(output_dir, config, metrics, seconds, epochs_run, stats, notes=notes)
    return TrainResult(model, output_dir, metrics, seconds, epochs_run, stats)


def calibration_inputs(
    articles: list[Article], seed: int, texts: int = CALIBRATION_TEXTS, pairs: int = CALIBRATION_PAIRS
) -> tuple[list[str], list[tuple[str, str]]]:
    """A seeded sample of training paragraphs and (target, paragraph) pairs to calibrate int8 ranges on."""
    rng = random.Random(seed)
    paragraphs = [p for a in articles for p in a.paragraphs]
    all_pairs = [(target, p.text) for p in paragraphs for target in p.stance]
    sample = rng.sample(paragraphs, min(texts, len(paragraphs)))
    return [p.text for p in sample], rng.sample(all_pairs, min(pairs, len(all_pairs)))


def calibrate_on_dev(
    model: ParagraphClassifier, train: list[Article], dev: list[Article], seed: int, draws: int = CALIBRATION_DRAWS
) -> list[float]:
    """Calibrate ``model``'s int8 ranges on ``draws`` seeded training samples and keep the best on dev.

    The calibration sample is a source of variance like the decision thresholds, so it is chosen the same way:
    each draw's int8 copy gets thresholds tuned on dev and is scored on dev (types macro-F1); the ranges and
    thresholds of the best draw (the first on ties) stay in ``model.config.int8_ranges`` and
    ``model.config.int8_thresholds``. Returns every draw's dev score.
    """
    scores, ranges, thresholds = [], [], []
    for draw in range(draws):
        model.calibrate_int8(*calibration_inputs(train, seed + draw))
        int8 = model.quantized()
        int8.config.thresholds = tune_thresholds(int8, dev)
        scores.append(outcome_scores(predict_outcomes(int8, dev))["types_macro_f1"])
        ranges.append(model.config.int8_ranges)
        thresholds.append(int8.config.thresholds)
    best = scores.index(max(scores))
    model.config.int8_ranges, model.config.int8_thresholds = ranges[best], thresholds[best]
    return scores


def load_training_data(config: TrainingConfig, taxonomy: Taxonomy) -> TrainingData:
    """Read train/dev (optional test, silver) articles; silver paragraphs under the confidence floor are dropped."""
    silver = []
    if config.silver:
        for article in load_articles(config.silver, taxonomy):
            kept = [p for p in article.paragraphs if (p.confidence or 0.0) >= config.silver_min_confidence]
            if kept:
                silver.append(dataclasses.replace(article, paragraphs=kept))
    return TrainingData(
        train=load_articles(config.train, taxonomy),
        dev=load_articles(config.dev, taxonomy),
        test=load_articles(config.test, taxonomy) if config.test else [],
        silver=silver,
    )


def classifier_config(config: TrainingConfig, taxonomy: Taxonomy) -> ClassifierConfig:
    """The model's own config from the run's settings."""
    return ClassifierConfig(
        base_model=config.base_model,
        taxonomy=taxonomy,
        max_length=config.max_length,
        finetune="full" if config.full else "lora",
        stance_encoding=config.stance_encoding,
        lora=LoraSettings(
            r=config.lora_r,
            alpha=config.lora_alpha,
            dropout=config.lora_dropout,
            layers=config.lora_layers,
        ),
    )


def class_weights(
    articles: list[Article], taxonomy: Taxonomy, scheme: str
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Positive weight per type (negatives / positives) and weight per stance class (inverse frequency).

    Rare types and the rarer stance classes (favor, against) would otherwise be drowned by negatives
    and ``none``. ``"sqrt"`` softens both, which keeps precision from collapsing on tiny classes.
    """
    if scheme == "none":
        return None, None
    paragraphs = [p for a in articles for p in a.paragraphs]
    positives = np.array([sum(n in p.types for p in paragraphs) for n in taxonomy.type_names], dtype=float)
    pos_weight = (len(paragraphs) - positives) / np.maximum(positives, 1.0)
    stances = [s for p in paragraphs for s in p.stance.values()]
    counts = np.array([max(stances.count(s), 1) for s in taxonomy.stances], dtype=float)
    class_weight = counts.sum() / (len(counts) * counts)
    if scheme == "sqrt":
        pos_weight, class_weight = np.sqrt(pos_weight), np.sqrt(class_weight)
    return torch.tensor(np.clip(pos_weight, 1.0, 30.0), dtype=torch.float), torch.tensor(
        class_weight, dtype=torch.float
    )


class _KeepBest(TrainerCallback):
    """Early stopping on dev macro-F1 that keeps the best trainable weights in memory (no checkpoint files)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best = -1.0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        value = (metrics or {}).get("eval_combined_f1", -1.0)
        if value > self.best:
            self.best, self.bad_epochs = value, 0
            self.best_state = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        else:
            self.bad_epochs += 1
            control.should_training_stop = self.bad_epochs >= self.patience
        return control


def fit(model: ParagraphClassifier, train_set, dev_set, config: TrainingConfig, progress: bool) -> float:
    """Run ``transformers.Trainer``; returns the epochs run. The best dev epoch's weights are restored."""
    keep_best = _KeepBest(config.patience)
    with tempfile.TemporaryDirectory(prefix="stancewire-train-") as scratch:
        args = TrainingArguments(
            output_dir=scratch,
            num_train_epochs=config.epochs,
            max_steps=config.max_steps,
            learning_rate=config.learning_rate,
            per_device_train_batch_size=config.batch_size,
            per_device_eval_batch_size=64,
            warmup_steps=config.warmup_ratio,
            weight_decay=config.weight_decay,
            eval_strategy="epoch" if config.max_steps < 0 else "steps",
            eval_steps=None if config.max_steps < 0 else config.max_steps,
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            seed=config.seed,
            data_seed=config.seed,
            use_cpu=True,
            disable_tqdm=not progress,
            train_sampling_strategy="group_by_length",
            label_names=["type_labels", "stance_labels"],
            remove_unused_columns=False,
        )
        trainer = Trainer(
            model=model.network,
            args=args,
            data_collator=TaskCollator(model.tokenizer),
            train_dataset=train_set,
            eval_dataset=dev_set,
            compute_metrics=_dev_metrics,
            callbacks=[keep_best],
        )
        trainer.train()
        if keep_best.best_state is not None:
            model.network.load_state_dict(keep_best.best_state, strict=False)
        return float(trainer.state.epoch or 0.0)


def _dev_metrics(prediction) -> dict[str, float]:
    """Types macro-F1 (threshold 0.5), stance favor/against macro-F1, and their mean (the early-stopping metric)."""
    type_logits, stance_logits = prediction.predictions
    type_labels, stance_labels = prediction.label_ids
    is_stance = stance_labels != IGNORE_INDEX  # stance rows, or the labelled blocks of joint rows
    is_type = np.ones(len(type_labels), dtype=bool) if stance_labels.ndim == 2 else ~is_stance
    types_f1 = f1_score(type_labels[is_type], type_logits[is_type] > 0, average="macro", zero_division=0)
    stance_f1 = f1_score(
        stance_labels[is_stance], stance_logits[is_stance].argmax(-1), labels=[0, 1], average="macro", zero_division=0
    )
    return {"types_macro_f1": types_f1, "stance_fa_f1": stance_f1, "combined_f1": (types_f1 + stance_f1) / 2}


# Gold and predicted type rows (one bool per label) and gold and predicted stances, paragraph by paragraph.
Outcomes = tuple[list[list[bool]], list[list[bool]], list[str], list[str]]


def score(model: ParagraphClassifier, articles: list[Article]) -> dict[str, float]:
    """Types macro/micro-F1 with the tuned thresholds and stance macro-F1 (favor/against, and all three)."""
    return outcome_scores(predict_outcomes(model, articles))


def predict_outcomes(model: ParagraphClassifier, articles: list[Article]) -> Outcomes:
    """Run ``model`` on every paragraph (each article with its own targets) beside the gold labels."""
    names = model.taxonomy.type_names
    gold, predicted, gold_stance, predicted_stance = [], [], [], []
    for article in articles:
        texts = [p.text for p in article.paragraphs]
        predictions = model.predict(texts, targets=article.targets)
        for paragraph, prediction in zip(article.paragraphs, predictions):
            gold.append([n in paragraph.types for n in names])
            predicted.append([n in prediction.types for n in names])
            for target, stance in paragraph.stance.items():
                gold_stance.append(stance)
                predicted_stance.append(prediction.stance[target])
    return gold, predicted, gold_stance, predicted_stance


def _concatenate(parts: list[Outcomes]) -> Outcomes:
    """Several splits' outcomes as one."""
    return tuple([row for part in parts for row in part[i]] for i in range(4))  # type: ignore[return-value]


def outcome_scores(outcomes: Outcomes) -> dict[str, float]:
    """The F1 scores of :func:`score` from outcomes already predicted."""
    gold, predicted, gold_stance, predicted_stance = outcomes
    gold_arr, pred_arr = np.array(gold), np.array(predicted)
    return {
        "types_macro_f1": float(f1_score(gold_arr, pred_arr, average="macro", zero_division=0)),
        "types_micro_f1": float(f1_score(gold_arr, pred_arr, average="micro", zero_division=0)),
        "stance_fa_f1": float(
            f1_score(gold_stance, predicted_stance, labels=["favor", "against"], average="macro", zero_division=0)
        ),
        "stance_macro_f1": float(f1_score(gold_stance, predicted_stance, average="macro", zero_division=0)),
    }


def data_statistics(data: TrainingData, taxonomy: Taxonomy) -> dict[str, Any]:
    """Articles, paragraphs, positives per type and stance counts per split (for the model card)."""
    stats = {}
    for split in ("train", "dev", "test", "silver"):
        articles = getattr(data, split)
        paragraphs = [p for a in articles for p in a.paragraphs]
        if not articles:
            continue
        stances = [s for p in paragraphs for s in p.stance.values()]
        stats[split] = {
            "articles": len(articles),
            "paragraphs": len(paragraphs),
            "types": {n: sum(n in p.types for p in paragraphs) for n in taxonomy.type_names},
            "stance": {s: stances.count(s) for s in taxonomy.stances},
        }
    return stats
