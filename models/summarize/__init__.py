"""Summarisers: extractive methods, LLM and hybrid, with the faithfulness guard.

Example:
    >>> from stancewire.models.summarize import load_summarizer
    >>> load_summarizer("lead", max_sentences=1).summarise("Goma fell. Talks stalled.").text
    'Goma fell.'
"""

from __future__ import annotations

from stancewire.models.summarize.base import (
    Summarizer,
    Summary,
    available_summarizers,
    load_summarizer,
    register_summarizer,
)
from stancewire.models.summarize.guard import GuardReport, check_faithfulness

__all__ = [
    "GuardReport",
    "Summarizer",
    "Summary",
    "available_summarizers",
    "check_faithfulness",
    "load_summarizer",
    "register_summarizer",
]
