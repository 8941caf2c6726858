"""The fast path through the encoder: many articles' paragraphs and (target, paragraph) pairs in one pass.

For the fine-tuned classifier (anything with ``.network``, ``.tokenizer`` and ``.config.max_length``) every
input of every group is tokenised once, sorted by token length and cut into batches bounded by rows and by
padded tokens, so each batch is padded only to its own longest row; paragraphs and pairs share batches
(the network computes both heads on every row); a packed model (``stance_encoding="packed"``) gets one row
per distinct paragraph holding all its targets instead. It runs under ``torch.inference_mode``, optionally on an
int8 copy of the network (see ``stancewire.models.quantize``): when asked, or by default when the model's
config says its int8 copy keeps accuracy (``int8_default``, decided at training time). Other labellers with
``type_probabilities`` / ``stance_probabilities`` get one call per head for all groups; anything else is
called group by group.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from stancewire.models.batching import length_batches
from stancewire.models.labeler_base import build_predictions, check_targets, check_texts
from stancewire.models.packed_inputs import group_pairs, ungroup_pairs
from stancewire.models.predictions import ParagraphPrediction

Group = tuple[Sequence[str], Sequence[str]]


@dataclass(frozen=True)
class EncoderSettings:
    """How the encoder is run.

    Args:
        batch_size: Most rows per forward pass.
        max_batch_tokens: Most padded tokens (rows x longest row) per forward pass. Small batches keep the
            activations in the CPU's caches: on 2 cores 2,048 labelled ~1.3x more paragraphs/s in int8 and
            ~1.1x in full precision than 8,192 (``benchmarks/README.md``).
        quantize: Run the int8 copy of the network (calibrated input ranges if the model has them, else dynamic):
            ``True``/``False``, or ``None`` for the model's own choice (its ``config.int8_default``).
        num_threads: ``torch.set_num_threads`` (process-wide): a number, ``"auto"`` (one thread per idle core,
            judged by the one-minute load average, at least one: on a busy machine extra threads only contend),
            or ``None`` to leave torch's default (one per core).
        cache_size: Predictions remembered for the summariser's labeller calls (0 turns the cache off).

    Example:
        >>> EncoderSettings(batch_size=64).max_batch_tokens
        2048
    """

    batch_size: int = 64
    max_batch_tokens: int = 2048
    quantize: bool | None = None
    num_threads: int | str | None = None
    cache_size: int = 4096

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_batch_tokens < 1:
            raise ValueError(
                f"batch_size and max_batch_tokens must be >= 1; got {self.batch_size} and {self.max_batch_tokens}."
            )
        if (
            self.num_threads is not None
            and self.num_threads != "auto"
            and not (isinstance(self.num_threads, int) and self.num_threads >= 1)
        ):
            raise ValueError(f"num_threads must be a number >= 1, 'auto' or None; got {self.num_threads!r}.")
        if self.cache_size < 0:
            raise ValueError(f"cache_size must be >= 0; got {self.cache_size}.")


def is_encoder_classifier(labeler: Any) -> bool:
    """True for labellers the token-sorted fast path can drive (the fine-tuned classifier)."""
    return all(hasattr(labeler, a) for a in ("network", "tokenizer", "config", "thresholds", "taxonomy"))


def idle_cores() -> int:
    """Cores this process may use minus those the one-minute load average says are busy (at least 1).

    Example:
        >>> idle_cores() >= 1
        True
    """
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        busy = 0.0
    return max(1, min(cores, round(cores - busy)))


def wants_int8(labeler: Any, quantize: bool | None) -> bool:
    """``quantize`` when given; otherwise whether the labeller's config asks for int8 (``int8_default``)."""
    if getattr(labeler, "is_quantized", False):
        return False  # already the int8 copy (e.g. loaded as "default@int8")
    if quantize is not None:
        return quantize
    config = getattr(labeler, "config", None)
    return bool(getattr(config, "int8_default", False)) and callable(getattr(labeler, "quantized", None))


def quantize_labeler(labeler: Any) -> Any:
    """An int8 copy of ``labeler`` (its ``quantized()``), warning when it was saved without int8 ranges or thresholds.

    The original labeller is left as it was.

    Raises:
        ValueError: if the labeller cannot be quantised (only the fine-tuned classifier can).
    """
    if not callable(getattr(labeler, "quantized", None)):
        raise ValueError(
            f"quantize needs a labeller with a torch .network (the fine-tuned classifier); "
            f"{getattr(labeler, 'name', type(labeler).__name__)!r} has none. Load it with quantize=False."
        )
    config = getattr(labeler, "config", None)
    missing = [
        what
        for what, field in (
            ("input ranges (dynamic int8 instead: labels depend on batch-mates)", "int8_ranges"),
            ("thresholds tuned for int8 (the full-precision ones lose accuracy)", "int8_thresholds"),
        )
        if not getattr(config, field, None)
    ]
    if missing:
        warnings.warn(
            f"{labeler.name!r} was saved without int8 {' and '.join(missing)}; retrain it to get them.",
            stacklevel=2,
        )
    return labeler.quantized()


class LabelEngine:
    """Labels groups of paragraphs, each group with its own targets, in as few encoder passes as possible.

    It also behaves as a labeller (``name``, ``taxonomy``, ``predict``), answering from a cache of recent
    predictions first, so a label-aware summariser does not run the encoder again on paragraphs just labelled.

    Example:
        >>> engine = LabelEngine(load_labeler("default"))  # doctest: +SKIP
        >>> groups = [(["Hamas fired rockets."], ["Israel"]), (["Kyiv was hit."], ["Russia"])]
        >>> a, b = engine.label_groups(groups)  # doctest: +SKIP
        >>> a[0].stance  # doctest: +SKIP
        {'Israel': 'none'}
    """

    def __init__(self, labeler: Any, settings: EncoderSettings | None = None) -> None:
        self.settings = settings or EncoderSettings()
        if self.settings.num_threads is not None:
            import torch

            threads = self.settings.num_threads
            torch.set_num_threads(idle_cores() if threads == "auto" else int(threads))
        self.labeler = quantize_labeler(labeler) if wants_int8(labeler, self.settings.quantize) else labeler
        self._encoder_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], ParagraphPrediction] = OrderedDict()

    @property
    def quantized(self) -> bool:
        """Whether the encoder runs in int8."""
        return bool(getattr(self.labeler, "is_quantized", False))

    @property
    def name(self) -> str:
        """The labeller's name."""
        return str(getattr(self.labeler, "name", type(self.labeler).__name__))

    @property
    def taxonomy(self):
        """The labeller's taxonomy."""
        return self.labeler.taxonomy

    # ------------------------------------------------------------------------------------------ labelling
    def label_groups(self, groups: Sequence[Group]) -> list[list[ParagraphPrediction]]:
        """One list of predictions per ``(paragraphs, targets)`` group, in input order.

        Raises:
            TypeError, ValueError: for a non-str or empty paragraph or target (naming its group and position).
        """
        checked = []
        for number, (texts, targets) in enumerate(groups):
            try:
                checked.append((check_texts(list(texts)), check_targets(list(targets))))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"group {number}: {exc}") from None
        if not any(texts for texts, _ in checked):
            return [[] for _ in checked]
        if is_encoder_classifier(self.labeler) or _has_probabilities(self.labeler):
            results = self._label_from_probabilities(checked)
        else:
            with self._encoder_lock:
                results = [self.labeler.predict(texts, targets=targets) if texts else [] for texts, targets in checked]
        self._remember(checked, results)
        return results

    def predict(
        self, paragraphs: str | Sequence[str], targets: Sequence[str] | None = None, batch_size: int = 32
    ) -> ParagraphPrediction | list[ParagraphPrediction]:
        """The labeller interface: cached predictions where available, the encoder for the rest.

        ``batch_size`` is accepted for compatibility; the engine's settings decide batching.
        """
        single = isinstance(paragraphs, str)
        texts = check_texts([paragraphs] if single else list(paragraphs))
        target_key = tuple(check_targets(targets))
        found = self._lookup(texts, target_key)
        missing = [t for t, p in zip(texts, found) if p is None]
        if missing:
            computed = iter(self.label_groups([(missing, target_key)])[0])
            found = [p if p is not None else next(computed) for p in found]
        results = [replace(p, text=t) for p, t in zip(found, texts)]
        return results[0] if single else results

    def _label_from_probabilities(self, groups: list[tuple[list[str], list[str]]]) -> list[list[ParagraphPrediction]]:
        texts, text_rows = _unique([t for group_texts, _ in groups for t in group_texts])
        pairs, pair_rows = _unique([(tg, t) for group_texts, targets in groups for t in group_texts for tg in targets])
        with self._encoder_lock:  # identical inputs are encoded once: repeated wire copy costs nothing extra
            if is_encoder_classifier(self.labeler):
                type_probs, stance_probs = self._encode(texts, pairs)
            else:
                type_probs = self.labeler.type_probabilities(texts, self.settings.batch_size)
                stance_probs = (
                    self.labeler.stance_probabilities(pairs, self.settings.batch_size)
                    if pairs
                    else np.zeros((0, len(self.taxonomy.stances)))
                )
        type_probs, stance_probs = type_probs[text_rows], stance_probs[pair_rows]
        results, text_at, pair_at = [], 0, 0
        for group_texts, targets in groups:
            n, m = len(group_texts), len(group_texts) * len(targets)
            results.append(
                build_predictions(
                    group_texts,
                    targets,
                    type_probs[text_at : text_at + n],
                    stance_probs[pair_at : pair_at + m],
                    self.taxonomy,
                    getattr(self.labeler, "thresholds", {}),
                )
            )
            text_at, pair_at = text_at + n, pair_at + m
        return results

    def _encode(self, texts: list[str], pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Type probabilities of ``texts`` and stance probabilities of ``pairs`` in length-sorted batches."""
        import torch

        if getattr(self.labeler.config, "stance_encoding", "pair") == "packed":
            return self._encode_packed(texts, pairs)
        tokenizer, network = self.labeler.tokenizer, self.labeler.network
        max_length = int(self.labeler.config.max_length)
        rows = _tokenize(tokenizer, texts, pairs, max_length)
        n_types, n_stances = len(self.taxonomy.type_names), len(self.taxonomy.stances)
        type_out = np.zeros((len(texts), n_types), dtype=np.float32)
        stance_out = np.zeros((len(pairs), n_stances), dtype=np.float32)
        pad_id = tokenizer.pad_token_id or 0
        network.eval()
        with torch.inference_mode():
            for batch in length_batches(
                [len(r[0]) for r in rows], self.settings.batch_size, self.settings.max_batch_tokens
            ):
                inputs = _pad([rows[i] for i in batch], pad_id)
                output = network(**inputs)
                is_type = np.array([i < len(texts) for i in batch])
                index = np.array(batch)
                if is_type.any():
                    type_out[index[is_type]] = (
                        torch.sigmoid(output["type_logits"][torch.from_numpy(is_type)]).float().numpy()
                    )
                if (~is_type).any():
                    logits = output["stance_logits"][torch.from_numpy(~is_type)]
                    shift = getattr(self.labeler, "shift_stance", lambda probabilities: probabilities)
                    stance_out[index[~is_type] - len(texts)] = shift(torch.softmax(logits.float(), dim=-1).numpy())
        return type_out, stance_out

    def _encode_packed(self, texts: list[str], pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """``_encode`` for packed models: one row per paragraph holds it and all its targets."""
        grouped, targets, where = group_pairs(pairs)
        row_of = {text: i for i, text in enumerate(grouped)}
        extra = [t for t in dict.fromkeys(texts) if t not in row_of]
        grouped, targets = grouped + extra, targets + [[] for _ in extra]
        row_of.update({text: len(row_of) + i for i, text in enumerate(extra)})
        type_probs, stance_probs = self.labeler.packed_probabilities(
            grouped, targets, self.settings.batch_size, self.settings.max_batch_tokens
        )
        stance_out = ungroup_pairs(stance_probs, where, len(self.taxonomy.stances))
        return type_probs[[row_of[t] for t in texts]], stance_out

    # ---------------------------------------------------------------------------------------------- cache
    def _remember(self, groups: list[tuple[list[str], list[str]]], results: list[list[ParagraphPrediction]]) -> None:
        if not self.settings.cache_size:
            return
        with self._cache_lock:
            for (texts, targets), predictions in zip(groups, results):
                for text, prediction in zip(texts, predictions):
                    key = (" ".join(text.split()), tuple(targets))
                    self._cache[key] = prediction
                    self._cache.move_to_end(key)
            while len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)

    def _lookup(self, texts: list[str], targets: tuple[str, ...]) -> list[ParagraphPrediction | None]:
        with self._cache_lock:
            return [self._cache.get((" ".join(t.split()), targets)) for t in texts]


def _unique(items: list) -> tuple[list, np.ndarray]:
    """The distinct items in first-seen order, and for each input its row among them."""
    rows: dict = {}
    index = np.array([rows.setdefault(item, len(rows)) for item in items], dtype=np.int64)
    return list(rows), index


def _has_probabilities(labeler: Any) -> bool:
    return all(
        callable(getattr(labeler, a, None)) for a in ("type_probabilities", "stance_probabilities")
    ) and hasattr(labeler, "thresholds")


def _tokenize(tokenizer: Any, texts: list[str], pairs: list[tuple[str, str]], max_length: int) -> list[tuple]:
    """``(input_ids, token_type_ids)`` per input: the texts first, then the pairs."""
    rows: list[tuple] = []
    if texts:
        encoded = tokenizer(texts, truncation=True, max_length=max_length)
        rows += list(zip(encoded["input_ids"], encoded.get("token_type_ids") or [None] * len(texts)))
    if pairs:
        encoded = tokenizer(
            [a for a, _ in pairs], [b for _, b in pairs], truncation="only_second", max_length=max_length
        )
        rows += list(zip(encoded["input_ids"], encoded.get("token_type_ids") or [None] * len(pairs)))
    return rows


def _pad(rows: list[tuple], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (ids, token_types) in enumerate(rows):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        attention[i, : len(ids)] = 1
        if token_types is not None:
            types[i, : len(ids)] = torch.tensor(token_types)
    inputs = {"input_ids": input_ids, "attention_mask": attention}
    if rows[0][1] is not None:
        inputs["token_type_ids"] = types
    return inputs
