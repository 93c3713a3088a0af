"""Score any classifier against gold labels: a fixed model, or leave-one-source-out retraining.

Metrics: macro-F1, F_avg (mean F1 of favor and against, the SemEval-2016 measure), per-class
precision/recall/F1, accuracy, confusion matrix and ECE, each with a bootstrap 95% interval.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .classifiers.base import StanceClassifier, check_classifier, to_label_order
from .classifiers.calibration import expected_calibration_error
from .schema import LABELS

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """Point metrics, their bootstrap intervals, the confusion matrix and the pooled predictions."""

    name: str
    n: int
    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    confusion: list[list[int]]
    predictions: list[dict] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {"name": self.name, "n": self.n, "metrics": self.metrics,
                "intervals": {k: list(v) for k, v in self.intervals.items()}, "confusion": self.confusion,
                "labels": list(LABELS)}

    def to_markdown(self) -> str:
        rows = [f"| {k} | {v:.3f} | [{self.intervals[k][0]:.3f}, {self.intervals[k][1]:.3f}] |"
                for k, v in self.metrics.items()]
        confusion = "\n".join(f"| {gold} | " + " | ".join(str(c) for c in row) + " |"
                              for gold, row in zip(LABELS, self.confusion))
        return (f"**{self.name}** (n = {self.n})\n\n| metric | value | 95% CI |\n|---|---|---|\n"
                + "\n".join(rows) + "\n\n| gold \\ predicted | " + " | ".join(LABELS) + " |\n|---|---|---|---|\n"
                + confusion + "\n")


def score(y_true: Sequence[str], proba: np.ndarray) -> dict[str, float]:
    """All point metrics for gold labels and a probability array in LABELS order."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    y = np.array([LABELS.index(label) for label in y_true])
    pred = np.asarray(proba).argmax(axis=1)
    p, r, f, _ = precision_recall_fscore_support(y, pred, labels=range(len(LABELS)), zero_division=0)
    present = sorted(set(y.tolist()))
    out = {"macro_f1": float(np.mean(f[present])), "f_avg": float((f[0] + f[1]) / 2),
           "accuracy": float(accuracy_score(y, pred)), "ece": expected_calibration_error(proba, y)}
    for i, label in enumerate(LABELS):
        out.update({f"{label}_precision": float(p[i]), f"{label}_recall": float(r[i]), f"{label}_f1": float(f[i])})
    return out


def evaluate(classifier: StanceClassifier, data=None, *, name: str | None = None, n_boot: int = 1000,
             seed: int = 0) -> Evaluation:
    """Score a fitted classifier on gold data (default: the seed claims); ``data`` has text and stance."""
    from .data import load_seeds

    check_classifier(classifier)
    data = load_seeds() if data is None else data
    texts, gold = list(data["text"]), list(data["stance"])
    proba = to_label_order(classifier.predict_proba(texts), classifier.labels)
    ids = list(data["doc_id"]) if "doc_id" in data.column_names else [None] * len(texts)
    return _evaluation(name or type(classifier).__name__, texts, gold, proba, ids, n_boot, seed)


def evaluate_loso(make_classifier: Callable[[], object], *, seeds=None, training=None,
                  name: str = "classifier", group: str = "doc_id", n_boot: int = 1000,
                  seed: int = 0, calibrate_on_seeds: bool = False) -> Evaluation:
    """Leave-one-source-out: for each seed article, train on the corpus plus the other seed
    articles and predict the held-out one; predictions are pooled over the folds, then scored.

    With ``calibrate_on_seeds`` the model is trained once on the corpus alone, and in each fold the
    other seed articles refit its temperature (``classifier.calibrate``) instead of training it.
    """
    from .data import load_seeds, load_training

    seeds = load_seeds() if seeds is None else seeds
    training = load_training() if training is None else training
    groups = list(seeds[group])
    texts, gold = list(seeds["text"]), list(seeds["stance"])
    proba = np.zeros((len(texts), len(LABELS)))
    corpus_model = None
    if calibrate_on_seeds:
        corpus_model = make_classifier()
        if not callable(getattr(corpus_model, "calibrate", None)):
            raise TypeError(f"calibrate_on_seeds needs a classifier with calibrate(texts, labels); "
                            f"{type(corpus_model).__name__} has none")
        corpus_model.fit(list(training["text"]), list(training["stance"]))
    for held_out in sorted(set(groups)):
        test = [i for i, g in enumerate(groups) if g == held_out]
        train = [i for i, g in enumerate(groups) if g != held_out]
        if corpus_model is not None:
            classifier = corpus_model.calibrate([texts[i] for i in train], [gold[i] for i in train])
        else:
            train_texts = list(training["text"]) + [texts[i] for i in train]
            train_labels = list(training["stance"]) + [gold[i] for i in train]
            log.info("fold %s: train %d, test %d", held_out, len(train_texts), len(test))
            classifier = make_classifier().fit(train_texts, train_labels)
        proba[test] = to_label_order(classifier.predict_proba([texts[i] for i in test]), classifier.labels)
    return _evaluation(name, texts, gold, proba, groups, n_boot, seed)


def _evaluation(name, texts, gold, proba, ids, n_boot, seed) -> Evaluation:
    from sklearn.metrics import confusion_matrix

    metrics = score(gold, proba)
    intervals = bootstrap_intervals(gold, proba, n_boot=n_boot, seed=seed)
    y = [LABELS.index(label) for label in gold]
    confusion = confusion_matrix(y, np.asarray(proba).argmax(axis=1), labels=range(len(LABELS))).tolist()
    predictions = [{"doc_id": d, "text": t, "gold": g, "pred": LABELS[int(np.argmax(p))],
                    "probs": {label: round(float(x), 4) for label, x in zip(LABELS, p)}}
                   for d, t, g, p in zip(ids, texts, gold, proba)]
    return Evaluation(name, len(texts), metrics, intervals, confusion, predictions)


def bootstrap_intervals(gold: Sequence[str], proba: np.ndarray, *, n_boot: int = 1000,
                        seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile 95% intervals of every metric, resampling claims with replacement."""
    rng = np.random.default_rng(seed)
    gold, proba = np.asarray(gold), np.asarray(proba)
    samples: dict[str, list[float]] = {}
    for _ in range(n_boot):
        idx = rng.integers(0, len(gold), len(gold))
        for key, value in score(gold[idx], proba[idx]).items():
            samples.setdefault(key, []).append(value)
    return {k: (float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))) for k, v in samples.items()}


def write_evaluation(evaluation: Evaluation, json_path=None, markdown_path=None) -> None:
    """Save an evaluation as JSON and/or markdown (atomically)."""
    from .outputs import write_text_atomic

    if json_path:
        write_text_atomic(json_path, json.dumps(evaluation.to_dict(), indent=2) + "\n")
    if markdown_path:
        write_text_atomic(markdown_path, evaluation.to_markdown())
