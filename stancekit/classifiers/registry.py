"""Find a classifier by name, model folder, file, or ``module:attr``; make fresh trainable ones by name."""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import ModelError
from .base import StanceClassifier, check_classifier

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = MODELS_DIR / "stance-minilm"
TFIDF_MODEL = MODELS_DIR / "tfidf" / "tfidf.skops"
NAMES = ("transformer", "tfidf", "similarity")


def load_classifier(name: str | None = None, *, backend: str = "auto") -> StanceClassifier:
    """The shipped fine-tuned model by default; also 'tfidf', 'similarity', a path, or 'module:attr'."""
    from .baselines import EmbeddingSimilarityClassifier, TfidfClassifier
    from .transformer import CONFIG, TransformerClassifier

    if name in (None, "default", "transformer"):
        return TransformerClassifier.load(DEFAULT_MODEL, backend=backend)
    if name == "tfidf":
        return TfidfClassifier.load(TFIDF_MODEL)
    if name == "similarity":
        return EmbeddingSimilarityClassifier().fit()
    path = Path(name)
    if path.is_dir():
        if not (path / CONFIG).exists():
            raise ModelError(f"{path}: not a stancekit model folder (no {CONFIG})")
        return TransformerClassifier.load(path, backend=backend)
    if path.suffix == ".skops":
        return TfidfClassifier.load(path)
    if ":" in name and not path.exists():
        return _import_classifier(name)
    raise ModelError(f"unknown model {name!r}: use {', '.join(NAMES)}, a model folder, a .skops file, "
                     "or module:attr")


def make_trainable(name: str, **params):
    """A fresh, unfitted classifier for retraining (leave-one-source-out): transformer, tfidf, similarity, majority."""
    from .baselines import EmbeddingSimilarityClassifier, MajorityClassifier, TfidfClassifier
    from .transformer import TransformerClassifier

    factories = {"transformer": TransformerClassifier, "tfidf": TfidfClassifier,
                 "similarity": EmbeddingSimilarityClassifier, "majority": MajorityClassifier}
    if name not in factories:
        raise ModelError(f"unknown trainable classifier {name!r}: use {', '.join(factories)}")
    return factories[name](**params)


def _import_classifier(spec: str) -> StanceClassifier:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ModelError(f"{spec!r}: expected module:attr, e.g. mypackage.models:MyClassifier")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        raise ModelError(f"cannot import classifier module {module_name!r}: {exc}") from None
    except AttributeError:
        raise ModelError(f"module {module_name!r} has no attribute {attr!r}") from None
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "predict_proba")):
        obj = obj()  # a class or factory: build the classifier
    try:
        return check_classifier(obj)
    except TypeError as exc:
        raise ModelError(f"{spec}: {exc}") from None
