"""Packed stance inputs: one paragraph and all its targets in one encoder row.

The pair encoding (``[CLS] target [SEP] paragraph [SEP]``, one row per target) costs one pass over the
paragraph per target. A *packed* row holds the paragraph once, followed by one short block per target::

    [CLS] paragraph [SEP] | target 1 [SEP] | target 2 [SEP] | ...
    segment:  0  0 ... 0  |   1  ...  1    |   2  ...  2    |

and the attention is restricted by blocks: paragraph tokens attend only to the paragraph, and the tokens of
target block *k* attend to the paragraph and to block *k*. Every target block restarts its positions right
after the paragraph. So the paragraph's hidden states are exactly those of the paragraph alone (the type head
reads them, and types do not depend on the targets asked for), and each target block is exactly what that
target alone would give: a target's stance depends on neither the other targets nor their order. Each
target still reads the paragraph through every layer of the same encoder (its tokens attend to it), which is
what makes the stance target-conditioned; the cost is the paragraph once plus a few tokens per target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

TARGET_TOKENS = 16  # longest target block, its separator included
PADDING_SEGMENT = -1


def packed_row(tokenizer: Any, paragraph: str, targets: Sequence[str], max_length: int) -> dict[str, list[int]]:
    """One packed row: ``input_ids``, ``token_type_ids``, ``position_ids`` (from 0) and ``segment_ids``.

    The paragraph is truncated to ``max_length`` tokens (special tokens included), each target to
    ``TARGET_TOKENS``.

    Example:
        >>> from transformers import BertTokenizerFast
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "truce", "now", "un"]
        >>> _ = (folder / "vocab.txt").write_text("\\n".join(words))
        >>> row = packed_row(BertTokenizerFast(str(folder / "vocab.txt")), "truce now", ["un", "truce"], 32)
        >>> row["segment_ids"], row["position_ids"]
        ([0, 0, 0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 5, 4, 5])
    """
    paragraph_ids = tokenizer(paragraph, truncation=True, max_length=max_length)["input_ids"]
    sep = tokenizer.sep_token_id
    ids, segments = list(paragraph_ids), [0] * len(paragraph_ids)
    positions = list(range(len(paragraph_ids)))
    for block, target in enumerate(targets, start=1):
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"][: TARGET_TOKENS - 1] + [sep]
        ids += target_ids
        segments += [block] * len(target_ids)
        positions += list(range(len(paragraph_ids), len(paragraph_ids) + len(target_ids)))
    return {
        "input_ids": ids,
        "token_type_ids": [int(s > 0) for s in segments],
        "position_ids": positions,
        "segment_ids": segments,
    }


def pad_packed(rows: Sequence[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Packed rows padded to the longest: the four columns plus a 0/1 ``attention_mask``."""
    width = max(len(r["input_ids"]) for r in rows)
    fill = {"input_ids": pad_id, "token_type_ids": 0, "position_ids": 0, "segment_ids": PADDING_SEGMENT}
    batch = {
        key: torch.tensor([r[key] + [value] * (width - len(r[key])) for r in rows], dtype=torch.long)
        for key, value in fill.items()
    }
    batch["attention_mask"] = (batch["segment_ids"] != PADDING_SEGMENT).long()
    return batch


def block_attention(segment_ids: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The additive 4D mask ``(batch, 1, query, key)`` of packed rows: 0 where attention is allowed.

    A query may attend to a key that is not padding and lies in the paragraph (segment 0) or in the query's own
    block. Padding queries attend to the paragraph, so no row of the mask is empty.
    """
    keys = segment_ids[:, None, :]
    allowed = (keys != PADDING_SEGMENT) & ((keys == 0) | (keys == segment_ids[:, :, None]))
    mask = torch.zeros(allowed.shape, dtype=dtype, device=segment_ids.device)
    return mask.masked_fill(~allowed, torch.finfo(dtype).min)[:, None]


def segment_means(hidden: torch.Tensor, segment_ids: torch.Tensor, blocks: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean hidden state of the paragraph ``(batch, hidden)`` and of each target block ``(batch, blocks, hidden)``.

    A block a row does not have gets zeros.
    """
    ids = torch.arange(blocks + 1, device=segment_ids.device)
    weights = (segment_ids[:, None, :] == ids[None, :, None]).to(hidden.dtype)  # (batch, blocks + 1, tokens)
    sums = weights @ hidden
    means = sums / weights.sum(-1, keepdim=True).clamp(min=1e-9)
    return means[:, 0], means[:, 1:]


def group_pairs(
    pairs: Sequence[tuple[str, str]],
) -> tuple[list[str], list[list[str]], list[tuple[int, int]]]:
    """``(target, paragraph)`` pairs as distinct paragraphs with their distinct targets, and where each pair went.

    Example:
        >>> group_pairs([("UN", "a"), ("Iran", "a"), ("UN", "b"), ("UN", "a")])
        (['a', 'b'], [['UN', 'Iran'], ['UN']], [(0, 0), (0, 1), (1, 0), (0, 0)])
    """
    texts: dict[str, int] = {}
    targets: list[dict[str, int]] = []
    where = []
    for target, text in pairs:
        if text not in texts:
            texts[text] = len(texts)
            targets.append({})
        index = texts[text]
        where.append((index, targets[index].setdefault(target, len(targets[index]))))
    return list(texts), [list(t) for t in targets], where


def ungroup_pairs(grouped: Sequence[np.ndarray], where: Sequence[tuple[int, int]], width: int) -> np.ndarray:
    """Per-pair rows ``(len(where), width)`` from per-paragraph stance arrays, by :func:`group_pairs`' ``where``."""
    out = np.zeros((len(where), width), dtype=np.float32)
    for row, (text_index, target_index) in enumerate(where):
        out[row] = grouped[text_index][target_index]
    return out
