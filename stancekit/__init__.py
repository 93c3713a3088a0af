"""stancekit: compare viewpoints across news sources, claim by claim.

Data flows article -> segments -> claims with stance -> per-source aggregates -> comparison/report.
"""

import os as _os

# stancekit never downloads: every model loads from files on disk. huggingface_hub reads these once,
# at import, so they are set before anything imports it.
_os.environ.setdefault("HF_HUB_OFFLINE", "1")
_os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from .classifiers import load_classifier
from .runs.dask import compare_on_dask
from .errors import InputError, ModelError, StancekitError
from .evaluate import evaluate
from .io import iter_articles, load_articles
from .pipeline import Analysis, analyze
from .schema import LABELS, TARGET, Article, Segment
from .segment import segment

__all__ = [
    "LABELS", "TARGET", "Article", "Segment", "Analysis", "InputError", "ModelError", "StancekitError",
    "analyze", "compare_on_dask", "evaluate", "iter_articles", "load_articles", "load_classifier", "segment",
]
__version__ = "0.1.0"
