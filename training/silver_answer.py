"""Strict validation of an LLM's silver-label answer, and where each label sits in the answer text.

:func:`validate_answer` reuses the zero-shot baseline's :func:`~stancewire.models.baseline_llm.parse_answer`
(near-miss label names mapped through the taxonomy: case, spacing, declared synonyms) and is stricter on
top: an unknown type label, a missing ``types`` list, a missing target or an unknown stance makes the
answer invalid, so it is retried rather than silently turned into "no label". :func:`answer_spans` finds
the character spans of the label values, which the log-probability confidence needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stancewire.models.baseline_llm import json_object_in, parse_answer
from stancewire.models.taxonomy import Taxonomy

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Answer:
    """One parsed answer.

    Attributes:
        types: Valid type labels, in taxonomy order.
        stance: Stance per target.
        valid: Whether the answer passed every check.
        problems: What was wrong (empty when valid), worded for a retry prompt and the failure log.
        mapped: Near-miss spellings the model used and the label each was mapped to.
        raw: The model's text.

    Example:
        >>> from stancewire.models.taxonomy import DEFAULT_TAXONOMY
        >>> a = validate_answer('{"types": ["Diplomacy"], "stance": {"UN": "favor"}}', DEFAULT_TAXONOMY, ["UN"])
        >>> a.valid, a.types, a.mapped
        (True, ['diplomacy'], {'Diplomacy': 'diplomacy'})
    """

    types: list[str]
    stance: dict[str, str]
    valid: bool
    problems: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what the cache stores)."""
        return {
            "types": list(self.types),
            "stance": dict(self.stance),
            "valid": self.valid,
            "problems": list(self.problems),
            "mapped": dict(self.mapped),
            "raw": self.raw,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """Inverse of :meth:`to_dict`."""
        return cls(
            list(data["types"]),
            dict(data["stance"]),
            bool(data["valid"]),
            list(data.get("problems", [])),
            dict(data.get("mapped", {})),
            str(data.get("raw", "")),
        )


def failed_answer(targets: Sequence[str], problem: str, raw: str = "") -> Answer:
    """An invalid answer (the model failed, timed out or said nothing usable)."""
    return Answer([], {t: "none" for t in targets}, False, [problem], {}, raw)


def validate_answer(raw: str, taxonomy: Taxonomy, targets: Sequence[str]) -> Answer:
    """Parse and check an answer against the taxonomy and the targets; never raises."""
    targets = list(targets)
    parsed = parse_answer(raw, taxonomy, targets)
    data = json_object_in(raw)
    if not parsed["valid"] or data is None:
        return failed_answer(targets, "the answer is not one JSON object with a 'types' list", raw)
    problems, mapped = [], {}
    if not isinstance(data.get("types"), list):
        problems.append("the 'types' list is missing")
    for item in data.get("types") or []:
        label = taxonomy.canonical(str(item))
        if label is None:
            problems.append(f"unknown type label {item!r} (valid labels: {', '.join(taxonomy.type_names)})")
        elif label != item:
            mapped[str(item)] = label
    stance = data.get("stance") if isinstance(data.get("stance"), dict) else {}
    for target in targets:
        if target not in stance:
            problems.append(f"no stance for target {target!r}")
        elif str(stance[target]).strip().lower() not in taxonomy.stances:
            problems.append(f"unknown stance {stance[target]!r} for {target!r} (use favor, against or none)")
        elif stance[target] != str(stance[target]).strip().lower():
            mapped[str(stance[target])] = str(stance[target]).strip().lower()
    return Answer(parsed["types"], parsed["stance"], not problems, problems, mapped, raw)


@dataclass
class AnswerSpans:
    """Character spans of the label values inside an answer's text.

    Attributes:
        types: ``(value, start, end)`` of each string in the ``types`` list (inside the quotes).
        types_close: Position of the ``]`` that closes the list: the "no further label" decision.
        stance: ``target -> (value, start, end)`` of each stance value.

    Example:
        >>> answer_spans('{"types": [], "stance": {}}').types_close
        11
    """

    types: list[tuple[str, int, int]]
    types_close: int
    stance: dict[str, tuple[str, int, int]]


def answer_spans(text: str) -> AnswerSpans | None:
    """Locate the label values in an answer shaped ``{"types": [...], "stance": {...}}``; ``None`` if not found.

    Example:
        >>> spans = answer_spans('{"types": ["diplomacy"], "stance": {"UN": "favor"}}')
        >>> spans.types, spans.types_close, spans.stance
        ([('diplomacy', 12, 21)], 22, {'UN': ('favor', 43, 48)})
    """
    start = re.search(r'"types"\s*:\s*\[', text)
    if start is None:
        return None
    position, types = start.end(), []
    while True:
        rest = re.compile(r'\s*(?:,\s*)?(")|\s*(\])').match(text, position)
        if rest is None:
            return None
        if rest.group(2):
            close = rest.start(2)
            break
        string = _STRING.match(text, rest.start(1))
        if string is None:
            return None
        types.append((json.loads(string.group(0)), string.start(1), string.end(1)))
        position = string.end()
    stance_start = re.compile(r'\s*,?\s*"stance"\s*:\s*\{').search(text, close)
    stance: dict[str, tuple[str, int, int]] = {}
    if stance_start is not None:
        pair = re.compile(r'\s*,?\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*")')
        position = stance_start.end()
        while (match := pair.match(text, position)) is not None:
            key, value = json.loads(match.group(1)), json.loads(match.group(2))
            stance[key] = (value, match.start(2) + 1, match.end(2) - 1)
            position = match.end()
    return AnswerSpans(types, close, stance)
