"""The faithfulness guard: are a summary's numbers, names and attributions supported by its source?

Three checks, each listing the offending spans of the summary:

* **numbers**: every number must occur in the source with the same value and kind (count, percent,
  percentage points), whatever its spelling (:mod:`stancewire.models.summarize.numbers`);
* **entities**: every capitalised name must occur in the source (:mod:`stancewire.models.summarize.entities`);
* **attributions**: a figure that the source only gives with a source ("according to the health ministry",
  "officials said") must keep an attribution in the summary sentence that carries it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from stancewire.models.summarize.entities import SourceNames, find_entities, ordinary_words
from stancewire.models.summarize.numbers import NumberMention, find_numbers
from stancewire.models.summarize.text import split_paragraphs, split_sentences

ATTRIBUTION_RE = re.compile(
    r"\b(?:according\s+to|said|says|say|saying|told|tells|telling|reported|reports|estimated|estimates|claimed|"
    r"claims|stated|states|announced|announces|confirmed|confirms|added|adds|alleged|alleges|cited|citing|quoted|"
    r"counted|recorded|documented|tallied|warned|warns|insisted|insists|put\s+the|puts\s+the|putting|"
    r"figures?\s+(?:from|released|published|provided|given|issued)|data\s+from|statement)\b",
    re.IGNORECASE,
)


@dataclass
class GuardReport:
    """What the guard found wrong with a summary; empty lists mean it passed.

    Attributes:
        unsupported_numbers: Numbers of the summary absent from the source (by value and kind).
        unsupported_entities: Names of the summary absent from the source.
        missing_attributions: Figures that the source attributes but the summary sentence states bare.

    Example:
        >>> GuardReport(unsupported_numbers=["85,000"]).passed
        False
    """

    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_entities: list[str] = field(default_factory=list)
    missing_attributions: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no check found anything."""
        return not (self.unsupported_numbers or self.unsupported_entities or self.missing_attributions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with ``passed``."""
        return {
            "unsupported_numbers": list(self.unsupported_numbers),
            "unsupported_entities": list(self.unsupported_entities),
            "missing_attributions": list(self.missing_attributions),
            "passed": self.passed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuardReport:
        """Inverse of :meth:`to_dict` (``passed`` is recomputed)."""
        return cls(
            unsupported_numbers=list(data.get("unsupported_numbers", [])),
            unsupported_entities=list(data.get("unsupported_entities", [])),
            missing_attributions=list(data.get("missing_attributions", [])),
        )


def check_faithfulness(summary: str, source: str | SourceFacts) -> GuardReport:
    """Check a summary against its source text (numbers, names, attributions).

    ``source`` may be a :class:`SourceFacts` already built from the text, to check several drafts cheaply.

    Example:
        >>> source = "The health ministry said 85 per cent of Gaza's population had been displaced."
        >>> check_faithfulness("85,000 people were displaced in Gaza.", source).to_dict()["unsupported_numbers"]
        ['85,000']
        >>> check_faithfulness("The health ministry said 85% of Gazans were displaced.", source).passed
        True
    """
    facts = source if isinstance(source, SourceFacts) else SourceFacts(source)
    summary_sentences = split_sentences(summary)
    ordinary = facts.ordinary | ordinary_words(summary)
    report = GuardReport()
    for sentence in summary_sentences:
        attributed = has_attribution(sentence)
        for number in find_numbers(sentence):
            if number.key not in facts.number_keys:
                report.unsupported_numbers.append(number.text)
            elif number.figure and not attributed and number.key in facts.attributed_keys:
                report.missing_attributions.append(number.text)
        for entity in find_entities(sentence, ordinary):
            if not facts.names.supports(entity):
                report.unsupported_entities.append(entity.text)
    report.unsupported_numbers = _unique(report.unsupported_numbers)
    report.unsupported_entities = _unique(report.unsupported_entities)
    report.missing_attributions = _unique(report.missing_attributions)
    return report


def has_attribution(sentence: str) -> bool:
    """True when the sentence names a source for what it states ("said", "according to", ...)."""
    return ATTRIBUTION_RE.search(sentence) is not None


class SourceFacts:
    """The numbers, attributed figures and names of a source text, computed once.

    Example:
        >>> SourceFacts("Officials said 12 died. 3 fled.").attributed_keys
        {('count', 12.0)}
    """

    def __init__(self, source: str) -> None:
        self.sentences = [s for paragraph in split_paragraphs(source) for s in split_sentences(paragraph)]
        self.ordinary = ordinary_words(source)
        self.names = SourceNames(source)
        self.numbers: list[tuple[NumberMention, str]] = [(n, s) for s in self.sentences for n in find_numbers(s)]
        self.number_keys = {number.key for number, _ in self.numbers}
        bare = {number.key for number, sentence in self.numbers if not has_attribution(sentence)}
        self.attributed_keys = {number.key for number, _ in self.numbers if number.figure} - bare

    def attribution_of(self, number_text: str) -> str:
        """The attribution the source gives a figure, e.g. ``"according to the health ministry"`` (or ``""``)."""
        keys = {n.key for n in find_numbers(number_text)}
        for number, sentence in self.numbers:
            match = ATTRIBUTION_RE.search(sentence)
            if number.key in keys and match:
                return _attribution_phrase(sentence, match)
        return ""


def _attribution_phrase(sentence: str, match: re.Match[str]) -> str:
    """A few words around the attribution cue: the cue and its source."""
    if match.group(0).lower().startswith("according"):
        after = re.split(r"[,.;:]", sentence[match.end() :], maxsplit=1)[0].split()[:6]
        return " ".join([match.group(0), *after])
    before = re.split(r"[,.;:\"“”]", sentence[: match.start()])[-1].split()[-5:]
    return " ".join([*before, match.group(0)])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
