"""Named entities in a summary (capitalised names) and whether the source supports them.

No tagger is needed: a name is a run of capitalised words (``"UN Security Council"``, ``"Thérèse Kayikwamba
Wagner"``, ``"Kigali"``), joined by lower-case particles (``of``, ``al``, ``de``...). A sentence-initial word
counts only when it is not an ordinary word, i.e. a stopword or a word the texts also use in lower case.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from stancewire.models.summarize.numbers import WORD_VALUES
from stancewire.models.summarize.text import STOPWORDS

TOKEN_RE = re.compile(r"[^\W_](?:[\w'’.-]*\w)?")
HONORIFICS: frozenset[str] = frozenset("mr mrs ms miss dr sir dame prof professor lord lady".split())
CONNECTORS: frozenset[str] = frozenset("of the for de du des la le al el bin ibn van von der den da di y".split())
SENTENCE_STARTERS: frozenset[str] = frozenset(
    """however meanwhile also despite although though earlier later yesterday today separately still yet instead
    overall elsewhere since until amid following under over as while last next another several many some most
    officials residents authorities witnesses police troops soldiers rebels forces fighters militants civilians
    people government ministry analysts diplomats critics aid survivors families""".split()
)
OPENERS = "\"“‘'([:;—–-"
NAME_WINDOW = 3  # the last two words of a name may stand this many words apart in the source


@dataclass(frozen=True)
class EntityMention:
    """A capitalised name found in a sentence.

    Example:
        >>> find_entities("Rebels said Lawrence Kanyuka spoke.", ordinary=set())[0].text
        'Lawrence Kanyuka'
    """

    text: str
    words: tuple[str, ...]
    start: int


def ordinary_words(text: str) -> set[str]:
    """Words that ``text`` writes in lower case (so their capitalised form at a sentence start is no name)."""
    return {word.lower() for word in TOKEN_RE.findall(text) if word[0].islower()}


def _strip_possessive(word: str) -> str:
    return re.sub(r"['’]s?$", "", word)


def find_entities(sentence: str, ordinary: set[str]) -> list[EntityMention]:
    """Capitalised names in one sentence; ``ordinary`` holds words used in lower case elsewhere."""
    tokens = list(TOKEN_RE.finditer(sentence))
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for index, token in enumerate(tokens):
        word = token.group(0)
        adjacent = bool(current) and sentence[current[-1].end() : token.start()].strip() == ""
        capitalised = word[0].isupper()
        joins = word in CONNECTORS and index + 1 < len(tokens) and tokens[index + 1].group(0)[0].isupper()
        if capitalised or (joins and adjacent):
            if current and not adjacent:
                runs.append(current)
                current = []
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [mention for run in runs if (mention := _run_to_mention(sentence, run, ordinary)) is not None]


def _is_initial(sentence: str, token: re.Match[str]) -> bool:
    before = sentence[: token.start()].rstrip()
    return not before or before[-1] in OPENERS or before[-1] in ".!?"


def _run_to_mention(sentence: str, run: list[re.Match[str]], ordinary: set[str]) -> EntityMention | None:
    if _is_initial(sentence, run[0]):
        first = run[0].group(0).lower()
        if first in STOPWORDS or first in SENTENCE_STARTERS or first in ordinary or first in WORD_VALUES:
            run = run[1:]
    while run and (run[0].group(0).lower() in HONORIFICS or run[0].group(0).rstrip(".").lower() in HONORIFICS):
        run = run[1:]
    while run and run[0].group(0) in CONNECTORS:
        run = run[1:]
    while run and run[-1].group(0) in CONNECTORS:
        run = run[:-1]
    if not run or (len(run) == 1 and len(_strip_possessive(run[0].group(0))) < 2):
        return None
    text = _strip_possessive(sentence[run[0].start() : run[-1].end()])
    words = tuple(_strip_possessive(token.group(0)).lower() for token in run)
    return EntityMention(text=text, words=words, start=run[0].start())


class SourceNames:
    """The source's words, indexed for the name checks in :meth:`supports`.

    Example:
        >>> SourceNames("Foreign Minister Yolande Makolo of Rwanda spoke.").supports(
        ...     find_entities("The Rwandan minister Yolande Makolo spoke.", ordinary={"the"})[0])
        True
    """

    def __init__(self, source: str) -> None:
        self.words = [_strip_possessive(w).lower() for w in TOKEN_RE.findall(source)]
        self.joined = f" {' '.join(self.words)} "
        self.vocabulary = set(self.words)
        self.positions: dict[str, list[int]] = defaultdict(list)
        self.by_prefix: dict[str, set[str]] = defaultdict(set)
        for position, word in enumerate(self.words):
            self.positions[word].append(position)
            self.by_prefix[word[:4]].add(word)

    def supports(self, mention: EntityMention) -> bool:
        """True when the name occurs in the source, allowing for titles, demonyms and particles.

        A single word must occur (``"Rwandan"`` matches ``"Rwanda"`` by a shared stem). A longer name must
        occur as a phrase, or every word must occur and its last two words must stand close together
        in the source, so "Congolese Foreign Minister Thérèse Kayikwamba Wagner" passes while
        "Yolande Guterres" (two real names glued together) does not.
        """
        words = mention.words
        if f" {' '.join(words)} " in self.joined:
            return True
        content = [w for w in words if w not in CONNECTORS]
        if not all(self._has_word(w) for w in content):
            return False
        return len(content) < 2 or self._near(content[-2], content[-1])

    def _has_word(self, word: str) -> bool:
        if word in self.vocabulary:
            return True
        return any(_same_stem(word, other) for other in self.by_prefix.get(word[:4], ()))

    def _near(self, first: str, second: str) -> bool:
        firsts, seconds = self._stem_positions(first), self._stem_positions(second)
        return any(0 < b - a <= NAME_WINDOW for a in firsts for b in seconds)

    def _stem_positions(self, word: str) -> list[int]:
        matches = [w for w in self.by_prefix.get(word[:4], ()) if w == word or _same_stem(word, w)]
        return [position for w in matches for position in self.positions[w]] + self.positions.get(word, [])


def _same_stem(a: str, b: str) -> bool:
    """``Rwanda``/``Rwandan``, ``Ukraine``/``Ukrainian``, ``Congo``/``Congolese``: a long shared prefix."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= max(4, min(len(a), len(b)) - 1)
