"""The label taxonomy: paragraph types and stance classes, as data.

Every component reads its labels from a :class:`Taxonomy` instead of string literals, so a user can
supply another taxonomy (JSON or YAML) with its own labels and descriptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancewire.models.jsonfile import read_json_file

STANCE_LABELS: tuple[str, ...] = ("favor", "against", "none")


@dataclass(frozen=True)
class LabelDef:
    """One paragraph type.

    Args:
        name: Identifier used in data files and predictions, e.g. ``"call_for_ceasefire"``.
        description: One or two sentences an annotator (or a zero-shot model) can apply.
        synonyms: Other spellings accepted when parsing model or annotator output.
    """

    name: str
    description: str
    synonyms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"Label name must be a non-empty identifier (letters, digits, '_' or '-'); got {self.name!r}."
            )
        if not self.description.strip():
            raise ValueError(f"Label {self.name!r} needs a description; got an empty string.")


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of paragraph types plus the stance classes.

    Example:
        >>> from stancewire.models.taxonomy import DEFAULT_TAXONOMY
        >>> DEFAULT_TAXONOMY.type_names[:2]
        ('call_for_ceasefire', 'accusation')
        >>> DEFAULT_TAXONOMY.index("denial")
        2
    """

    name: str
    version: str
    types: tuple[LabelDef, ...]
    stances: tuple[str, ...] = STANCE_LABELS
    _lookup: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.types:
            raise ValueError(f"Taxonomy {self.name!r} has no types; give at least one label.")
        names = [label.name for label in self.types]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Taxonomy {self.name!r} repeats label(s) {duplicates}; each name must be unique.")
        if tuple(self.stances) != STANCE_LABELS:
            raise ValueError(f"Stance classes must be {list(STANCE_LABELS)}; got {list(self.stances)}.")
        lookup = self._lookup
        for label in self.types:
            for alias in (label.name, *label.synonyms):
                lookup[_normalise(alias)] = label.name

    @property
    def type_names(self) -> tuple[str, ...]:
        """The type labels in model output order."""
        return tuple(label.name for label in self.types)

    def index(self, name: str) -> int:
        """Position of a type label in :attr:`type_names`; raises ``KeyError`` with the known labels."""
        try:
            return self.type_names.index(name)
        except ValueError:
            raise KeyError(f"Unknown type label {name!r}; expected one of {list(self.type_names)}.") from None

    def describe(self, name: str) -> str:
        """The description of a type label."""
        return self.types[self.index(name)].description

    def canonical(self, raw: str) -> str | None:
        """Map a near-miss spelling (case, spaces, hyphens, declared synonyms) to a label name, else ``None``."""
        return self._lookup.get(_normalise(raw))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_dict` reads back."""
        return {
            "name": self.name,
            "version": self.version,
            "types": [
                {"name": t.name, "description": t.description, "synonyms": list(t.synonyms)} for t in self.types
            ],
            "stances": list(self.stances),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Taxonomy:
        """Build a taxonomy from a dict; errors name ``source`` and the offending field."""
        if not isinstance(data, dict):
            raise ValueError(f"{source}: a taxonomy must be an object with 'name', 'version' and 'types'.")
        missing = [k for k in ("name", "types") if k not in data]
        if missing:
            raise ValueError(f"{source}: taxonomy is missing field(s) {missing}.")
        if not isinstance(data["types"], list):
            raise ValueError(f"{source}: field 'types' must be a list of {{name, description}} objects.")
        types = []
        for i, item in enumerate(data["types"]):
            if not isinstance(item, dict) or "name" not in item or "description" not in item:
                raise ValueError(f"{source}: types[{i}] must be an object with 'name' and 'description'.")
            try:
                types.append(LabelDef(str(item["name"]), str(item["description"]), tuple(item.get("synonyms", ()))))
            except ValueError as exc:
                raise ValueError(f"{source}: types[{i}]: {exc}") from None
        try:
            return cls(
                name=str(data["name"]),
                version=str(data.get("version", "1")),
                types=tuple(types),
                stances=tuple(data.get("stances", STANCE_LABELS)),
            )
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        """Read a taxonomy from a ``.json``, ``.yaml`` or ``.yml`` file."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = read_json_file(path, "taxonomy file")
        return cls.from_dict(data, source=str(path))

    def save(self, path: str | Path) -> None:
        """Write the taxonomy as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _normalise(raw: str) -> str:
    return "".join(ch for ch in raw.lower() if ch.isalnum())


def load_taxonomy(spec: str | Path | Taxonomy | None = None) -> Taxonomy:
    """Resolve a taxonomy: ``None`` or ``"default"`` gives :data:`DEFAULT_TAXONOMY`, a path reads a file."""
    if spec is None or spec == "default":
        return DEFAULT_TAXONOMY
    if isinstance(spec, Taxonomy):
        return spec
    return Taxonomy.from_file(spec)


DEFAULT_TAXONOMY = Taxonomy.from_file(Path(__file__).with_name("taxonomy_v1.json"))
