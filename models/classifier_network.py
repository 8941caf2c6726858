"""The torch module behind the paragraph classifier: one encoder, a multi-label type head and a stance head.

A batch may mix the two tasks. Rows with ``task == 0`` are paragraphs (type head, sigmoid + BCE);
rows with ``task == 1`` are (target, paragraph) pairs (stance head, softmax + cross-entropy). Mixing
lets ``transformers.Trainer`` shuffle one table of both tasks: every batch updates the shared encoder
for both, which trains as well as alternating batches and needs no custom sampler.
"""

from __future__ import annotations

import torch
from torch import nn

TYPE_TASK = 0
STANCE_TASK = 1


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
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(head_dropout)
        self.type_head = nn.Linear(hidden_size, num_types)
        self.stance_head = nn.Linear(hidden_size, num_stances)
        self.register_buffer("type_pos_weight", type_pos_weight, persistent=False)
        self.register_buffer("stance_class_weight", stance_class_weight, persistent=False)

    def pool(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        """Sentence vector per row (mean over real tokens, or the first token)."""
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        task: torch.Tensor | None = None,
        type_labels: torch.Tensor | None = None,
        stance_labels: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Logits for both heads on every row; the loss only counts each row for its own task."""
        pooled = self.dropout(self.pool(input_ids, attention_mask, token_type_ids))
        output = {"type_logits": self.type_head(pooled), "stance_logits": self.stance_head(pooled)}
        if type_labels is not None and stance_labels is not None and task is not None:
            output["loss"] = self._loss(output, task, type_labels, stance_labels, sample_weight)
        return output

    def _loss(self, output, task, type_labels, stance_labels, sample_weight) -> torch.Tensor:
        weight = sample_weight if sample_weight is not None else torch.ones_like(task, dtype=torch.float)
        is_type = task == TYPE_TASK
        loss = output["type_logits"].sum() * 0.0  # keeps the graph when a batch has only one task
        if is_type.any():
            bce = nn.functional.binary_cross_entropy_with_logits(
                output["type_logits"][is_type], type_labels[is_type], pos_weight=self.type_pos_weight, reduction="none"
            ).mean(dim=1)
            loss = loss + (bce * weight[is_type]).sum() / weight[is_type].sum()
        is_stance = ~is_type
        if is_stance.any():
            ce = nn.functional.cross_entropy(
                output["stance_logits"][is_stance],
                stance_labels[is_stance],
                weight=self.stance_class_weight,
                reduction="none",
            )
            loss = loss + (ce * weight[is_stance]).sum() / weight[is_stance].sum()
        return loss
