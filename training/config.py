"""``TrainingConfig``: everything ``stancewire train --config FILE`` reads, validated on creation."""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from stancewire.models.lora_settings import check_lora_layers

# Above this, full fine-tuning (every weight) of a small encoder is likely to diverge; LoRA wants more.
FULL_MAX_LEARNING_RATE = 3e-4

CLASS_WEIGHTING = ("balanced", "sqrt", "none")
MODEL_KINDS = ("paragraph-classifier", "tfidf-logreg", "embed-logreg", "ensemble")
STANCE_ENCODINGS = ("pair", "packed")  # models.classifier_network's, repeated here so this module needs no torch


@dataclass
class TrainingConfig:
    """Settings of one training run (YAML or JSON file, or keywords).

    Args:
        train: Training data (JSONL file or folder).
        dev: Dev data, used for early stopping and threshold tuning.
        output_dir: Where the model folder (with its model card) is written.
        test: Optional held-out data, scored once at the end for the model card.
        model: What to train: ``"paragraph-classifier"`` (the fine-tuned encoder) or a baseline
            (``"tfidf-logreg"``, ``"embed-logreg"``); baselines ignore the encoder-training settings.
        base_model: Encoder name, Hugging Face id or local path (``"minilm"``: the bundled MiniLM-L6).
        taxonomy: ``"default"`` or a taxonomy file.
        full: Fine-tune every weight instead of a LoRA adapter.
        epochs: Maximum epochs (early stopping may end sooner).
        learning_rate: Peak learning rate (LoRA wants a higher one than full fine-tuning).
        batch_size: Rows per step (paragraph rows and (target, paragraph) rows mixed).
        lora_r: LoRA rank. lora_alpha: LoRA scaling. lora_dropout: LoRA dropout.
        lora_layers: Encoder layers (0 = lowest) that get LoRA adapters; None (the default) means every layer.
            Adapting only the upper layers saves the backward pass through the lower ones.
        max_length: Tokens per input.
        stance_encoding: ``"pair"`` (a (target, paragraph) row per target) or ``"packed"`` (the paragraph once with
            a short block per target, block attention; see :mod:`~stancewire.models.packed_inputs`).
        joint_rows: Train a packed model on one row per paragraph holding its type labels and a block per target
            (the same losses as a type row plus one row per target, with the paragraph encoded once: each epoch
            costs about as many encoder passes as there are paragraphs). Needs ``stance_encoding: packed``.
        seed: Seed for initialisation and data order; the same seed gives the same model.
        class_weighting: ``"balanced"`` (positive weight neg/pos per type, inverse frequency per stance
            class), ``"sqrt"`` (square roots of those) or ``"none"``.
        patience: Epochs without improvement of dev macro-F1 before stopping.
        warmup_ratio: Share of steps with a linear warm-up.
        weight_decay: AdamW weight decay.
        max_steps: Stop after this many optimiser steps (tests use it); -1 means no cap.
        warm_start: Fit both heads as logistic regressions on the frozen encoder's features before
            fine-tuning (linear probing, then fine-tuning: faster to converge and kinder to the
            pretrained features on unfamiliar text).
        absent_none_keep: Share of (paragraph, target) pairs labelled ``none`` whose paragraph never
            mentions the target that are kept for training. They are plentiful and easy, and dropping
            most of them cuts training time by about a third.
        int8_tolerance: The int8 copy becomes the model's default at inference (``int8_default``) when its
            types macro-F1 on dev + test (dev alone without test) is at most this many points below full
            precision; ``None`` never makes it the default. 0.5 is the bar of the inference issue.
        silver: Optional silver-labelled data (LLM labels) added to training.
        silver_weight: Loss weight of a silver row relative to a gold row.
        members: For ``model: ensemble``, the labellers to average (names or saved folders, trained first);
            their weights and the thresholds are chosen on dev.
        silver_min_confidence: Silver paragraphs below this confidence are left out.

    Example:
        >>> cfg = TrainingConfig(train="fixtures/train.jsonl", dev="fixtures/dev.jsonl", output_dir="runs/m")
        >>> TrainingConfig.from_dict(cfg.to_dict()) == cfg
        True
    """

    train: str
    dev: str
    output_dir: str
    test: str | None = None
    model: str = "paragraph-classifier"
    base_model: str = "minilm"
    taxonomy: str = "default"
    full: bool = False
    epochs: int = 5
    learning_rate: float = 1e-3
    batch_size: int = 32
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_layers: list[int] | None = None
    max_length: int = 160
    stance_encoding: str = "pair"
    joint_rows: bool = False
    seed: int = 13
    class_weighting: str = "sqrt"
    patience: int = 2
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_steps: int = -1
    absent_none_keep: float = 0.3
    warm_start: bool = True
    int8_tolerance: float | None = 0.5
    silver: str | None = None
    silver_weight: float = 0.5
    silver_min_confidence: float = 0.0
    members: list[str] | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1; got {self.epochs}.")
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"learning_rate must be in (0, 1); got {self.learning_rate}.")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {self.batch_size}.")
        if self.model not in MODEL_KINDS:
            raise ValueError(f"model must be one of {list(MODEL_KINDS)}; got {self.model!r}.")
        if self.class_weighting not in CLASS_WEIGHTING:
            raise ValueError(f"class_weighting must be one of {list(CLASS_WEIGHTING)}; got {self.class_weighting!r}.")
        check_lora_layers(self.lora_layers, "lora_layers")
        if self.stance_encoding not in STANCE_ENCODINGS:
            raise ValueError(f"stance_encoding must be one of {list(STANCE_ENCODINGS)}; got {self.stance_encoding!r}.")
        if self.joint_rows and self.stance_encoding != "packed":
            raise ValueError("joint_rows needs stance_encoding 'packed' (a pair row holds one target).")
        if self.int8_tolerance is not None and self.int8_tolerance < 0:
            raise ValueError(f"int8_tolerance must be >= 0 points (or null: never); got {self.int8_tolerance}.")
        if not 0 <= self.absent_none_keep <= 1:
            raise ValueError(f"absent_none_keep must be in [0, 1]; got {self.absent_none_keep}.")
        if not 0 <= self.silver_weight <= 1:
            raise ValueError(f"silver_weight must be in [0, 1]; got {self.silver_weight}.")
        if not 0 <= self.silver_min_confidence <= 1:
            raise ValueError(f"silver_min_confidence must be in [0, 1]; got {self.silver_min_confidence}.")
        if (self.model == "ensemble") != bool(self.members):
            raise ValueError("members (two or more labellers) is needed for model 'ensemble' and only for it.")
        if self.full and self.model == "paragraph-classifier" and self.learning_rate > FULL_MAX_LEARNING_RATE:
            warnings.warn(
                f"full fine-tuning at learning_rate {self.learning_rate:g}, a LoRA rate: on the fixture corpus it "
                "diverged at 5e-4 (dev types macro-F1 0.07 after two epochs); use about 1e-4 "
                "(training/configs/full.yaml).",
                UserWarning,
                stacklevel=3,
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every setting."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> TrainingConfig:
        """Build from a dict; unknown or missing keys give an error naming ``source``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown setting(s) {unknown}; known settings are {sorted(known)}.")
        missing = [k for k in ("train", "dev", "output_dir") if k not in data]
        if missing:
            raise ValueError(f"{source}: missing required setting(s) {missing}.")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> TrainingConfig:
        """Read a ``.yaml``/``.yml`` or ``.json`` config; relative data paths stay relative to the working dir."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"No training config at {path}.")
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        return cls.from_dict(data, source=str(path))
