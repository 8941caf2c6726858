"""stancewire: label, summarise and evaluate news about armed conflicts.

The public API is re-exported here; the code lives in the subpackages ``stancewire.models``,
``stancewire.training``, ``stancewire.inference`` and ``stancewire.eval``.

Example:
    >>> import stancewire
    >>> stancewire.DEFAULT_TAXONOMY.type_names[0]
    'call_for_ceasefire'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from stancewire.inference import Analyzer, ArticleAnalysis, BatchReport, BatchSettings, label_folder
from stancewire.models.schema import Article, DataError, Paragraph, load_articles
from stancewire.models.taxonomy import DEFAULT_TAXONOMY, LabelDef, Taxonomy, load_taxonomy

try:
    __version__ = version("stancewire")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "DEFAULT_TAXONOMY",
    "Analyzer",
    "ArticleAnalysis",
    "BatchReport",
    "BatchSettings",
    "label_folder",
    "Article",
    "DataError",
    "LabelDef",
    "Paragraph",
    "Taxonomy",
    "__version__",
    "load_articles",
    "load_taxonomy",
]
