"""``zero-shot-llm``: a chat LLM prompted with the taxonomy, by scoring its answers or parsing them strictly.

**Scoring** (backends with ``first_token_logprobs``, i.e. llama.cpp with the GGUF's chat template): after the
taxonomy and the paragraph, the answer is started with each label ("accusation:") and each target ("stance
toward Israel:"), and the probability of yes/no and favor/against/none is read from the model's next-token
distribution; nothing is generated. The paragraph is evaluated once and each answer start costs a few
tokens, and it gives real probabilities (calibration, thresholds). A small model's answers
lean one way whatever the text, so they are divided by its answers to a content-free paragraph ("N/A";
contextual calibration, Zhao et al. 2021) before normalising.

**Generation** (every other backend): the answer must be one JSON object ``{"types": [...], "stance":
{target: label}}``. Backends that can constrain decoding to a JSON schema (llama.cpp grammars, OpenAI
``response_format``) get one. Anything else is handled, never raised: label names are mapped through the
taxonomy's synonyms, unknown labels dropped, and an answer that is not JSON counts as a failure (no types,
stance ``none``) in :attr:`ZeroShotLLM.failures`. Probabilities are 0 or 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stancewire.models.labeler_base import ProbabilisticLabeler, check_targets, check_texts
from stancewire.models.registry import register_kind, register_named
from stancewire.models.saved_config import read_config, write_config
from stancewire.models.taxonomy import Taxonomy, load_taxonomy

PROMPT_VERSION = "zero-shot-llm.v2"  # v2: scoring questions where the backend allows it
MAX_TYPES = 4  # bound on the answer's list: a small model otherwise repeats one label to the token budget
CONTENT_FREE = "N/A"
SCORING_SYSTEM = (
    "You label news paragraphs about armed conflicts. Answer with one line per label, 'label: yes' if it "
    "applies to the paragraph, else 'label: no', then one line per target, 'stance toward target: favor', "
    "'against' or 'none'. The labels:"
)
SYSTEM = (
    "You label news paragraphs about armed conflicts. Answer with one JSON object and nothing else: "
    '{"types": [labels that apply, possibly none], "stance": {"<target>": "favor" | "against" | "none"}}.'
)


@register_kind("zero-shot-llm.v1")
class ZeroShotLLM(ProbabilisticLabeler):
    """Label paragraphs by prompting a chat LLM with the taxonomy (no training).

    Args:
        llm: A :class:`~stancewire.models.llm.base.ChatLLM` or a spec string for ``load_llm``
            (``None``: the bundled SmolLM2 through llama.cpp).
        taxonomy: The labels to offer the model.
        max_tokens: Answer budget per paragraph.

    Example:
        >>> model = ZeroShotLLM()  # doctest: +SKIP
        >>> model.predict("The army shelled the town.").types  # doctest: +SKIP
        ['military_action']
    """

    name = "zero-shot-llm"

    def __init__(self, llm: Any = None, taxonomy: Taxonomy | None = None, max_tokens: int = 96) -> None:
        self.taxonomy = load_taxonomy(taxonomy)
        self.thresholds = {n: 0.5 for n in self.taxonomy.type_names}
        self.max_tokens = max_tokens
        self._llm = llm
        self.failures = 0
        self.calls = 0
        self._cache: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        self._baselines: dict[str, dict[str, float]] = {}  # content-free answer per question

    @property
    def llm(self):
        """The chat model (loaded on first use)."""
        if self._llm is None or isinstance(self._llm, str):
            from stancewire.models.llm.base import load_llm

            self._llm = load_llm(self._llm)
        return self._llm

    @property
    def scoring(self) -> bool:
        """Whether answers are scored (the backend reads next-token probabilities) rather than generated."""
        llm = self.llm
        return callable(getattr(llm, "first_token_logprobs", None)) and bool(getattr(llm, "can_score", False))

    def messages(self, text: str, targets: Sequence[str]) -> list[dict[str, str]]:
        """The generation prompt: fixed taxonomy first (so llama.cpp keeps it cached), the paragraph last."""
        target_line = ", ".join(f'"{t}"' for t in targets) if targets else "(none)"
        return [
            {"role": "system", "content": f"{SYSTEM}\nLabels:\n{self._label_lines()}"},
            {"role": "user", "content": f"Targets: {target_line}\nParagraph: {text}"},
        ]

    def scoring_prompt(self, text: str, targets: Sequence[str]) -> tuple[list[dict[str, str]], list[str]]:
        """The scoring prompt and the answer starts to score: one per label (yes/no), then one per target
        (favor/against/none). Answer starts are short: each costs its tokens on every paragraph."""
        messages = [
            {"role": "system", "content": f"{SCORING_SYSTEM}\n{self._label_lines()}"},
            {"role": "user", "content": f"Paragraph: {text}"},
        ]
        return messages, [f"{n}:" for n in self.taxonomy.type_names] + [f"stance toward {t}:" for t in targets]

    def _label_lines(self) -> str:
        return "\n".join(f"- {t.name}: {t.description}" for t in self.taxonomy.types)

    def json_schema(self, targets: Sequence[str]) -> dict[str, Any]:
        """The answer's JSON schema (labels and stance classes as enums)."""
        stance_enum = {"type": "string", "enum": list(self.taxonomy.stances)}
        return {
            "type": "object",
            "properties": {
                "types": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(self.taxonomy.type_names)},
                    "maxItems": MAX_TYPES,
                },
                "stance": {
                    "type": "object",
                    "properties": {t: stance_enum for t in targets},
                    "required": list(targets),
                },
            },
            "required": ["types", "stance"],
        }

    def label(self, text: str, targets: Sequence[str]) -> dict[str, Any]:
        """Ask the model about one paragraph (cached within one ``predict`` call).

        Returns ``{"types": [names], "stance": {target: label}, "type_probs": {name: p}, "stance_probs":
        {target: {label: p}}, "valid", "raw"}``.
        """
        key = (text, tuple(targets))
        if key not in self._cache:
            self.calls += 1
            self._cache[key] = self._score(text, targets) if self.scoring else self._generate(text, targets)
        return self._cache[key]

    def _score(self, text: str, targets: Sequence[str]) -> dict[str, Any]:
        names, stances = self.taxonomy.type_names, self.taxonomy.stances
        try:
            answers = self._ask(text, targets)
            baseline = self._content_free(targets)
        except Exception as exc:  # a model failure must not stop a batch
            self.failures += 1
            empty = {"types": [], "stance": {t: "none" for t in targets}}
            return {**empty, **_one_hot(empty, names, stances), "valid": False, "raw": f"<error: {exc}>"}
        pairs = list(zip(answers, baseline, strict=True))
        type_probs = {n: _calibrated(a, b, ("yes", "no"))["yes"] for n, (a, b) in zip(names, pairs, strict=False)}
        stance_probs = {t: _calibrated(a, b, stances) for t, (a, b) in zip(targets, pairs[len(names) :], strict=True)}
        return {
            "types": [n for n in names if type_probs[n] >= self.thresholds[n]],
            "stance": {t: max(p, key=p.get) for t, p in stance_probs.items()},
            "type_probs": type_probs,
            "stance_probs": stance_probs,
            "valid": True,
            "raw": "",
        }

    def _ask(self, text: str, targets: Sequence[str]) -> list[dict[str, float]]:
        messages, questions = self.scoring_prompt(text, targets)
        return self.llm.first_token_logprobs(messages, questions, self._options(questions))

    def _options(self, questions: Sequence[str]) -> list[list[str]]:
        """The answer options of each question: yes/no for a label, the stance classes for a target."""
        labels = {f"{n}:" for n in self.taxonomy.type_names}
        return [["yes", "no"] if q in labels else list(self.taxonomy.stances) for q in questions]

    def _content_free(self, targets: Sequence[str]) -> list[dict[str, float]]:
        """The model's answers to a paragraph without content, per question (each question asked once: a
        question's answer does not depend on the others asked with it)."""
        messages, questions = self.scoring_prompt(CONTENT_FREE, targets)
        missing = [q for q in dict.fromkeys(questions) if q not in self._baselines]
        if missing:
            answers = self.llm.first_token_logprobs(messages, missing, self._options(missing))
            self._baselines.update(zip(missing, answers, strict=True))
        return [self._baselines[q] for q in questions]

    def _generate(self, text: str, targets: Sequence[str]) -> dict[str, Any]:
        try:
            raw = self.llm.chat(
                self.messages(text, targets), max_tokens=self.max_tokens, json_schema=self.json_schema(targets)
            )
        except Exception as exc:  # a model or server failure must not stop a batch
            raw = f"<error: {exc}>"
        parsed = parse_answer(raw, self.taxonomy, targets)
        self.failures += not parsed["valid"]
        return {**parsed, **_one_hot(parsed, self.taxonomy.type_names, self.taxonomy.stances)}

    def type_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Probability of each label (scoring), or 1 for each label the model named and 0 otherwise."""
        names = self.taxonomy.type_names
        rows = [[self.label(t, ())["type_probs"][n] for n in names] for t in texts]
        return np.array(rows).reshape(-1, len(names))

    def stance_probabilities(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """One-hot stance per pair; all targets of a paragraph are asked in one prompt."""
        by_text: dict[str, list[str]] = {}
        for target, text in pairs:
            by_text.setdefault(text, []).append(target)
        rows = []
        for target, text in pairs:
            probs = self.label(text, tuple(by_text[text]))["stance_probs"][target]
            rows.append([probs[s] for s in self.taxonomy.stances])
        return np.array(rows).reshape(-1, len(self.taxonomy.stances))

    def predict(self, paragraphs, targets=None, batch_size: int = 32):
        """As :meth:`ProbabilisticLabeler.predict`; types and stance come from the same prompt per paragraph."""
        texts = check_texts([paragraphs] if isinstance(paragraphs, str) else list(paragraphs))
        clean = tuple(check_targets(targets))
        self._cache.clear()  # answers are reused within this call only, so timing a repeated call is honest
        for text in texts:
            self._cache.setdefault((text, ()), self.label(text, clean))
        return super().predict(paragraphs, targets, batch_size)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json``: the LLM spec, taxonomy and prompt version (there are no weights of its own)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        spec = self._llm if isinstance(self._llm, str) or self._llm is None else getattr(self._llm, "name", None)
        config = {
            "kind": self.kind,
            "llm": spec,
            "taxonomy": self.taxonomy.to_dict(),
            "prompt_version": PROMPT_VERSION,
            "max_tokens": self.max_tokens,
        }
        write_config(directory, config)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> ZeroShotLLM:
        """Read a folder written by :meth:`save_pretrained`."""
        path, config = read_config(path, cls.kind, "zero-shot-llm model")
        taxonomy = Taxonomy.from_dict(config["taxonomy"], source=str(path / "config.json"))
        return cls(llm=config.get("llm"), taxonomy=taxonomy, max_tokens=int(config.get("max_tokens", 96)))


def _calibrated(answer: dict[str, float], content_free: dict[str, float], options: Sequence[str]) -> dict[str, float]:
    """Probabilities of ``options`` from log-probabilities, divided by the content-free answer's and normalised.

    Example:
        >>> p = _calibrated({"yes": -0.1, "no": -2.4}, {"yes": -0.1, "no": -2.4}, ["yes", "no"])
        >>> round(p["yes"], 3)  # the same lean as on an empty paragraph: no evidence either way
        0.5
    """
    scores = np.array([answer[o] - content_free[o] for o in options])
    scores = np.exp(scores - scores.max())
    return dict(zip(options, (scores / scores.sum()).tolist(), strict=True))


def _one_hot(parsed: dict[str, Any], names: Sequence[str], stances: Sequence[str]) -> dict[str, Any]:
    """Probabilities 1/0 from a parsed (generated) answer."""
    return {
        "type_probs": {n: float(n in parsed["types"]) for n in names},
        "stance_probs": {t: {s: float(s == v) for s in stances} for t, v in parsed["stance"].items()},
    }


def json_object_in(raw: str) -> dict[str, Any] | None:
    """The outermost ``{...}`` in an LLM answer, decoded; ``None`` if there is none or it is not a JSON object.

    Example:
        >>> json_object_in('Sure! {"types": ["diplomacy"]} Hope this helps.')
        {'types': ['diplomacy']}
    """
    match = re.search(r"\{.*\}", raw, re.DOTALL)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def parse_answer(raw: str, taxonomy: Taxonomy, targets: Sequence[str]) -> dict[str, Any]:
    """Parse a model answer strictly; near-miss label names are mapped, anything else is dropped.

    Example:
        >>> from stancewire.models.taxonomy import DEFAULT_TAXONOMY
        >>> raw = '{"types": ["Diplomacy", "war"], "stance": {"Russia": "Against"}}'
        >>> answer = parse_answer(raw, DEFAULT_TAXONOMY, ["Russia"])
        >>> answer["types"], answer["stance"], answer["valid"]
        (['diplomacy'], {'Russia': 'against'}, True)
    """
    empty = {"types": [], "stance": {t: "none" for t in targets}, "valid": False, "raw": raw}
    data = json_object_in(raw)
    if data is None or not isinstance(data.get("types", []), list):
        return empty
    types = []
    for item in data.get("types", []):
        name = taxonomy.canonical(str(item))
        if name and name not in types:
            types.append(name)
    stance_data = data.get("stance") if isinstance(data.get("stance"), dict) else {}
    stance = {}
    for target in targets:
        value = str(stance_data.get(target, "none")).strip().lower()
        stance[target] = value if value in taxonomy.stances else "none"
    ordered = [n for n in taxonomy.type_names if n in types]
    return {"types": ordered, "stance": stance, "valid": True, "raw": raw}


@register_named("zero-shot-llm")
def _zero_shot_llm() -> ZeroShotLLM:
    return ZeroShotLLM()
