"""Numbers in news text, normalised so that a summary's figures can be matched against the source.

``"33,300"`` and ``"33300"`` are the same count; ``"85 per cent"``, ``"85%"`` and ``"eighty-five percent"`` the
same percentage; ``"1.5 million"``, ``"1.5m"`` and ``"1,500,000"`` the same count. A percentage never
matches a count of the same value (and neither matches a change in percentage points).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COUNT, PERCENT, POINTS = "count", "percent", "percentage_point"

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
WORD_VALUES: dict[str, int] = {
    **{word: value for value, word in enumerate(_UNITS)},
    **{word: 20 + 10 * i for i, word in enumerate(_TENS)},
}
SCALES: dict[str, float] = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "k": 1e3,
    "m": 1e6,
    "bn": 1e9,
    "tn": 1e12,
}
MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()

_UNIT = r"(?P<unit>\s*(?:%|per\s?cent\b|percent\b|pc\b|percentage\s+points?\b))?"
_DIGIT_RE = re.compile(
    r"(?<![\w.,:/])(?<![A-Za-z]-)"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<glued>bn|tn|m|k)\b|\s+(?P<scale>hundred|thousand|million|billion|trillion)\b)?"
    + _UNIT
    + r"(?!\w|[.,:]\d)",
    re.IGNORECASE,
)
_WORD_RE = re.compile(
    r"(?<![\w-])(?:"
    rf"(?P<tens>{'|'.join(_TENS)})(?:[-\s](?P<tens_unit>{'|'.join(_UNITS[1:10])}))?\b"
    rf"|(?P<word>{'|'.join(sorted(_UNITS, key=len, reverse=True))})\b(?:\s+(?P<dozens>dozen)\b)?"
    r"|(?P<dozen>(?:a\s+)?dozen)\b"
    r"|(?P<article>an?)(?=\s+(?:hundred|thousand|million|billion|trillion)\b)"
    r")(?:\s+(?P<hundred>hundred)\b)?(?:\s+(?P<scale>thousand|million|billion|trillion)\b)?" + _UNIT,
    re.IGNORECASE,
)
_TIME_AFTER = re.compile(
    r"^[\s-]*(?:(?:days?|weeks?|months?|years?|hours?|minutes?|seconds?|decades?|centuries|century)\b|"
    + "|".join(MONTHS)
    + r"\b)",
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(r"\b(?:" + "|".join(MONTHS) + r"|aged|age)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class NumberMention:
    """A number found in text.

    Attributes:
        text: The span as written, e.g. ``"85 per cent"``.
        value: Its value, e.g. ``85.0`` (``"1.5 million"`` gives ``1500000.0``).
        kind: ``"count"``, ``"percent"`` or ``"percentage_point"``.
        start: Character offset of the span.
        figure: True for a quantity that needs a source (a toll, a share, an amount); false for years,
            dates, times of day, durations and ages.

    Example:
        >>> find_numbers("About 85 per cent fled.")[0].key
        ('percent', 85.0)
    """

    text: str
    value: float
    kind: str
    start: int
    figure: bool = True

    @property
    def key(self) -> tuple[str, float]:
        """What two mentions must share to be the same number: kind and value."""
        return self.kind, round(self.value, 4)


def find_numbers(text: str) -> list[NumberMention]:
    """Every number in ``text`` (digits, number words, scales and percent units), in order of position.

    A bare ``"one"`` is skipped: in news it is far more often a pronoun ("one of the ...") than a figure.

    Example:
        >>> [(m.text, m.value, m.kind) for m in find_numbers("Three people and 1.5m others; 85% of 33,300.")]
        [('Three', 3.0, 'count'), ('1.5m', 1500000.0, 'count'), ('85%', 85.0, 'percent'), ('33,300', 33300.0, 'count')]
    """
    mentions = [_digit_mention(m, text) for m in _DIGIT_RE.finditer(text)]
    mentions += [mention for m in _WORD_RE.finditer(text) if (mention := _word_mention(m, text)) is not None]
    return sorted(mentions, key=lambda m: m.start)


def _kind(unit: str | None) -> str:
    if not unit:
        return COUNT
    return POINTS if "point" in unit.lower() else PERCENT


def _digit_mention(match: re.Match[str], text: str) -> NumberMention:
    number = match.group("number")
    scale_word = (match.group("glued") or match.group("scale") or "").lower()
    value = float(number.replace(",", "")) * SCALES.get(scale_word, 1.0)
    kind = _kind(match.group("unit"))
    is_year = kind == COUNT and not scale_word and re.fullmatch(r"(1[89]|20)\d\d", number) is not None
    figure = not is_year and not _is_time(text, match.start(), match.end(), kind)
    return NumberMention(match.group(0).strip(), value, kind, match.start(), figure)


def _word_mention(match: re.Match[str], text: str) -> NumberMention | None:
    groups = match.groupdict()
    if groups["tens"]:
        value = float(WORD_VALUES[groups["tens"].lower()] + WORD_VALUES.get((groups["tens_unit"] or "").lower(), 0))
    elif groups["word"]:
        value = float(WORD_VALUES[groups["word"].lower()]) * (12 if groups["dozens"] else 1)
    elif groups["dozen"]:
        value = 12.0
    else:
        value = 1.0  # "a" / "an" before a scale word
    scaled = bool(groups["hundred"] or groups["scale"] or groups["dozens"])
    if groups["word"] and groups["word"].lower() == "one" and not scaled and not groups["unit"]:
        return None
    value *= (100 if groups["hundred"] else 1) * SCALES.get((groups["scale"] or "").lower(), 1.0)
    kind = _kind(groups["unit"])
    return NumberMention(match.group(0).strip(), value, kind, match.start(), not _is_time(text, *match.span(), kind))


def _is_time(text: str, start: int, end: int, kind: str) -> bool:
    """A day of a month, a duration (``"three days"``) or an age: numbers that are not figures needing a source."""
    if kind != COUNT:
        return False
    return bool(_TIME_AFTER.match(text[end : end + 20]) or _TIME_BEFORE.search(text[max(0, start - 12) : start]))
