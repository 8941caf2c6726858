"""Named entities in a summary (capitalised names) and whether the source supports them.

No tagger is needed: a name is a run of capitalised words (``"UN Security Council"``, ``"Thérèse Kayikwamba
Wagner"``, ``"Kigali"``), joined by lower-case particles (``of``, ``al``, ``de``...). A possessive ends a
name ("Armenia's Tavush" is two), and so does a hyphenated lower-case tail ("UN-led talks" names the UN).
A sentence-initial word counts only when it is not an ordinary word: a stopword, a word the texts also
use in lower case, or an -ing/-ed/-ly form.
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
TITLES: frozenset[str] = frozenset(
    """president prime minister foreign defence defense interior secretary general prince king queen sheikh emir
    envoy special high representative chief commander spokesman spokeswoman ambassador senator governor
    mayor""".split()
)
SENTENCE_STARTERS: frozenset[str] = frozenset(
    """however meanwhile also despite although though earlier later yesterday today separately still yet instead
    overall elsewhere since until amid following under over as while last next another several many some most
    officials residents authorities witnesses police troops soldiers rebels forces fighters militants civilians
    people government ministry analysts diplomats critics aid survivors families tens dozens hundreds thousands
    millions""".split()
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


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    closes: bool  # a possessive or a hyphenated lower-case tail: the name stops here


def ordinary_words(text: str) -> set[str]:
    """Words that ``text`` writes in lower case (so their capitalised form at a sentence start is no name)."""
    return {word.lower() for word in TOKEN_RE.findall(text) if word[0].islower()}


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in TOKEN_RE.finditer(text):
        word, closes = match.group(0), False
        bare = re.sub(r"['’]s?$", "", word)
        if bare != word:
            word, closes = bare, True
        parts = word.split("-")
        if word[0].isupper() and len(parts) > 1 and any(part[:1].islower() for part in parts[1:]):
            kept = []
            for part in parts:
                if part[:1].islower():
                    break
                kept.append(part)
            word, closes = "-".join(kept), True
        tokens.append(_Token(word, match.start(), match.start() + len(word), closes))
    return tokens


def find_entities(sentence: str, ordinary: set[str]) -> list[EntityMention]:
    """Capitalised names in one sentence; ``ordinary`` holds words used in lower case elsewhere."""
    tokens = _tokens(sentence)
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    for index, token in enumerate(tokens):
        adjacent = bool(current) and not current[-1].closes and sentence[current[-1].end : token.start].strip() == ""
        following = tokens[index + 1].text if index + 1 < len(tokens) else ""
        joins = token.text in CONNECTORS and following[:1].isupper()
        if token.text[0].isupper() or (joins and adjacent):
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


def _is_initial(sentence: str, token: _Token) -> bool:
    before = sentence[: token.start].rstrip()
    return not before or before[-1] in OPENERS or before[-1] in ".!?"


def _is_ordinary(word: str, ordinary: set[str]) -> bool:
    lower = word.lower()
    if lower in STOPWORDS or lower in SENTENCE_STARTERS or lower in ordinary or lower in WORD_VALUES:
        return True
    return len(lower) > 4 and lower.endswith(("ing", "ed", "ly"))


def _run_to_mention(sentence: str, run: list[_Token], ordinary: set[str]) -> EntityMention | None:
    if _is_initial(sentence, run[0]) and _is_ordinary(run[0].text, ordinary):
        run = run[1:]
    while run and (run[0].text.lower().rstrip(".") in HONORIFICS or run[0].text in CONNECTORS):
        run = run[1:]
    while run and run[-1].text in CONNECTORS:
        run = run[:-1]
    if not run or (len(run) == 1 and len(run[0].text) < 2):
        return None
    words = tuple(token.text.lower() for token in run)
    return EntityMention(text=sentence[run[0].start : run[-1].end], words=words, start=run[0].start)


class SourceNames:
    """The source's words, indexed for the name checks in :meth:`supports`.

    Example:
        >>> names = SourceNames("Foreign Minister Yolande Makolo of Rwanda spoke.")
        >>> [names.supports(m) for m in find_entities("Rwandan minister Yolande Makolo spoke.", ordinary=set())]
        [True, True]
    """

    def __init__(self, source: str) -> None:
        tokens = _tokens(source)
        self.words = [token.text.lower() for token in tokens]
        self.acronyms = _acronyms(source, tokens)
        self.upper_words = {token.text.lower() for token in tokens if token.text.isupper() and len(token.text) > 1}
        self.joined = f" {' '.join(self.words)} "
        self.vocabulary = set(self.words)
        self.positions: dict[str, list[int]] = defaultdict(list)
        self.by_prefix: dict[str, set[str]] = defaultdict(set)
        for position, word in enumerate(self.words):
            self.positions[word].append(position)
            self.by_prefix[word[:4]].add(word)

    def supports(self, mention: EntityMention) -> bool:
        """True when the name occurs in the source, allowing for titles, demonyms, particles and acronyms.

        A single word must occur (``"Rwandan"`` matches ``"Rwanda"`` by a shared stem), or be the acronym of
        a name in the source (``"ICC"`` for "International Criminal Court"). A longer name must occur as a
        phrase, or be spelled out from a source acronym ("United States" for "US"), or every word but titles
        must occur and its last two such words stand close together in the source: so "Congolese Foreign
        Minister Thérèse Kayikwamba Wagner" passes while "Yolande Guterres" (two real names glued) does not.
        """
        words = mention.words
        if f" {' '.join(words)} " in self.joined:
            return True
        content = [w for w in words if w not in CONNECTORS]
        if len(content) == 1:
            return self._has_word(content[0]) or (mention.text.isupper() and content[0] in self.acronyms)
        if "".join(w[0] for w in content) in self.upper_words:
            return True
        named = [w for w in content if w not in TITLES] or content
        if not all(self._has_word(w) or w in self.acronyms for w in named):
            return False
        return len(named) < 2 or self._near(named[-2], named[-1])

    def _has_word(self, word: str) -> bool:
        if word in self.vocabulary:
            return True
        return any(_same_stem(word, other) for other in self.by_prefix.get(word[:4], ()))

    def _near(self, first: str, second: str) -> bool:
        firsts, seconds = self._stem_positions(first), self._stem_positions(second)
        return any(0 < b - a <= NAME_WINDOW for a in firsts for b in seconds)

    def _stem_positions(self, word: str) -> list[int]:
        matches = {w for w in self.by_prefix.get(word[:4], ()) if _same_stem(word, w)} | {word}
        return [position for w in matches for position in self.positions.get(w, [])]


def _acronyms(text: str, tokens: list[_Token]) -> set[str]:
    """Lower-cased initials of each run of capitalised words, with their prefixes and suffixes.

    Particles and "the" are skipped ("The International Criminal Court" gives "icc"); punctuation ends a run;
    prefixes and suffixes cover "UN" in "United Nations Development Programme" and a run that starts with a
    capitalised sentence opener.
    """
    found: set[str] = set()
    initials, previous_end = "", 0
    for token in [*tokens, _Token(".", len(text), len(text), True)]:
        joined = text[previous_end : token.start].strip() == ""
        if not joined or not (token.text[0].isupper() or token.text.lower() in CONNECTORS):
            found |= {initials[:i] for i in range(2, len(initials) + 1)}
            found |= {initials[i:] for i in range(len(initials) - 1)}
            initials = ""
        if token.text[0].isupper() and token.text.lower() not in CONNECTORS:
            initials += token.text[0].lower()
        previous_end = token.end
    return found


def _same_stem(a: str, b: str) -> bool:
    """``Rwanda``/``Rwandan``, ``Ukraine``/``Ukrainian``, ``Congo``/``Congolese``: a long shared prefix."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= max(4, min(len(a), len(b)) - 1)
