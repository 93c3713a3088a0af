"""A tiny deterministic keyword classifier that follows the stancekit protocol (for CLI tests).

``--model tests.fake_classifier:KeywordClassifier`` runs the whole CLI without the real model;
``SlowClassifier`` sleeps a little per call so a test can kill a run midway; ``DiesOnceClassifier``
kills the process it runs in, once, to stand for a cluster worker that dies.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import numpy as np

FAVOR_WORDS = ("honor", "cooperate", "support", "detainer", "should")
AGAINST_WORDS = ("refuse", "sanctuary", "end", "oppose", "protect")


class KeywordClassifier:
    """Scores each text by counting favor and against keywords; no keywords leans to "none"."""

    labels = ("favor", "against", "none")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            low = text.lower()
            favor = sum(low.count(w) for w in FAVOR_WORDS)
            against = sum(low.count(w) for w in AGAINST_WORDS)
            scores = np.array([favor, against, 1.0 + 0.01 * (len(text) % 7)], dtype=np.float64)
            e = np.exp(scores - scores.max())
            rows.append(e / e.sum())
        return np.array(rows, dtype=np.float64).reshape(len(rows), 3)


class SlowClassifier(KeywordClassifier):
    """KeywordClassifier that sleeps STANCEKIT_TEST_DELAY seconds (default 0.05) per call, and appends
    the number of texts of each call to the file STANCEKIT_TEST_CALL_LOG when that is set."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(float(os.environ.get("STANCEKIT_TEST_DELAY", "0.05")))
        log = os.environ.get("STANCEKIT_TEST_CALL_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{len(texts)}\n")
        return super().predict_proba(texts)


class DiesOnceClassifier(SlowClassifier):
    """SlowClassifier whose process exits abruptly (as a killed worker would) on the call that finds
    STANCEKIT_TEST_DIE_AFTER calls in STANCEKIT_TEST_CALL_LOG, once: the file STANCEKIT_TEST_DIED records it."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        log, marker = os.environ["STANCEKIT_TEST_CALL_LOG"], os.environ["STANCEKIT_TEST_DIED"]
        calls = sum(1 for _ in open(log, encoding="utf-8")) if os.path.exists(log) else 0
        if calls >= int(os.environ["STANCEKIT_TEST_DIE_AFTER"]):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                pass
            else:
                os._exit(1)
        return super().predict_proba(texts)


class DiesClassifier(KeywordClassifier):
    """Exits its process abruptly on every call: a partition that always kills its worker."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        os._exit(1)


class FailingClassifier(KeywordClassifier):
    """A classifier with a bug: predict_proba raises."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("boom")


class WrongLabels(KeywordClassifier):
    """Breaks the protocol: labels that are not favor/against/none."""

    labels = ("yes", "no", "maybe")


NOT_A_CLASSIFIER = 42
