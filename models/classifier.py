"""The fine-tuned paragraph classifier: types (multi-label) and stance toward each target, one encoder.

Saved folders hold ``config.json`` (taxonomy, thresholds, base model, versions), the tokenizer, and
safetensors weights: ``heads.safetensors`` plus either ``adapter.safetensors`` (LoRA; the base encoder
comes from ``base_model``) or ``encoder.safetensors`` (full fine-tuning, or an encoder built from a config).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModel, AutoTokenizer, PretrainedConfig, PreTrainedTokenizerBase

from stancewire.models.batching import length_batches
from stancewire.models.classifier_config import ClassifierConfig
from stancewire.models.classifier_network import ClassifierNetwork, position_offset
from stancewire.models.hub import resolve_encoder
from stancewire.models.labeler_base import ProbabilisticLabeler
from stancewire.models.packed_inputs import TARGET_TOKENS, group_pairs, packed_row, pad_packed, ungroup_pairs
from stancewire.models.registry import register_kind
from stancewire.models.saved_config import read_config, write_config
from stancewire.models.stance_prior import shift_none
from stancewire.models.taxonomy import Taxonomy

KIND = "paragraph-classifier.v1"


@register_kind(KIND)
class ParagraphClassifier(ProbabilisticLabeler):
    """Types and target-conditioned stance for news paragraphs.

    Build an untrained one with :meth:`create` (training does), load a trained one with
    :meth:`from_pretrained`.

    Example:
        >>> clf = ParagraphClassifier.from_pretrained("default")  # doctest: +SKIP
        >>> pred = clf.predict("The UN chief urged an immediate truce.", targets=["ceasefire"])  # doctest: +SKIP
        >>> pred.types, pred.stance  # doctest: +SKIP
        (['call_for_ceasefire'], {'ceasefire': 'favor'})
    """

    def __init__(
        self,
        config: ClassifierConfig,
        network: ClassifierNetwork,
        tokenizer: PreTrainedTokenizerBase,
        name: str = "paragraph-classifier",
        encoder_is_pretrained: bool = True,
    ) -> None:
        self.config = config
        self.network = network
        self.tokenizer = tokenizer
        self.name = name
        self.encoder_is_pretrained = encoder_is_pretrained
        self._adapter_state: dict[str, torch.Tensor] | None = None
        self.is_quantized = False

    @property
    def taxonomy(self) -> Taxonomy:
        """The labels of the type head."""
        return self.config.taxonomy

    @property
    def thresholds(self) -> dict[str, float]:
        """Decision threshold per type label."""
        return self.config.thresholds

    @property
    def base_encoder(self) -> str | None:
        """The encoder its saved folder needs from elsewhere: ``config.base_model`` when it saves a LoRA adapter
        (the base weights stay outside the folder), ``None`` when it saves the whole encoder."""
        has_adapter = self._adapter_state is not None or _is_peft(self.network.encoder)
        return self.config.base_model if has_adapter and self.encoder_is_pretrained else None

    # ----------------------------------------------------------------------------------------- building
    @classmethod
    def create(
        cls,
        config: ClassifierConfig,
        encoder_config: PretrainedConfig | None = None,
        tokenizer: PreTrainedTokenizerBase | None = None,
        type_pos_weight: torch.Tensor | None = None,
        stance_class_weight: torch.Tensor | None = None,
    ) -> ParagraphClassifier:
        """An untrained classifier on ``config.base_model`` (or a random encoder from ``encoder_config``).

        With ``finetune="lora"`` the encoder is wrapped in a peft LoRA adapter; only the adapter and the
        heads are trainable.
        """
        source = resolve_encoder(config.base_model)
        tokenizer = tokenizer or AutoTokenizer.from_pretrained(source)
        if encoder_config is None:
            encoder = AutoModel.from_pretrained(source)
        else:
            encoder = AutoModel.from_config(encoder_config)
        if config.stance_encoding == "packed":
            _check_packed_positions(encoder, config.max_length)
        if config.finetune == "lora":
            encoder = _wrap_lora(encoder, config)
        network = ClassifierNetwork(
            encoder,
            hidden_size=_hidden_size(encoder),
            num_types=len(config.taxonomy.type_names),
            num_stances=len(config.taxonomy.stances),
            pooling=config.pooling,
            head_dropout=config.head_dropout,
            type_pos_weight=type_pos_weight,
            stance_class_weight=stance_class_weight,
            stance_pooling=config.stance_pooling,
            sep_token_id=tokenizer.sep_token_id,
            stance_encoding=config.stance_encoding,
        )
        return cls(config, network, tokenizer, encoder_is_pretrained=encoder_config is None)

    # ---------------------------------------------------------------------------------------- inference
    def label_probabilities(
        self, texts: list[str], targets: list[str], batch_size: int = 32
    ) -> tuple[np.ndarray, np.ndarray]:
        """See :meth:`ProbabilisticLabeler.label_probabilities`; a packed model reads each paragraph once."""
        if self.config.stance_encoding != "packed":
            return super().label_probabilities(texts, targets, batch_size)
        type_probs, stances = self.packed_probabilities(texts, [targets] * len(texts), batch_size)
        width = len(self.taxonomy.stances)
        return type_probs, np.concatenate(stances) if targets else np.zeros((0, width), dtype=np.float32)

    def type_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Sigmoid probability of every type label, shape ``(len(texts), num_types)``."""
        if self.config.stance_encoding == "packed":
            return self.packed_probabilities(list(texts), [[] for _ in texts], batch_size)[0]
        return self._run([(t, None) for t in texts], "type_logits", batch_size, torch.sigmoid)

    def stance_probabilities(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Softmax over favor/against/none for each ``(target, paragraph)`` pair, shape ``(len(pairs), 3)``."""
        if self.config.stance_encoding != "packed":
            return self.shift_stance(
                self._run(list(pairs), "stance_logits", batch_size, lambda x: torch.softmax(x, dim=-1))
            )
        texts, targets, where = group_pairs(pairs)
        return ungroup_pairs(
            self.packed_probabilities(texts, targets, batch_size)[1], where, len(self.taxonomy.stances)
        )

    def packed_probabilities(
        self,
        texts: Sequence[str],
        targets: Sequence[Sequence[str]],
        batch_size: int = 32,
        max_batch_tokens: int | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Types of every text and stance toward each of its own targets, one packed row per text.

        Only for ``stance_encoding="packed"`` models (see :mod:`~stancewire.models.packed_inputs`).

        Returns:
            Type probabilities ``(len(texts), num_types)`` and, per text, stance probabilities
            ``(len(targets[i]), num_stances)``.
        """
        if self.config.stance_encoding != "packed":
            raise ValueError(f"{self.name!r} encodes stance pairs one by one; packed_probabilities needs 'packed'.")
        if len(texts) != len(targets):
            raise ValueError(f"one target list per text: got {len(texts)} texts and {len(targets)} target lists.")
        rows = [packed_row(self.tokenizer, t, tg, self.config.max_length) for t, tg in zip(texts, targets)]
        width = len(self.taxonomy.stances)
        type_out = np.zeros((len(texts), len(self.taxonomy.type_names)), dtype=np.float32)
        stance_out = [np.zeros((len(tg), width), dtype=np.float32) for tg in targets]
        lengths = [len(r["input_ids"]) for r in rows]
        self.network.eval()
        with torch.inference_mode():
            for batch in length_batches(lengths, batch_size, max_batch_tokens or batch_size * max(lengths, default=1)):
                inputs = pad_packed([rows[i] for i in batch], self.tokenizer.pad_token_id or 0)
                output = self.network(**inputs, all_blocks=True)
                type_out[batch] = torch.sigmoid(output["type_logits"].float()).numpy()
                stances = torch.softmax(output["stance_logits"].float(), dim=-1).numpy()
                for row, i in enumerate(batch):
                    stance_out[i][:] = self.shift_stance(stances[row, : len(targets[i])])
        return type_out, stance_out

    def shift_stance(self, probabilities: np.ndarray) -> np.ndarray:
        """Softmax outputs of the stance head with the model's tuned ``none`` shift applied (``stance_prior``)."""
        return shift_none(probabilities, self.config.stance_none_shift, self.taxonomy.stances.index("none"))

    def _run(self, inputs: list[tuple[str, str | None]], head: str, batch_size: int, activation) -> np.ndarray:
        width = len(self.taxonomy.type_names) if head == "type_logits" else len(self.taxonomy.stances)
        out = np.zeros((len(inputs), width), dtype=np.float32)
        self.network.eval()
        with torch.inference_mode():
            for index, batch in _length_sorted_batches(inputs, batch_size):
                encoded = self._tokenize(batch)
                logits = self.network(**encoded)[head]
                out[index] = activation(logits.float()).numpy()
        return out

    def _tokenize(self, batch: list[tuple[str, str | None]]) -> dict[str, torch.Tensor]:
        firsts = [a for a, _ in batch]
        seconds = [b for _, b in batch]
        kwargs: dict[str, Any] = {"padding": True, "max_length": self.config.max_length, "return_tensors": "pt"}
        if seconds[0] is None:
            return dict(self.tokenizer(firsts, truncation=True, **kwargs))
        return dict(self.tokenizer(firsts, seconds, truncation="only_second", **kwargs))

    # ------------------------------------------------------------------------------------- persistence
    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json``, the tokenizer and safetensors weights to ``directory``.

        Raises:
            ValueError: for an int8 copy from :meth:`quantized` (save the full-precision model instead).
        """
        if self.is_quantized:
            raise ValueError(
                f"{self.name!r} is an int8 copy made by quantized(); save the full-precision model it came from "
                "(quantisation is redone at load time)."
            )
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        heads = {f"type_head.{k}": v for k, v in self.network.type_head.state_dict().items()}
        heads.update({f"stance_head.{k}": v for k, v in self.network.stance_head.state_dict().items()})
        save_file(_contiguous(heads), directory / "heads.safetensors")
        if self.base_encoder is not None:
            save_file(_contiguous(self.adapter_state()), directory / "adapter.safetensors")
            weights = "adapter"
            (directory / "encoder.safetensors").unlink(missing_ok=True)
        else:
            save_file(_contiguous(self.merged_encoder().state_dict()), directory / "encoder.safetensors")
            weights = "encoder"
            (directory / "adapter.safetensors").unlink(missing_ok=True)
        self.tokenizer.save_pretrained(directory)
        config = {
            "kind": KIND,
            **self.config.to_dict(),
            "weights": weights,
            "encoder_config": self.merged_encoder().config.to_dict(),
        }
        write_config(directory, config)

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path) -> ParagraphClassifier:
        """Load a saved classifier folder, or a shipped one by name (``"default"``)."""
        path, saved = read_config(path_or_name, KIND, "classifier")
        config = ClassifierConfig.from_dict(saved)
        encoder_config = AutoConfig.for_model(**saved["encoder_config"])
        tokenizer = AutoTokenizer.from_pretrained(path)
        weights = saved.get("weights", "encoder")
        if weights == "adapter":
            model = cls.create(config, tokenizer=tokenizer)
            adapter = load_file(path / "adapter.safetensors")
            _load_adapter(model.network.encoder, adapter)
            model._adapter_state = adapter
        else:
            full = ClassifierConfig.from_dict({**saved, "finetune": "full"})
            model = cls.create(full, encoder_config=encoder_config, tokenizer=tokenizer)
            model.network.encoder.load_state_dict(load_file(path / "encoder.safetensors"))
            model.config = config
        heads = load_file(path / "heads.safetensors")
        model.network.type_head.load_state_dict({k[10:]: v for k, v in heads.items() if k.startswith("type_head.")})
        model.network.stance_head.load_state_dict(
            {k[12:]: v for k, v in heads.items() if k.startswith("stance_head.")}
        )
        model.merge_adapter()
        model.name = str(path_or_name)
        model.network.eval()
        return model

    # ------------------------------------------------------------------------------------------ adapter
    def adapter_state(self) -> dict[str, torch.Tensor] | None:
        """The LoRA weights (``None`` when the encoder has no adapter)."""
        if self._adapter_state is not None:
            return self._adapter_state
        if not _is_peft(self.network.encoder):
            return None
        from peft import get_peft_model_state_dict

        return {k: v.detach().clone() for k, v in get_peft_model_state_dict(self.network.encoder).items()}

    def merged_encoder(self) -> torch.nn.Module:
        """The encoder with any adapter folded in (a plain ``transformers`` model)."""
        encoder = self.network.encoder
        if not _is_peft(encoder):
            return encoder
        return copy.deepcopy(encoder).merge_and_unload()

    def calibrate_int8(self, texts: Sequence[str], pairs: Sequence[tuple[str, str]] = ()) -> None:
        """Measure every Linear layer's input range on ``texts`` and ``(target, paragraph)`` ``pairs``.

        Stores them in ``config.int8_ranges`` (saved with the model), so :meth:`quantized` gives a calibrated
        int8 network whose results do not depend on batch-mates. Inputs run one per batch (no padding).
        """
        from stancewire.models.quantize import calibrate_ranges

        runner = copy.copy(self)
        runner.network = self._merged_network()

        def run() -> None:
            runner.type_probabilities(list(texts), batch_size=1)
            if pairs:
                runner.stance_probabilities(list(pairs), batch_size=1)

        self.config.int8_ranges = calibrate_ranges(runner.network, run)

    def quantized(self) -> ParagraphClassifier:
        """A copy whose Linear layers run in int8 (see :mod:`~stancewire.models.quantize`).

        Calibrated with ``config.int8_ranges`` when the model has them (else dynamic int8), deciding with
        ``config.int8_thresholds`` (tuned on dev for the int8 network at training time) when it has them
        (else the full-precision ``thresholds``). Any LoRA adapter is folded in first. The original model is
        left as it was; the copy cannot be saved.
        """
        from stancewire.models.quantize import quantize_network

        quantized = copy.copy(self)
        quantized.network = quantize_network(self._merged_network(), self.config.int8_ranges or None)
        shift = self.config.int8_stance_none_shift
        quantized.config = dataclasses.replace(
            self.config,
            thresholds=dict(self.config.int8_thresholds or self.config.thresholds),
            stance_none_shift=self.config.stance_none_shift if shift is None else shift,
        )
        quantized.is_quantized = True
        quantized.name = f"{self.name}@int8"  # what records and reports call it; load_labeler reads it back
        return quantized

    def _merged_network(self) -> ClassifierNetwork:
        """The network with any LoRA adapter folded in (a copy when there is one to fold)."""
        if not _is_peft(self.network.encoder):
            return self.network
        network = copy.deepcopy(self.network)
        network.encoder = network.encoder.merge_and_unload()
        return network

    def merge_adapter(self) -> None:
        """Fold the LoRA adapter into the encoder weights for faster inference (keeps it for saving)."""
        if _is_peft(self.network.encoder):
            self._adapter_state = self.adapter_state()
            self.network.encoder = self.network.encoder.merge_and_unload()


def _wrap_lora(encoder: torch.nn.Module, config: ClassifierConfig) -> torch.nn.Module:
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=list(config.lora.target_modules),
        layers_to_transform=None if config.lora.layers is None else list(config.lora.layers),
        bias="none",
    )
    return get_peft_model(encoder, lora)


def _load_adapter(encoder: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(encoder, state)
    unexpected = getattr(result, "unexpected_keys", [])
    if unexpected:
        raise ValueError(f"adapter.safetensors has weights the encoder lacks: {unexpected[:5]}.")


def _check_packed_positions(encoder: torch.nn.Module, max_length: int) -> None:
    """Packed rows reach position ``max_length + TARGET_TOKENS - 1``; the encoder must have embeddings for it."""
    limit = getattr(encoder.config, "max_position_embeddings", None)
    room = limit - TARGET_TOKENS - position_offset(encoder) if isinstance(limit, int) else max_length
    if max_length > room:
        raise ValueError(
            f"stance_encoding='packed' appends up to {TARGET_TOKENS} target tokens after max_length={max_length}, "
            f"beyond the encoder's {limit} positions; use max_length <= {room}."
        )


def _is_peft(module: torch.nn.Module) -> bool:
    return hasattr(module, "merge_and_unload") and hasattr(module, "peft_config")


def _hidden_size(encoder: torch.nn.Module) -> int:
    config = encoder.config
    return int(getattr(config, "hidden_size", None) or getattr(config, "dim", None) or config.d_model)


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().clone() for k, v in tensors.items()}


def _length_sorted_batches(
    inputs: list[tuple[str, str | None]], batch_size: int
) -> Iterator[tuple[list[int], list[tuple[str, str | None]]]]:
    """Batches of similar length (less padding), with the original positions of their rows."""
    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i][0]) + len(inputs[i][1] or ""))
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        yield index, [inputs[i] for i in index]
