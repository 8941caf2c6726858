"""LoRA adapter settings of the paragraph classifier (no torch import, so training configs can check them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class LoraSettings:
    """LoRA adapter settings (see ``peft.LoraConfig``).

    ``layers`` lists the encoder layers that get adapters (``peft``'s ``layers_to_transform``); ``None``
    means all. Leaving out the lowest layers makes training faster: the backward pass stops at the first
    adapted layer.
    """

    r: int = 16
    alpha: int = 32
    dropout: float = 0.1
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    layers: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"LoRA rank r must be >= 1; got {self.r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"LoRA dropout must be in [0, 1); got {self.dropout}.")
        self.target_modules = tuple(self.target_modules)
        self.layers = check_lora_layers(self.layers, "LoRA layers")


def check_lora_layers(layers: Any, what: str) -> tuple[int, ...] | None:
    """``None`` (every layer) or the sorted distinct layer indices; a clear error naming ``what`` otherwise."""
    if layers is None:
        return None
    if not layers or any(type(i) is not int or i < 0 for i in layers):
        raise ValueError(f"{what} must be a non-empty list of layer indices >= 0; got {layers!r}.")
    return tuple(sorted(set(layers)))
