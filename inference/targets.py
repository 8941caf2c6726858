"""Stance targets: the user's, the article's own, or a documented default found by a small gazetteer.

**The default** (when neither the caller nor the article names targets): the conflict actors of
``gazetteer.json`` that the article mentions, most mentioned first (ties: first mentioned first), at most
``max_actors`` (4) of them, followed by the gazetteer's ``always`` targets (``"ceasefire"``). Aliases
match case-sensitively on word boundaries ("Israeli" counts for Israel, "Kigali" for Rwanda, "SAF" for the
Sudanese army), so "us" or "fano" in running text match nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from stancewire.models.jsonfile import read_json_file
from stancewire.models.labeler_base import check_targets

GAZETTEER_PATH = Path(__file__).with_name("gazetteer.json")
DEFAULT_MAX_ACTORS = 4
TARGET_SOURCES: tuple[str, ...] = ("user", "article", "gazetteer")


@dataclass(frozen=True)
class Gazetteer:
    """Named actors with their aliases, and the targets always added to a default.

    Example:
        >>> g = Gazetteer(actors={"Rwanda": ("Rwanda", "Kigali"), "M23": ("M23",)}, always=("ceasefire",))
        >>> g.default_targets("Kigali denied backing M23. M23 took Goma. Rwanda said nothing.")
        ['M23', 'Rwanda', 'ceasefire']
    """

    actors: dict[str, tuple[str, ...]]
    always: tuple[str, ...] = ("ceasefire",)
    name: str = "custom"
    version: str = "1"
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _owner: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.actors:
            raise ValueError(f"Gazetteer {self.name!r} has no actors; give at least one actor with its aliases.")
        owner = self._owner
        for actor, aliases in self.actors.items():
            for alias in (actor, *aliases):
                if not isinstance(alias, str) or not alias.strip():
                    raise ValueError(f"Gazetteer {self.name!r}: actor {actor!r} has an empty alias; remove it.")
                if owner.get(alias, actor) != actor:
                    raise ValueError(
                        f"Gazetteer {self.name!r}: alias {alias!r} belongs to both {owner[alias]!r} and {actor!r}; "
                        "keep it under one actor."
                    )
                owner[alias] = actor
        alternatives = "|".join(re.escape(a) for a in sorted(owner, key=len, reverse=True))
        object.__setattr__(self, "_pattern", re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"))

    def mentions(self, text: str) -> dict[str, int]:
        """Mentions per actor, in order of first mention.

        Example:
            >>> load_gazetteer().mentions("Israeli strikes hit Gaza; Hamas said Israel broke the truce.")
            {'Israel': 2, 'Hamas': 1}
        """
        counts: dict[str, int] = {}
        for match in self._pattern.finditer(text):
            actor = self._owner[match.group(0)]
            counts[actor] = counts.get(actor, 0) + 1
        return counts

    def default_targets(self, text: str, max_actors: int = DEFAULT_MAX_ACTORS) -> list[str]:
        """The most mentioned actors (at most ``max_actors``) plus the ``always`` targets."""
        if max_actors < 0:
            raise ValueError(f"max_actors must be >= 0; got {max_actors}.")
        counts = self.mentions(text)
        order = {actor: i for i, actor in enumerate(counts)}
        ranked = sorted(counts, key=lambda a: (-counts[a], order[a]))[:max_actors]
        return list(dict.fromkeys([*ranked, *self.always]))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "gazetteer") -> Gazetteer:
        """Build from ``{"actors": {name: [aliases]}, "always": [...], "name", "version"}``."""
        actors = data.get("actors")
        if not isinstance(actors, dict) or not all(isinstance(v, list) for v in actors.values()):
            raise ValueError(f"{source}: field 'actors' must be an object {{actor: [aliases, ...]}}; got {actors!r}.")
        return cls(
            actors={str(k): tuple(v) for k, v in actors.items()},
            always=tuple(data.get("always", ())),
            name=str(data.get("name", "custom")),
            version=str(data.get("version", "1")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what :meth:`from_dict` reads)."""
        return {
            "name": self.name,
            "version": self.version,
            "always": list(self.always),
            "actors": {k: list(v) for k, v in self.actors.items()},
        }


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """The shipped gazetteer (``None``) or one from a JSON file in the same shape.

    Example:
        >>> "Hezbollah" in load_gazetteer().actors
        True
    """
    if path is None:
        return _shipped_gazetteer()
    data = read_json_file(path, "gazetteer file", hint=f"Expected a JSON file like {GAZETTEER_PATH.name}.")
    return Gazetteer.from_dict(data, source=str(path))


@lru_cache(maxsize=1)
def _shipped_gazetteer() -> Gazetteer:
    return Gazetteer.from_dict(json.loads(GAZETTEER_PATH.read_text(encoding="utf-8")), source=str(GAZETTEER_PATH))


def resolve_targets(
    text: str,
    user_targets: Sequence[str] | str | None = None,
    article_targets: Sequence[str] = (),
    gazetteer: Gazetteer | None = None,
    max_actors: int = DEFAULT_MAX_ACTORS,
) -> tuple[list[str], str]:
    """The targets to score and where they came from (one of :data:`TARGET_SOURCES`).

    The caller's targets win, then the article's own ``targets`` field (JSON input), then the gazetteer
    default. An explicit empty list means "no stance at all".

    Example:
        >>> resolve_targets("Hamas fired rockets.", None)
        (['Hamas', 'ceasefire'], 'gazetteer')
        >>> resolve_targets("Hamas fired rockets.", "Israel, Hamas")
        (['Israel', 'Hamas'], 'user')
    """
    if user_targets is not None:
        if isinstance(user_targets, str):
            user_targets = [t for t in user_targets.split(",") if t.strip()]
        return check_targets(list(user_targets)), "user"
    if article_targets:
        return check_targets(list(article_targets)), "article"
    return (gazetteer or load_gazetteer()).default_targets(text, max_actors), "gazetteer"
