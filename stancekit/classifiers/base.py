"""The classifier protocol: anything with ``labels`` and ``predict_proba(texts)`` is a stance classifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ..schema import LABELS


@runtime_checkable
class StanceClassifier(Protocol):
    """``labels`` fixes the column order of ``predict_proba``'s (n, len(labels)) array."""

    labels: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


class ClassifierMixin:
    """``predict`` and label bookkeeping for classifiers that implement ``predict_proba``."""

    labels: tuple[str, ...] = LABELS

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        proba = self.predict_proba(list(texts))
        return [self.labels[i] for i in np.argmax(proba, axis=1)]


def predict_labels(classifier: StanceClassifier, texts: Sequence[str]) -> list[str]:
    """``predict`` for any protocol object, including ones that only define ``predict_proba``."""
    proba = np.asarray(classifier.predict_proba(list(texts)))
    return [classifier.labels[i] for i in np.argmax(proba, axis=1)]


def check_classifier(obj) -> StanceClassifier:
    """Raise a clear TypeError unless ``obj`` follows the protocol with labels favor/against/none."""
    if not hasattr(obj, "predict_proba") or not hasattr(obj, "labels"):
        raise TypeError(f"{type(obj).__name__} is not a stance classifier: it needs `labels` and "
                        "`predict_proba(texts) -> array (n, 3)`")
    if set(obj.labels) != set(LABELS):
        raise TypeError(f"classifier labels must be {LABELS}, got {tuple(obj.labels)}")
    return obj


def to_label_order(proba: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Reorder probability columns from ``labels`` order to stancekit's LABELS order."""
    index = [list(labels).index(label) for label in LABELS]
    return np.asarray(proba)[:, index]
