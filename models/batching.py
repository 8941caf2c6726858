"""Length-sorted batches bounded by rows and by padded tokens, for encoders run on CPU."""

from __future__ import annotations

from collections.abc import Sequence


def length_batches(lengths: Sequence[int], batch_size: int, max_batch_tokens: int) -> list[list[int]]:
    """Indices grouped into batches of similar length: at most ``batch_size`` rows and ``max_batch_tokens``
    padded tokens each (a single longer row still gets its own batch).

    Example:
        >>> length_batches([5, 1, 9, 2], batch_size=2, max_batch_tokens=100)
        [[1, 3], [0, 2]]
        >>> length_batches([5, 1, 9, 2], batch_size=4, max_batch_tokens=10)  # 3 rows of 5 tokens would pad to 15
        [[1, 3], [0], [2]]
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= batch_size or lengths[i] * (len(current) + 1) > max_batch_tokens):
            batches.append(current)
            current = []
        current.append(i)
    return batches + ([current] if current else [])
