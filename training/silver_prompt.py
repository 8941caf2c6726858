"""The silver-labelling prompt: the taxonomy, worked examples chosen by similarity, and the paragraph.

The prompt extends the ``zero-shot-llm`` baseline's (same answer shape and JSON schema) with a few worked
examples from a labelled pool (by default ``fixtures/train.jsonl``), the ones whose MiniLM embeddings are
closest to the paragraph. The fixed part (instructions and labels) comes first so that llama.cpp reuses
its cached prefix from one paragraph to the next.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from stancewire.models.baseline_llm import ZeroShotLLM
from stancewire.models.schema import Article, load_articles
from stancewire.models.taxonomy import Taxonomy, load_taxonomy

PROMPT_VERSION = "silver.v1"
MAX_TYPES = 4  # 99.9% of the gold paragraphs have at most 4 types; the cap stops small models repeating labels
EXAMPLE_CHARS = 700  # worked examples are cut to this many characters to bound the prompt
SYSTEM = (
    "You label news paragraphs about armed conflicts for a training set. For the paragraph you are given, "
    "list every type label that applies (possibly none) and give the paragraph's stance toward each target: "
    '"favor" (it supports or speaks for the target), "against" (it opposes, blames or condemns the target) '
    'or "none". Judge only what the paragraph itself says. Answer with one JSON object and nothing else: '
    '{"types": [labels], "stance": {"<target>": "favor" | "against" | "none"}}.'
)


class Encoder(Protocol):
    """Anything with ``encode(texts) -> unit vectors`` (:class:`~stancewire.models.embeddings.SentenceEncoder`).

    Example:
        >>> class Ones:
        ...     def encode(self, texts, batch_size=64):
        ...         return np.ones((len(texts), 1))
        >>> Ones().encode(["a", "b"]).shape
        (2, 1)
    """

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        ...


@dataclass(frozen=True)
class Example:
    """One labelled paragraph offered to the model as a worked example.

    Example:
        >>> Example("Talks resumed.", ("UN",), ("diplomacy",), {"UN": "favor"}).answer()
        '{"types": ["diplomacy"], "stance": {"UN": "favor"}}'
    """

    text: str
    targets: tuple[str, ...]
    types: tuple[str, ...]
    stance: dict[str, str]

    def answer(self) -> str:
        """The example's labels as the JSON answer the model should give."""
        return json.dumps({"types": list(self.types), "stance": {t: self.stance.get(t, "none") for t in self.targets}})


def default_examples_path() -> Path | None:
    """``fixtures/train.jsonl`` of the source checkout, if there is one (it is not part of an installed wheel)."""
    import stancewire.models

    path = Path(stancewire.models.__file__).resolve().parents[1] / "fixtures" / "train.jsonl"
    return path if path.exists() else None


def examples_from_articles(articles: Sequence[Article]) -> list[Example]:
    """Every paragraph of labelled articles as an :class:`Example` (stance for the article's targets)."""
    return [
        Example(p.text, tuple(a.targets or p.stance), tuple(p.types), dict(p.stance))
        for a in articles
        for p in a.paragraphs
    ]


class FewShotSelector:
    """Pick the labelled paragraphs most similar to a query paragraph (cosine of sentence embeddings).

    Pool embeddings are computed on the first :meth:`select` call, so a run that is fully served from the
    cache never loads the encoder.

    Args:
        examples: The labelled pool.
        encoder: An encoder; ``None`` builds the bundled MiniLM :class:`SentenceEncoder` when first needed.

    Example:
        >>> selector = FewShotSelector(examples_from_articles(load_articles("fixtures/train.jsonl")))  # doctest: +SKIP
        >>> [e.types for e in selector.select("Both sides agreed a truce.", 2)]  # doctest: +SKIP
        [('call_for_ceasefire',), ('call_for_ceasefire', 'diplomacy')]
    """

    def __init__(self, examples: Sequence[Example], encoder: Encoder | None = None) -> None:
        self.examples = list(examples)
        self._encoder = encoder
        self._vectors: np.ndarray | None = None

    @property
    def encoder(self) -> Encoder:
        """The sentence encoder (built on first use)."""
        if self._encoder is None:
            from stancewire.models.embeddings import SentenceEncoder

            self._encoder = SentenceEncoder()
        return self._encoder

    def fingerprint(self) -> str:
        """A short hash of the pool's texts and labels (part of the cache key)."""
        digest = hashlib.sha256()
        for example in self.examples:
            digest.update(json.dumps([example.text, example.answer()]).encode("utf-8"))
        return digest.hexdigest()[:16]

    def select(self, text: str, n: int) -> list[Example]:
        """The ``n`` most similar pool paragraphs (never the query itself), least similar first."""
        if n <= 0 or not self.examples:
            return []
        if self._vectors is None:
            self._vectors = self.encoder.encode([e.text for e in self.examples])
        query = self.encoder.encode([text])[0]
        order = np.argsort(-(self._vectors @ query), kind="stable")
        key = _normalise(text)
        chosen = [self.examples[i] for i in order if _normalise(self.examples[i].text) != key][:n]
        return chosen[::-1]


class SilverPrompt:
    """Build the chat messages and the answer schema for one paragraph.

    Args:
        taxonomy: The labels offered to the model.
        selector: Where worked examples come from (``None``: no examples).
        shots: Worked examples per paragraph.
        max_types: Longest type list the answer schema allows (constrained decoding stops a repeating model).

    Example:
        >>> prompt = SilverPrompt(shots=0)
        >>> [m["role"] for m in prompt.messages("Shelling resumed.", ["ceasefire"])]
        ['system', 'user']
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        selector: FewShotSelector | None = None,
        shots: int = 3,
        max_types: int = MAX_TYPES,
    ) -> None:
        if shots < 0:
            raise ValueError(f"shots must be >= 0 (0 means no worked examples); got {shots}.")
        if max_types < 1:
            raise ValueError(f"max_types must be >= 1; got {max_types}.")
        self.max_types = max_types
        self.taxonomy = load_taxonomy(taxonomy)
        self.selector = selector
        self.shots = shots if selector is not None else 0
        self._schema_source = ZeroShotLLM(taxonomy=self.taxonomy)  # only its schema is used; no model loads
        self._fingerprint: str | None = None

    def fingerprint(self) -> str:
        """Prompt version, taxonomy, shot count and example pool as one short hash (part of the cache key)."""
        if self._fingerprint is not None:
            return self._fingerprint
        pool = self.selector.fingerprint() if self.selector is not None and self.shots else ""
        parts = [PROMPT_VERSION, self.taxonomy.to_dict(), self.shots, self.max_types, pool]
        payload = json.dumps(parts, sort_keys=True)
        self._fingerprint = f"{PROMPT_VERSION}:{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:12]}"
        return self._fingerprint

    def json_schema(self, targets: Sequence[str]) -> dict[str, Any]:
        """The zero-shot baseline's answer schema (labels and stances as enums) with at most ``max_types`` types."""
        schema = self._schema_source.json_schema(list(targets))
        schema["properties"]["types"]["maxItems"] = self.max_types
        return schema

    def messages(self, text: str, targets: Sequence[str]) -> list[dict[str, str]]:
        """System message with the labels, worked examples as earlier turns, then the paragraph."""
        labels = "\n".join(f"- {t.name}: {t.description}" for t in self.taxonomy.types)
        messages = [{"role": "system", "content": f"{SYSTEM}\nType labels:\n{labels}"}]
        examples = self.selector.select(text, self.shots) if self.selector is not None else []
        for example in examples:
            messages.append({"role": "user", "content": _question(example.text[:EXAMPLE_CHARS], example.targets)})
            messages.append({"role": "assistant", "content": example.answer()})
        messages.append({"role": "user", "content": _question(text, targets)})
        return messages

    @staticmethod
    def correction(raw: str, problems: Sequence[str], targets: Sequence[str]) -> list[dict[str, str]]:
        """Turns appended for the one retry: the invalid answer and what was wrong with it."""
        needed = ", ".join(f'"{t}"' for t in targets) or "no targets (an empty object)"
        return [
            {"role": "assistant", "content": raw[:1000] or "(empty answer)"},
            {
                "role": "user",
                "content": f"That answer is not valid: {'; '.join(problems)}. Answer again with one JSON object "
                f"using only the listed type labels and a stance for each of {needed}.",
            },
        ]


def load_selector(path: str | Path | None, taxonomy: Taxonomy, encoder: Encoder | None = None) -> FewShotSelector:
    """A selector over the labelled articles in ``path`` (JSONL file or folder)."""
    return FewShotSelector(examples_from_articles(load_articles(path, taxonomy)), encoder=encoder)


def _question(text: str, targets: Sequence[str]) -> str:
    target_line = ", ".join(f'"{t}"' for t in targets) if targets else "(none)"
    return f"Targets: {target_line}\nParagraph: {text}"


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())
