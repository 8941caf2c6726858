"""Score a model on an external set with other type labels, through a many-to-one map of our labels to theirs.

A label map file is JSON::

    {
      "name": "coarse-events",
      "types": {"military_action": "conflict", "casualty_report": "conflict", "diplomacy": "politics",
                "accusation": null, ...},
      "none_of_ours": "other",
      "labels": ["conflict", "politics", "humanitarian", "other"]
    }

``types`` must name every type of our taxonomy; ``null`` drops a label (it maps to nothing of theirs).
``none_of_ours`` is the label given when none of our predicted labels maps to one of theirs (``null``: predict
no label). ``labels`` (optional) fixes their label order; by default it is the mapped labels in order of first
appearance plus ``none_of_ours``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancewire.models.jsonfile import read_json_file
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.taxonomy import LabelDef, Taxonomy


@dataclass(frozen=True)
class LabelMap:
    """A many-to-one map from our type labels to an external label set.

    Example:
        >>> m = LabelMap(name="coarse", types={"a": "x", "b": "x", "c": None}, none_of_ours="other")
        >>> m.labels, m.map_types(["a", "b"]), m.map_types(["c"])
        (('x', 'other'), ['x'], ['other'])
    """

    name: str
    types: dict[str, str | None]
    none_of_ours: str | None = None
    labels: tuple[str, ...] = ()
    source: str = field(default="<dict>", compare=False)

    def __post_init__(self) -> None:
        order = list(self.labels)
        if not order:
            for value in [*self.types.values(), self.none_of_ours]:
                if value is not None and value not in order:
                    order.append(value)
        object.__setattr__(self, "labels", tuple(order))
        unknown = sorted({v for v in [*self.types.values(), self.none_of_ours] if v is not None} - set(order))
        if unknown:
            raise ValueError(f"{self.source}: mapped label(s) {unknown} are not in 'labels' {order}; add them there.")
        if not order:
            raise ValueError(f"{self.source}: the label map maps nothing; give at least one label of theirs.")

    def check_covers(self, taxonomy: Taxonomy) -> None:
        """Raise ``ValueError`` unless the map names exactly the type labels of ``taxonomy``."""
        missing = [name for name in taxonomy.type_names if name not in self.types]
        extra = sorted(set(self.types) - set(taxonomy.type_names))
        if missing:
            raise ValueError(
                f"{self.source}: field 'types' does not map our label(s) {missing}; map each to one of "
                f"{list(self.labels)} or to null."
            )
        if extra:
            raise ValueError(
                f"{self.source}: field 'types' maps {extra}, which are not labels of taxonomy {taxonomy.name!r} "
                f"{list(taxonomy.type_names)}."
            )

    def map_types(self, types: list[str]) -> list[str]:
        """Their labels for a set of our predicted labels, in :attr:`labels` order."""
        mapped = {self.types.get(label) for label in types} - {None}
        if not mapped and self.none_of_ours is not None:
            mapped = {self.none_of_ours}
        return [label for label in self.labels if label in mapped]

    def map_scores(self, scores: dict[str, float]) -> dict[str, float]:
        """Their label probabilities: the highest of ours mapping to each; ``none_of_ours`` gets 1 - max of ours."""
        out = dict.fromkeys(self.labels, 0.0)
        for label, score in scores.items():
            theirs = self.types.get(label)
            if theirs is not None:
                out[theirs] = max(out[theirs], float(score))
        if self.none_of_ours is not None:
            mapped = [float(s) for label, s in scores.items() if self.types.get(label) is not None]
            out[self.none_of_ours] = max(out[self.none_of_ours], 1.0 - max(mapped, default=0.0))
        return out

    def map_prediction(self, prediction: ParagraphPrediction) -> ParagraphPrediction:
        """A copy of ``prediction`` with types and type scores in their label set (stance unchanged)."""
        return ParagraphPrediction(
            text=prediction.text,
            types=self.map_types(prediction.types),
            type_scores=self.map_scores(prediction.type_scores),
            stance=dict(prediction.stance),
            stance_scores={k: dict(v) for k, v in prediction.stance_scores.items()},
        )

    def taxonomy(self) -> Taxonomy:
        """Their label set as a :class:`Taxonomy`, so their gold labels validate when the data is read."""
        try:
            types = tuple(
                LabelDef(label, f"External label {label!r} of label map {self.name!r}.") for label in self.labels
            )
        except ValueError as exc:
            raise ValueError(f"{self.source}: {exc} Rename the label in the map and in the data.") from None
        return Taxonomy(name=f"labelmap:{self.name}", version="1", types=types)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict that :meth:`from_dict` reads back."""
        return {
            "name": self.name,
            "types": dict(self.types),
            "none_of_ours": self.none_of_ours,
            "labels": list(self.labels),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> LabelMap:
        """Build a map from a decoded JSON object; errors name ``source`` and the field."""
        if not isinstance(data, dict):
            raise ValueError(f"{source}: a label map must be a JSON object with 'types'; found {type(data).__name__}.")
        types = data.get("types")
        if not isinstance(types, dict) or not types:
            raise ValueError(f"{source}: field 'types' must be a non-empty object {{our_label: their_label or null}}.")
        bad = sorted(k for k, v in types.items() if v is not None and (not isinstance(v, str) or not v.strip()))
        if bad:
            raise ValueError(f"{source}: field 'types' maps {bad} to something other than a label name or null.")
        none_of_ours = data.get("none_of_ours")
        if none_of_ours is not None and not isinstance(none_of_ours, str):
            raise ValueError(f"{source}: field 'none_of_ours' must be a label name or null; found {none_of_ours!r}.")
        labels = data.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ValueError(f"{source}: field 'labels' must be a list of label names.")
        return cls(
            name=str(data.get("name", Path(source).stem)),
            types=dict(types),
            none_of_ours=none_of_ours,
            labels=tuple(labels),
            source=source,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> LabelMap:
        """Read a label map JSON file."""
        return cls.from_dict(read_json_file(path, "label map"), source=str(path))
