"""What a paragraph labeller returns: one :class:`ParagraphPrediction` per paragraph."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ParagraphPrediction:
    """Types and per-target stance predicted for one paragraph.

    Attributes:
        text: The paragraph.
        types: Type labels whose probability passed the label's threshold, in taxonomy order.
        type_scores: Probability per type label (every label of the taxonomy).
        stance: Predicted stance per target (``favor`` / ``against`` / ``none``).
        stance_scores: Probability of each stance class per target.

    Example:
        >>> p = ParagraphPrediction("Talks resumed.", ["diplomacy"], {"diplomacy": 0.9})
        >>> ParagraphPrediction.from_dict(p.to_dict()) == p
        True
    """

    text: str
    types: list[str]
    type_scores: dict[str, float]
    stance: dict[str, str] = field(default_factory=dict)
    stance_scores: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParagraphPrediction:
        """Inverse of :meth:`to_dict`."""
        return cls(
            text=data["text"],
            types=list(data["types"]),
            type_scores=dict(data["type_scores"]),
            stance=dict(data.get("stance", {})),
            stance_scores={k: dict(v) for k, v in data.get("stance_scores", {}).items()},
        )
