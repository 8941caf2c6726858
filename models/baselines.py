"""Imports every baseline so their kinds and names are registered (see :mod:`stancewire.models.registry`)."""

from __future__ import annotations

from stancewire.models.baseline_linear import EmbedLogReg, TfidfLogReg
from stancewire.models.baseline_llm import ZeroShotLLM
from stancewire.models.baseline_zeroshot import ZeroShotEmbed

__all__ = ["EmbedLogReg", "TfidfLogReg", "ZeroShotEmbed", "ZeroShotLLM"]
