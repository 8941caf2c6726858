"""The torch module behind the paragraph classifier: one encoder, a multi-label type head and a stance head.

A batch may mix the two tasks. Rows with ``task == 0`` are paragraphs (type head, sigmoid + BCE);
rows with ``task == 1`` are (target, paragraph) pairs (stance head, softmax + cross-entropy). Mixing
lets ``transformers.Trainer`` shuffle one table of both tasks: every batch updates the shared encoder
for both, which trains as well as alternating batches and needs no custom sampler. Packed models can also
train on *joint* rows (``task == 2``): a paragraph with all its target blocks, its type labels and one
stance label per block (``stance_labels`` of shape ``(batch, blocks)``, ``-100`` where a row has no such
block); the loss is the same mean BCE over rows plus mean cross-entropy over labelled blocks.

**Stance pooling.** A mean over every token of ``[CLS] target [SEP] paragraph [SEP]`` is dominated by the
paragraph, so two targets of one paragraph get nearly the same vector. With ``stance_pooling="target"`` the
stance head reads the whole-input mean *and* the mean over the target segment (up to and including the first
separator token); in a cross-encoder those target tokens have attended to the paragraph, so their mean is a
target-centred reading of it. ``"mean"`` is the original head (models saved before this option).

**Stance encoding.** ``"pair"`` encodes each (target, paragraph) pair as its own row. ``"packed"`` puts the
paragraph and all its targets in one row with block attention (see :mod:`~stancewire.models.packed_inputs`):
rows then carry ``position_ids`` and ``segment_ids``, the type head reads the paragraph segment and the
stance head reads, per target block, the paragraph's pooled state and the block's mean.
"""

from __future__ import annotations

import torch
from torch import nn

from stancewire.models.packed_inputs import block_attention, segment_means

TYPE_TASK = 0
STANCE_TASK = 1
JOINT_TASK = 2  # a packed paragraph row carrying both tasks' labels: types, and a stance per target block
IGNORE_INDEX = -100  # a stance label that does not count (a block a joint row does not have)
STANCE_POOLING_MODES = ("mean", "target")
STANCE_ENCODINGS = ("pair", "packed")


class ClassifierNetwork(nn.Module):
    """Encoder + heads. ``forward`` returns a dict with ``type_logits``, ``stance_logits`` and, given labels, ``loss``.

    Args:
        encoder: A Hugging Face encoder (``AutoModel``), possibly wrapped by peft.
        hidden_size: Width of the encoder's output.
        num_types: Labels of the type head.
        num_stances: Classes of the stance head (3).
        pooling: ``"mean"`` or ``"cls"``.
        head_dropout: Dropout before the heads.
        type_pos_weight: Optional per-label positive weight for the BCE loss (class imbalance).
        stance_class_weight: Optional per-class weight for the stance loss.
        stance_pooling: ``"target"`` (whole mean + target-segment mean) or ``"mean"`` (whole mean only).
        sep_token_id: The tokenizer's separator id, which ends the target segment (needed for ``"target"``).
        stance_encoding: ``"pair"`` (a row per pair) or ``"packed"`` (a paragraph and its targets in one row;
            needs ``stance_pooling="target"``).

    Example:
        >>> from transformers import BertConfig, BertModel
        >>> cfg = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
        >>> net = ClassifierNetwork(BertModel(cfg), hidden_size=32, num_types=9, num_stances=3)
        >>> out = net(input_ids=torch.tensor([[1, 2, 3]]), attention_mask=torch.ones(1, 3, dtype=torch.long))
        >>> out["type_logits"].shape, out["stance_logits"].shape
        (torch.Size([1, 9]), torch.Size([1, 3]))
    """

    def __init__(
        self,
        encoder: nn.Module,
        hidden_size: int,
        num_types: int,
        num_stances: int,
        pooling: str = "mean",
        head_dropout: float = 0.1,
        type_pos_weight: torch.Tensor | None = None,
        stance_class_weight: torch.Tensor | None = None,
        stance_pooling: str = "mean",
        sep_token_id: int | None = None,
        stance_encoding: str = "pair",
    ) -> None:
        super().__init__()
        if stance_pooling not in STANCE_POOLING_MODES:
            raise ValueError(f"stance_pooling must be one of {list(STANCE_POOLING_MODES)}; got {stance_pooling!r}.")
        if stance_encoding not in STANCE_ENCODINGS:
            raise ValueError(f"stance_encoding must be one of {list(STANCE_ENCODINGS)}; got {stance_encoding!r}.")
        if stance_pooling == "target" and sep_token_id is None:
            raise ValueError("stance_pooling='target' needs the tokenizer's sep_token_id.")
        if stance_encoding == "packed" and stance_pooling != "target":
            raise ValueError("stance_encoding='packed' needs stance_pooling='target'.")
        self.encoder = encoder
        self.pooling = pooling
        self.stance_pooling = stance_pooling
        self.stance_encoding = stance_encoding
        self.position_offset = position_offset(encoder)
        self.uses_token_types = getattr(getattr(encoder, "config", None), "type_vocab_size", 0) >= 2
        self.sep_token_id = sep_token_id
        self.dropout = nn.Dropout(head_dropout)
        self.type_head = nn.Linear(hidden_size, num_types)
        stance_width = 2 * hidden_size if stance_pooling == "target" else hidden_size
        self.stance_head = nn.Linear(stance_width, num_stances)
        self.register_buffer("type_pos_weight", type_pos_weight, persistent=False)
        self.register_buffer("stance_class_weight", stance_class_weight, persistent=False)

    def features(self, input_ids, attention_mask, token_type_ids=None) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs of the type head and of the stance head, one row each per input row."""
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        pooled = hidden[:, 0] if self.pooling == "cls" else _masked_mean(hidden, attention_mask)
        if self.stance_pooling == "mean":
            return pooled, pooled
        is_sep = (input_ids == self.sep_token_id).int()
        first_sep = torch.where(is_sep.any(1), is_sep.argmax(1), torch.zeros_like(is_sep[:, 0]))
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        segment = (positions <= first_sep.unsqueeze(1)) & attention_mask.bool()
        return pooled, torch.cat([pooled, _masked_mean(hidden, segment)], dim=-1)

    def packed_features(
        self, input_ids, attention_mask, token_type_ids, position_ids, segment_ids
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Packed rows: the type head's input ``(batch, hidden)`` and the stance head's input per target block
        ``(batch, blocks, 2 * hidden)`` (a block a row does not have gets a meaningless row)."""
        embeddings = self.encoder.get_input_embeddings()
        kwargs = {
            "input_ids": input_ids,
            "attention_mask": block_attention(segment_ids, embeddings.weight.dtype),
            "position_ids": position_ids + self.position_offset,
        }
        if token_type_ids is not None and self.uses_token_types:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        blocks = max(int(segment_ids.max()), 1)
        paragraph, targets = segment_means(hidden, segment_ids, blocks)
        if self.pooling == "cls":
            paragraph = hidden[:, 0]
        return paragraph, torch.cat([paragraph[:, None].expand_as(targets), targets], dim=-1)

    def head_inputs(
        self, input_ids, attention_mask, token_type_ids=None, position_ids=None, segment_ids=None, all_blocks=False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """What the two heads read, for pair rows or packed rows (``segment_ids`` given: the first target block's
        stance input, or every block's with ``all_blocks``)."""
        if segment_ids is None:
            return self.features(input_ids, attention_mask, token_type_ids)
        if position_ids is None:
            raise ValueError("packed rows need position_ids as well as segment_ids.")
        type_input, stance_input = self.packed_features(
            input_ids, attention_mask, token_type_ids, position_ids, segment_ids
        )
        return type_input, stance_input if all_blocks else stance_input[:, 0]

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        task: torch.Tensor | None = None,
        type_labels: torch.Tensor | None = None,
        stance_labels: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        segment_ids: torch.Tensor | None = None,
        all_blocks: bool = False,
    ) -> dict[str, torch.Tensor]:
        """Logits for both heads on every row; the loss only counts each row for its own task.

        Packed rows (``segment_ids`` given) give the stance logits of their first target block, or with
        ``all_blocks`` (implied by two-dimensional ``stance_labels``: joint rows) those of every block, shape
        ``(batch, blocks, stances)``.
        """
        all_blocks = all_blocks or (stance_labels is not None and stance_labels.dim() == 2)
        type_input, stance_input = self.head_inputs(
            input_ids, attention_mask, token_type_ids, position_ids, segment_ids, all_blocks
        )
        output = {
            "type_logits": self.type_head(self.dropout(type_input)),
            "stance_logits": self.stance_head(self.dropout(stance_input)),
        }
        if type_labels is not None and stance_labels is not None and task is not None:
            output["loss"] = self._loss(output, task, type_labels, stance_labels, sample_weight)
        return output

    def _loss(self, output, task, type_labels, stance_labels, sample_weight) -> torch.Tensor:
        weight = sample_weight if sample_weight is not None else torch.ones_like(task, dtype=torch.float)
        is_type = task != STANCE_TASK
        loss = output["type_logits"].sum() * 0.0  # keeps the graph when a batch has only one task
        if is_type.any():
            bce = nn.functional.binary_cross_entropy_with_logits(
                output["type_logits"][is_type], type_labels[is_type], pos_weight=self.type_pos_weight, reduction="none"
            ).mean(dim=1)
            loss = loss + (bce * weight[is_type]).sum() / weight[is_type].sum()
        is_stance = stance_labels != IGNORE_INDEX  # stance rows, or the labelled blocks of joint rows
        if stance_labels.dim() == 2:  # joint rows: each block carries its row's weight
            weight = weight[:, None].expand_as(stance_labels)
        if is_stance.any():
            ce = nn.functional.cross_entropy(
                output["stance_logits"][is_stance],
                stance_labels[is_stance],
                weight=self.stance_class_weight,
                reduction="none",
            )
            loss = loss + (ce * weight[is_stance]).sum() / weight[is_stance].sum()
        return loss


def position_offset(encoder: nn.Module) -> int:
    """Where an encoder's positions start: RoBERTa-style embeddings (with ``padding_idx``) count from it + 1."""
    for name, module in encoder.named_modules():
        if name.rsplit(".", 1)[-1] == "embeddings" and isinstance(getattr(module, "padding_idx", None), int):
            return module.padding_idx + 1
    return 0


def _masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
