"""The paragraph-labeller registry: names ("default", "tfidf-logreg", ...) and saved folders to models.

Every labeller class registers itself under a versioned ``kind`` (``"paragraph-classifier.v1"``) that is
written into its ``config.json``; loading a folder reads that kind and calls the class's
``from_pretrained``. Named models map to folders shipped in the package, or to factories for models
that need no training (zero-shot).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from stancewire.models.jsonfile import read_json_file
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.taxonomy import Taxonomy

SHIPPED_DIR = Path(__file__).parent / "shipped"
INT8_SUFFIX = "@int8"  # "default@int8": the model's int8 copy (what inference runs when the model asks for int8)


@runtime_checkable
class ParagraphLabeler(Protocol):
    """What every paragraph labeller offers (the fine-tuned classifier and every baseline)."""

    name: str
    taxonomy: Taxonomy

    def predict(
        self, paragraphs: str | Sequence[str], targets: Sequence[str] | None = None, batch_size: int = 32
    ) -> ParagraphPrediction | list[ParagraphPrediction]:
        """A str gives one prediction, a list gives a list; stance is scored for each target."""
        ...

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json`` and safetensors/JSON files (never pickles)."""
        ...


LABELER_KINDS: dict[str, type] = {}
NAMED_MODELS: dict[str, Callable[[], Any]] = {}


def register_kind(kind: str) -> Callable[[type], type]:
    """Class decorator: ``@register_kind("tfidf-logreg.v1")`` lets saved folders of that kind load."""

    def decorate(cls: type) -> type:
        LABELER_KINDS[kind] = cls
        cls.kind = kind
        return cls

    return decorate


def register_named(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator for a factory building a named model (for models that need no saved folder)."""

    def decorate(factory: Callable[[], Any]) -> Callable[[], Any]:
        NAMED_MODELS[name] = factory
        return factory

    return decorate


def int8_base(name_or_path: str | Path) -> str | None:
    """The model name or path before ``@int8`` (``"default@int8"`` -> ``"default"``); ``None`` without it."""
    text = str(name_or_path)
    return text[: -len(INT8_SUFFIX)] if text.endswith(INT8_SUFFIX) else None


def shipped_path(name: str) -> Path:
    """The folder of a model shipped inside the package (``models/shipped/NAME``)."""
    return SHIPPED_DIR / name


def saved_folder(path_or_name: str | Path) -> Path:
    """The folder as given, or the shipped model of that name when no such path exists."""
    path = Path(path_or_name)
    if not path.exists() and shipped_path(str(path_or_name)).exists():
        return shipped_path(str(path_or_name))
    return path


def available_models() -> list[str]:
    """Names that :func:`load_labeler` accepts without a path."""
    _import_builtin_kinds()
    shipped = [p.name for p in SHIPPED_DIR.iterdir() if (p / "config.json").exists()] if SHIPPED_DIR.exists() else []
    return sorted(set(shipped) | set(NAMED_MODELS))


def load_labeler(name_or_path: str | Path) -> ParagraphLabeler:
    """Load a labeller by registered name or from a saved folder; ``NAME@int8`` gives its int8 copy.

    Example:
        >>> model = load_labeler("default")  # doctest: +SKIP
        >>> model.predict("Both sides agreed a three-day truce.", targets=["ceasefire"]).types  # doctest: +SKIP
        ['call_for_ceasefire']
    """
    _import_builtin_kinds()
    text = str(name_or_path)
    if (base_name := int8_base(text)) is not None:
        base = load_labeler(base_name)
        if not callable(getattr(base, "quantized", None)):
            raise ValueError(f"{text!r}: {base.name!r} has no int8 copy (only the fine-tuned classifier has one).")
        return base.quantized()
    if text in NAMED_MODELS:
        return NAMED_MODELS[text]()
    path = saved_folder(text)
    config_file = path / "config.json"
    if not config_file.exists():
        raise FileNotFoundError(
            f"No model named {text!r} and no saved model folder at {path} (expected {config_file}). "
            f"Known names: {available_models()}."
        )
    config = read_json_file(config_file, "model config")
    kind = config.get("kind") if isinstance(config, dict) else None
    if kind not in LABELER_KINDS:
        raise ValueError(f"{config_file}: unknown model kind {kind!r}; expected one of {sorted(LABELER_KINDS)}.")
    # the name as given: a shipped model then calls itself "default", not this machine's install path
    return LABELER_KINDS[kind].from_pretrained(text)


def _import_builtin_kinds() -> None:
    """Import the modules that register the built-in kinds (deferred: they pull in torch and sklearn)."""
    import stancewire.models.baselines  # noqa: F401
    import stancewire.models.classifier  # noqa: F401
    import stancewire.models.ensemble  # noqa: F401
