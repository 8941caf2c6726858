"""The summariser interface: :class:`Summary`, the :class:`Summarizer` protocol and the method registry.

Methods register a factory under a versioned name and a short alias (``"extractive.lead.v1"`` /
``"lead"``); :func:`load_summarizer` builds one by either name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from stancewire.models.schema import Article
from stancewire.models.summarize.guard import GuardReport


@dataclass
class Summary:
    """A summary with where each sentence came from and what the faithfulness guard found.

    Attributes:
        text: The summary.
        sentences: Its sentences.
        provenance: Source paragraph indices for each sentence.
        method: The registered name of the method that produced ``text`` (an extractive method's name
            when an LLM summariser fell back).
        guard: The guard's report on ``text``.
        guard_before: The guard's report on the first LLM draft, before any retry or fallback (for
            ``hybrid``: on all its sentence rewrites); ``None`` for extractive methods and when no LLM was asked.
        fallback: True when the LLM drafts failed the guard and an extractive summary was returned.
        seconds: Wall-clock time spent.

    Example:
        >>> s = Summary(text="Shelling resumed.", sentences=["Shelling resumed."], provenance=[[0]],
        ...             method="extractive.lead.v1")
        >>> Summary.from_dict(s.to_dict()) == s
        True
    """

    text: str
    sentences: list[str]
    provenance: list[list[int]]
    method: str
    guard: GuardReport | None = None
    guard_before: GuardReport | None = None
    fallback: bool = False
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if len(self.provenance) != len(self.sentences):
            raise ValueError(
                f"Summary needs one provenance list per sentence; got {len(self.sentences)} sentences and "
                f"{len(self.provenance)} provenance lists."
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (guard reports as dicts)."""
        return {
            "text": self.text,
            "sentences": list(self.sentences),
            "provenance": [list(p) for p in self.provenance],
            "method": self.method,
            "guard": self.guard.to_dict() if self.guard else None,
            "guard_before": self.guard_before.to_dict() if self.guard_before else None,
            "fallback": self.fallback,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """Inverse of :meth:`to_dict`."""
        return cls(
            text=data["text"],
            sentences=list(data["sentences"]),
            provenance=[list(p) for p in data["provenance"]],
            method=data["method"],
            guard=GuardReport.from_dict(data["guard"]) if data.get("guard") else None,
            guard_before=GuardReport.from_dict(data["guard_before"]) if data.get("guard_before") else None,
            fallback=bool(data.get("fallback", False)),
            seconds=float(data.get("seconds", 0.0)),
        )


@runtime_checkable
class Summarizer(Protocol):
    """What every summarisation method offers.

    Example:
        >>> summarizer = load_summarizer("lead", max_sentences=1)
        >>> summarizer.summarise("Shelling resumed. Two died.\\n\\nTalks stalled.").text
        'Shelling resumed.'
    """

    name: str

    def summarise(self, article: Article | str) -> Summary:
        """Summarise an article; a str is split into paragraphs on blank lines, else on newlines."""
        ...


@dataclass(frozen=True)
class SummarizerOptions:
    """What :func:`load_summarizer` passes to every method factory."""

    labeler: Any = None
    llm: Any = None
    max_sentences: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.max_sentences, int) or self.max_sentences < 1:
            raise ValueError(f"max_sentences must be a positive integer; got {self.max_sentences!r}.")
        if self.labeler is not None and not callable(getattr(self.labeler, "predict", None)):
            raise TypeError(
                f"labeler must have a .predict(paragraphs, targets=None) method; got {type(self.labeler).__name__}."
            )


SummarizerFactory = Callable[[SummarizerOptions], Summarizer]
SUMMARIZERS: dict[str, SummarizerFactory] = {}
SUMMARIZER_ALIASES: dict[str, str] = {}


def register_summarizer(name: str, *aliases: str) -> Callable[[SummarizerFactory], SummarizerFactory]:
    """Decorator: ``@register_summarizer("extractive.lead.v1", "lead")`` on a factory of options -> summariser."""

    def decorate(factory: SummarizerFactory) -> SummarizerFactory:
        SUMMARIZERS[name] = factory
        for alias in aliases:
            SUMMARIZER_ALIASES[alias] = name
        return factory

    return decorate


def available_summarizers() -> list[str]:
    """Registered method names, versioned names and aliases, sorted."""
    _import_builtin_methods()
    return sorted(set(SUMMARIZERS) | set(SUMMARIZER_ALIASES))


def method_names() -> list[str]:
    """One short name per registered method (its first alias, else its versioned name), sorted.

    Example:
        >>> "lead" in method_names() and "extractive.lead.v1" not in method_names()
        True
    """
    _import_builtin_methods()
    first_alias: dict[str, str] = {}
    for alias, name in SUMMARIZER_ALIASES.items():
        first_alias.setdefault(name, alias)
    return sorted(first_alias.get(name, name) for name in SUMMARIZERS)


def resolve_method(method: str) -> str:
    """The versioned name of a method name or alias; ``ValueError`` listing the known names otherwise."""
    _import_builtin_methods()
    name = SUMMARIZER_ALIASES.get(method, method)
    if name not in SUMMARIZERS:
        raise ValueError(f"Unknown summarisation method {method!r}; expected one of {available_summarizers()}.")
    return name


def load_summarizer(
    method: str = "label-aware", *, labeler: Any = None, llm: Any = None, max_sentences: int = 3
) -> Summarizer:
    """Build a summariser by registered name.

    Args:
        method: A name from :func:`available_summarizers` (``"lead"``, ``"textrank"``, ``"mmr"``,
            ``"lead-mmr"``, ``"label-aware"``, ``"llm"``, ``"hybrid"`` or their versioned forms).
        labeler: Anything with ``.predict(paragraphs, targets=None) -> list[ParagraphPrediction]``; used by
            ``label-aware`` and ``hybrid`` (without one they extract with ``lead-mmr``).
        llm: A :class:`~stancewire.models.llm.ChatLLM` or a spec string for
            :func:`~stancewire.models.llm.load_llm`; ``None`` is the bundled SmolLM2, loaded only when an
            LLM method first runs.
        max_sentences: Length budget of the summary, in sentences.

    Example:
        >>> load_summarizer("textrank").name
        'extractive.textrank.v1'
    """
    name = resolve_method(method)
    return SUMMARIZERS[name](SummarizerOptions(labeler=labeler, llm=llm, max_sentences=max_sentences))


def _import_builtin_methods() -> None:
    """Import the modules that register the built-in methods."""
    import stancewire.models.summarize.abstractive  # noqa: F401
    import stancewire.models.summarize.extractive  # noqa: F401
    import stancewire.models.summarize.hybrid  # noqa: F401
    import stancewire.models.summarize.label_aware  # noqa: F401
