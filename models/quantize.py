"""int8 quantisation of a network's Linear layers, for faster inference on CPU.

Two ways, both with weights quantised **per output channel** (one scale per row of each weight matrix;
one scale per matrix lost 3.5 points of types macro-F1 on the shipped default model):

- **Calibrated** (:func:`calibrate_ranges`, then ``quantize_network(network, ranges)``): each layer's input
  is quantised with a fixed range measured once on training paragraphs, and the int8 product comes back
  in float. A paragraph's result does not depend on the other paragraphs in its batch. This is what
  models trained by stancewire use (their ``config.json`` carries the ranges).
- **Dynamic** (no ranges): torch's dynamic quantisation picks the input range per call, over the whole
  batch, so a paragraph's labels change with its batch-mates (on the test split, 17% of paragraphs got
  other types alone than in batches of 32). Only for models saved without ranges.

Both rest on torch's quantised-tensor operators, which torch marks deprecated (they work in the pinned
torch 2.x).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator

import torch

Ranges = dict[str, tuple[float, float]]


class CalibratedInt8Linear(torch.nn.Module):
    """A Linear layer computed in int8: input quantised with a fixed range, per-channel int8 weights, float out.

    Args:
        linear: The full-precision layer (its weights are copied and quantised).
        low: Smallest input value seen in calibration (clipped to at most 0).
        high: Largest input value seen in calibration (clipped to at least 0). Inputs outside the range
            saturate.
    """

    def __init__(self, linear: torch.nn.Linear, low: float, high: float) -> None:
        super().__init__()
        low, high = min(float(low), 0.0), max(float(high), 0.0)
        self.scale = (high - low) / 255 or 1.0
        self.zero_point = int(round(-low / self.scale))
        self.out_features = linear.out_features
        weight = linear.weight.detach().float()
        scales = (weight.abs().amax(dim=1) / 127).clamp(min=1e-12).double()
        zeros = torch.zeros(weight.shape[0], dtype=torch.long)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quantised tensors are deprecated in torch 2.x but still supported
            qweight = torch.quantize_per_channel(weight, scales, zeros, 0, torch.qint8)
        bias = linear.bias.detach().float() if linear.bias is not None else None
        self._packed = torch.ops.quantized.linear_prepack(qweight, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's output, in float, for float input of any leading shape."""
        flat = x.reshape(-1, x.shape[-1]).float().contiguous()
        out = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(
            flat, self.scale, self.zero_point, self._packed
        )
        return out.reshape(*x.shape[:-1], self.out_features)

    def __deepcopy__(self, memo: dict) -> CalibratedInt8Linear:
        clone = copy.copy(self)  # packed weights are immutable: share them
        memo[id(self)] = clone
        return clone


def linear_layers(network: torch.nn.Module) -> Iterator[tuple[str, torch.nn.Linear]]:
    """``(name, layer)`` for every ``torch.nn.Linear`` of ``network``, names as ``named_modules`` gives them."""
    for name, module in network.named_modules():
        if isinstance(module, torch.nn.Linear):
            yield name, module


def calibrate_ranges(network: torch.nn.Module, run: Callable[[], object]) -> Ranges:
    """The smallest and largest input of every Linear layer of ``network`` while ``run()`` uses it.

    ``run`` should pass representative inputs **one per batch**, so padding never enters the ranges.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2))
        >>> calibrate_ranges(net, lambda: net(torch.tensor([[-1.0, 3.0]])))
        {'0': (-1.0, 3.0)}
    """
    ranges: Ranges = {}

    def record(name: str) -> Callable:
        def hook(module, inputs, output) -> None:
            x = inputs[0].detach()
            low, high = ranges.get(name, (0.0, 0.0))
            ranges[name] = (min(low, float(x.min())), max(high, float(x.max())))

        return hook

    handles = [layer.register_forward_hook(record(name)) for name, layer in linear_layers(network)]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return ranges


def quantize_network(network: torch.nn.Module, ranges: Ranges | None = None) -> torch.nn.Module:
    """A copy of ``network`` with every ``torch.nn.Linear`` in int8 (per-channel weights), in eval mode.

    With ``ranges`` (from :func:`calibrate_ranges`) layers use the calibrated input range; without,
    torch's dynamic quantisation. The original is left as it was. CPU only.

    Raises:
        ValueError: if ``ranges`` misses a Linear layer of ``network``.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(4, 3))
        >>> type(quantize_network(net, {"0": (-1.0, 1.0)})[0]).__name__
        'CalibratedInt8Linear'
        >>> quantize_network(net)[0].__module__
        'torch.ao.nn.quantized.dynamic.modules.linear'
    """
    clone = copy.deepcopy(network)
    if ranges is None:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's deprecation notice; the eager API still works in 2.x
            quantize_dynamic(clone, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
        return clone.eval()
    missing = [name for name, _ in linear_layers(clone) if name not in ranges]
    if missing:
        raise ValueError(f"int8 ranges miss layer(s) {missing[:3]}; calibrate this network again.")
    for name, layer in list(linear_layers(clone)):
        parent_name, _, child = name.rpartition(".")
        parent = clone.get_submodule(parent_name) if parent_name else clone
        setattr(parent, child, CalibratedInt8Linear(layer, *ranges[name]))
    return clone.eval()
