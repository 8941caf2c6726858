"""Configuration of the paragraph classifier, saved as ``config.json`` beside its weights."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from stancewire.models.classifier_network import STANCE_ENCODINGS, STANCE_POOLING_MODES
from stancewire.models.lora_settings import LoraSettings
from stancewire.models.taxonomy import DEFAULT_TAXONOMY, Taxonomy

FINETUNE_MODES = ("lora", "full")
POOLING_MODES = ("mean", "cls")


__all__ = ["ClassifierConfig", "LoraSettings", "FINETUNE_MODES", "POOLING_MODES"]


@dataclass
class ClassifierConfig:
    """What defines a :class:`~stancewire.models.classifier.ParagraphClassifier` besides its weights.

    Args:
        base_model: Encoder name, Hugging Face id or local path (``"minilm"`` is the bundled all-MiniLM-L6-v2).
        taxonomy: Labels of the type head.
        max_length: Tokens per input; longer paragraphs are truncated.
        pooling: ``"mean"`` over tokens (what MiniLM was trained with) or ``"cls"``.
        finetune: ``"lora"`` (adapter + heads are trained and saved) or ``"full"`` (every weight).
        lora: Adapter settings when ``finetune == "lora"``.
        thresholds: Decision threshold per type label, tuned on dev after training.
        int8_thresholds: The same, tuned on dev for the int8-quantised network (see
            :meth:`~stancewire.models.classifier.ParagraphClassifier.quantized`); empty for models saved
            before int8 thresholds existed, which then use ``thresholds`` when quantised.
        int8_ranges: Input range ``[low, high]`` of every Linear layer, measured on training paragraphs, for
            the calibrated int8 network (see :mod:`~stancewire.models.quantize`); empty: dynamic int8.
        int8_default: Whether inference runs the int8 copy unless the caller says otherwise
            (``quantize=None``). Training sets it when the int8 copy's types macro-F1 stays within the run's
            ``int8_tolerance`` of full precision (see :func:`~stancewire.training.trainer.train_classifier`).
        head_dropout: Dropout before both heads during training.
        stance_pooling: What the stance head reads: ``"target"`` (the whole-input mean and the mean over the
            target segment; see :mod:`~stancewire.models.classifier_network`) or ``"mean"`` (the whole-input
            mean only, as models saved before this option did).
        stance_encoding: ``"pair"`` (one encoder row per (target, paragraph) pair) or ``"packed"`` (a paragraph
            and all its targets in one row with block attention, see :mod:`~stancewire.models.packed_inputs`:
            the paragraph is encoded once whatever the number of targets). Models saved before this option
            are ``"pair"``.
        stance_none_shift: Log-factor on the ``none`` probability (see :mod:`~stancewire.models.stance_prior`),
            tuned on dev after training; 0 for models saved before it existed.
        int8_stance_none_shift: The same, tuned on dev for the int8 network; ``None``: use ``stance_none_shift``.

    Example:
        >>> cfg = ClassifierConfig(base_model="minilm", finetune="full")
        >>> ClassifierConfig.from_dict(cfg.to_dict()) == cfg
        True
    """

    base_model: str = "minilm"
    taxonomy: Taxonomy = DEFAULT_TAXONOMY
    max_length: int = 256
    pooling: str = "mean"
    finetune: str = "lora"
    lora: LoraSettings = field(default_factory=LoraSettings)
    thresholds: dict[str, float] = field(default_factory=dict)
    int8_thresholds: dict[str, float] = field(default_factory=dict)
    int8_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    int8_default: bool = False
    head_dropout: float = 0.1
    stance_pooling: str = "target"
    stance_encoding: str = "pair"
    stance_none_shift: float = 0.0
    int8_stance_none_shift: float | None = None

    def __post_init__(self) -> None:
        if self.finetune not in FINETUNE_MODES:
            raise ValueError(f"finetune must be one of {list(FINETUNE_MODES)}; got {self.finetune!r}.")
        if self.pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {list(POOLING_MODES)}; got {self.pooling!r}.")
        if self.stance_pooling not in STANCE_POOLING_MODES:
            raise ValueError(
                f"stance_pooling must be one of {list(STANCE_POOLING_MODES)}; got {self.stance_pooling!r}."
            )
        if self.stance_encoding not in STANCE_ENCODINGS:
            raise ValueError(f"stance_encoding must be one of {list(STANCE_ENCODINGS)}; got {self.stance_encoding!r}.")
        if self.stance_encoding == "packed" and self.stance_pooling != "target":
            raise ValueError("stance_encoding='packed' needs stance_pooling='target'.")
        for name in ("stance_none_shift", "int8_stance_none_shift"):
            value = getattr(self, name)
            if value is None and name.startswith("int8"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number (a log-factor on 'none'); got {value!r}.")
        if not 8 <= self.max_length <= 8192:
            raise ValueError(f"max_length must be between 8 and 8192 tokens; got {self.max_length}.")
        for name, thresholds in (("thresholds", self.thresholds), ("int8_thresholds", self.int8_thresholds)):
            unknown = sorted(set(thresholds) - set(self.taxonomy.type_names))
            if unknown:
                raise ValueError(f"{name} name unknown label(s) {unknown}; expected {list(self.taxonomy.type_names)}.")
        for label in self.taxonomy.type_names:
            self.thresholds.setdefault(label, 0.5)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the taxonomy is embedded, so a saved model carries its labels)."""
        return {
            "base_model": self.base_model,
            "taxonomy": self.taxonomy.to_dict(),
            "max_length": self.max_length,
            "pooling": self.pooling,
            "finetune": self.finetune,
            "lora": {
                "r": self.lora.r,
                "alpha": self.lora.alpha,
                "dropout": self.lora.dropout,
                "target_modules": list(self.lora.target_modules),
                "layers": None if self.lora.layers is None else list(self.lora.layers),
            },
            "thresholds": dict(self.thresholds),
            "int8_thresholds": dict(self.int8_thresholds),
            "int8_ranges": {k: list(v) for k, v in self.int8_ranges.items()},
            "int8_default": self.int8_default,
            "head_dropout": self.head_dropout,
            "stance_pooling": self.stance_pooling,
            "stance_encoding": self.stance_encoding,
            "stance_none_shift": self.stance_none_shift,
            "int8_stance_none_shift": self.int8_stance_none_shift,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassifierConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            base_model=data["base_model"],
            taxonomy=Taxonomy.from_dict(data["taxonomy"], source="config.json 'taxonomy'"),
            max_length=int(data.get("max_length", 256)),
            pooling=data.get("pooling", "mean"),
            finetune=data.get("finetune", "lora"),
            lora=LoraSettings(**data.get("lora", {})),
            thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
            int8_thresholds={k: float(v) for k, v in data.get("int8_thresholds", {}).items()},
            int8_ranges={k: _range(k, v) for k, v in data.get("int8_ranges", {}).items()},
            int8_default=_flag("int8_default", data.get("int8_default", False)),
            head_dropout=float(data.get("head_dropout", 0.1)),
            stance_pooling=data.get("stance_pooling", "mean"),  # saved before the option: the original head
            stance_encoding=data.get("stance_encoding", "pair"),
            stance_none_shift=data.get("stance_none_shift", 0.0),
            int8_stance_none_shift=data.get("int8_stance_none_shift"),
        )


def _flag(key: str, value: Any) -> bool:
    """A JSON boolean from config.json, or a clear error naming the key."""
    if not isinstance(value, bool):
        raise ValueError(f"config.json {key!r} must be true or false; got {value!r}.")
    return value


def _range(layer: str, value: Any) -> tuple[float, float]:
    """``[low, high]`` from config.json as a tuple, or a clear error naming the layer."""
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value)):
        raise ValueError(f"config.json 'int8_ranges' of layer {layer!r} must be [low, high]; got {value!r}.")
    if value[0] > value[1]:
        raise ValueError(f"config.json 'int8_ranges' of layer {layer!r} has low > high: {value!r}.")
    return float(value[0]), float(value[1])
