"""Stance classifiers behind one protocol: ``labels`` and ``predict_proba(texts) -> (n, 3) array``."""

from .base import ClassifierMixin, StanceClassifier, check_classifier, predict_labels
from .baselines import EmbeddingSimilarityClassifier, MajorityClassifier, TfidfClassifier
from .registry import load_classifier, make_trainable
from .transformer import TransformerClassifier

__all__ = [
    "ClassifierMixin", "StanceClassifier", "check_classifier", "predict_labels", "load_classifier",
    "make_trainable", "TransformerClassifier", "TfidfClassifier", "MajorityClassifier",
    "EmbeddingSimilarityClassifier",
]
