"""Running models: the Python API (:class:`Analyzer`), folder labelling and the HTTP service.

Example:
    >>> from stancewire.inference import Analyzer
    >>> analyzer = Analyzer.load("default", summarizer="lead")  # doctest: +SKIP
    >>> analyzer.analyze("examples/articles/drc-001.html").targets  # doctest: +SKIP
    ['Rwanda', 'M23', 'DRC government', 'ceasefire']

The HTTP app lives in :mod:`stancewire.inference.server` (imported on demand: it pulls in FastAPI).
"""

from __future__ import annotations

from stancewire.inference.analyzer import Analyzer
from stancewire.inference.batch import BatchReport, BatchSettings, label_folder
from stancewire.inference.engine import EncoderSettings, LabelEngine
from stancewire.inference.readers import ReadError, read_file
from stancewire.inference.results import ArticleAnalysis
from stancewire.inference.targets import Gazetteer, load_gazetteer

__all__ = [
    "Analyzer",
    "ArticleAnalysis",
    "BatchReport",
    "BatchSettings",
    "EncoderSettings",
    "Gazetteer",
    "LabelEngine",
    "ReadError",
    "label_folder",
    "load_gazetteer",
    "read_file",
]
