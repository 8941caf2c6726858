"""Whether a trained classifier should run in int8 by default: its int8 copy must keep types macro-F1.

The inference issue's bar: int8 may be the default only if types macro-F1 drops by at most 0.5 points.
Training measures both precisions on dev + test pooled (the most labelled paragraphs there are; each split
alone moves by a point when a tenth of the paragraphs change) and records the verdict in the model's
``config.json`` (``int8_default``) and its model card.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Int8Choice:
    """Types macro-F1 of both precisions on the same paragraphs, and the tolerance they were held to.

    Example:
        >>> Int8Choice(fp32=0.7663, int8=0.7628, paragraphs=519, tolerance=0.5).use_int8
        True
    """

    fp32: float
    int8: float
    paragraphs: int
    tolerance: float | None

    @property
    def loss_points(self) -> float:
        """How many macro-F1 points int8 loses (negative: it gains)."""
        return 100.0 * (self.fp32 - self.int8)

    @property
    def use_int8(self) -> bool:
        """True when the loss is within the tolerance (never when the tolerance is ``None``)."""
        return self.tolerance is not None and self.loss_points <= self.tolerance + 1e-9

    def describe(self) -> str:
        """One sentence for the model card."""
        verdict = "yes" if self.use_int8 else "no"
        rule = "never (int8_tolerance: null)" if self.tolerance is None else f"tolerance {self.tolerance:g} points"
        return (
            f"int8 by default: {verdict}. Types macro-F1 on {self.paragraphs} dev + test paragraphs: "
            f"{self.fp32:.4f} full precision, {self.int8:.4f} int8 ({-self.loss_points:+.2f} points; {rule}). "
            "`quantize=False` / `--no-quantize` runs full precision anyway."
        )
