"""Score any classifier against gold labels: a fixed model, or article-level cross-validation.

Metrics: macro-F1, F_avg (mean F1 of favor and against, the SemEval-2016 measure), per-class
precision/recall/F1, accuracy, confusion matrix and ECE, each with a bootstrap 95% interval. The
bootstrap resamples whole articles when the data has enough of them (claims of one article are not
independent), claims otherwise; every Evaluation says which.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .classifiers.base import StanceClassifier, check_classifier, to_label_order
from .classifiers.calibration import expected_calibration_error
from .outputs import rounded_probs
from .schema import LABELS

log = logging.getLogger(__name__)

#: Fewest articles for which the bootstrap resamples articles rather than claims.
MIN_ARTICLES_TO_RESAMPLE = 10


@dataclass
class Evaluation:
    """Point metrics, their bootstrap intervals, the confusion matrix and the pooled predictions."""

    name: str
    n: int
    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    confusion: list[list[int]]
    predictions: list[dict] = field(default_factory=list, repr=False)
    resampled: str = "claims"
    n_articles: int | None = None
    folds: int | None = None

    @property
    def interval_note(self) -> str:
        """How the 95% intervals were obtained, in words."""
        if self.resampled == "articles":
            return f"95% intervals: bootstrap over the {self.n_articles} articles (each article's claims together)"
        return "95% intervals: bootstrap over claims"

    @property
    def title(self) -> str:
        cv = f", {self.folds}-fold article cross-validation, predictions pooled" if self.folds else ""
        articles = f" in {self.n_articles} articles" if self.n_articles else ""
        return f"{self.name}: n = {self.n} claims{articles}{cv}"

    def to_dict(self) -> dict:
        return {"name": self.name, "n": self.n, "n_articles": self.n_articles, "folds": self.folds,
                "resampled": self.resampled, "metrics": self.metrics,
                "intervals": {k: list(v) for k, v in self.intervals.items()}, "confusion": self.confusion,
                "labels": list(LABELS)}

    def to_markdown(self) -> str:
        rows = [f"| {k} | {v:.3f} | [{self.intervals[k][0]:.3f}, {self.intervals[k][1]:.3f}] |"
                for k, v in self.metrics.items()]
        confusion = "\n".join(f"| {gold} | " + " | ".join(str(c) for c in row) + " |"
                              for gold, row in zip(LABELS, self.confusion))
        return (f"**{self.title}**\n\n{self.interval_note}.\n\n| metric | value | 95% CI |\n|---|---|---|\n"
                + "\n".join(rows) + "\n\n| gold \\ predicted | " + " | ".join(LABELS) + " |\n|---|---|---|---|\n"
                + confusion + "\n")

    def write_predictions(self, path) -> None:
        """The pooled predictions as JSON Lines (doc_id, seg_id, text, gold, pred, probs, fold)."""
        from .outputs import write_text_atomic

        write_text_atomic(path, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in self.predictions))


def score(y_true: Sequence[str], proba: np.ndarray) -> dict[str, float]:
    """All point metrics for gold labels and a probability array in LABELS order."""
    y = np.array([LABELS.index(label) for label in y_true], dtype=int)
    return _score_indices(y, np.asarray(proba))


def _score_indices(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """``score`` for gold label indices; from one confusion matrix, fast enough to bootstrap."""
    k = len(LABELS)
    pred = proba.argmax(axis=1)
    confusion = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(float)
    tp = np.diag(confusion)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.nan_to_num(tp / confusion.sum(axis=0))
        r = np.nan_to_num(tp / confusion.sum(axis=1))
        f = np.nan_to_num(2 * p * r / (p + r))
    present = confusion.sum(axis=1) > 0
    out = {"macro_f1": float(f[present].mean()) if present.any() else 0.0, "f_avg": float((f[0] + f[1]) / 2),
           "accuracy": float(tp.sum() / max(len(y), 1)), "ece": expected_calibration_error(proba, y)}
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
    return evaluation_of(name or type(classifier).__name__, data, proba, n_boot=n_boot, seed=seed)


def cross_validate(make_classifier: Callable[[], object], data, *, k: int = 6, training=None,
                   augmentation=None, stratify: str | None = "leaning", seed: int = 0,
                   name: str = "classifier", n_boot: int = 1000,
                   calibrate_only: bool = False) -> Evaluation:
    """Article-level K-fold cross-validation: each fold trains a fresh classifier on ``training``
    (default: the written corpus) plus the other folds' articles and predicts its own articles;
    the predictions are pooled, then scored.

    ``data`` needs text, stance and doc_id. Folds are stratified by ``stratify`` (an article-level
    column such as the devset's leaning) where ``data`` has it, and fixed by ``seed``; ``k`` at least
    the number of articles is leave-one-article-out. ``augmentation`` (text, stance, doc_id) rows
    join a fold's training data only when their doc_id is one of its training articles. With
    ``calibrate_only`` the classifier is trained once on ``training`` and each fold only refits its
    temperature (``calibrate``) on the other folds' articles.
    """
    from .data import load_training

    training = load_training() if training is None else training
    texts, gold, groups = list(data["text"]), list(data["stance"]), list(data["doc_id"])
    strata = list(data[stratify]) if stratify and stratify in data.column_names else None
    folds = article_folds(groups, k, strata=strata, seed=seed)
    proba = np.zeros((len(texts), len(LABELS)))
    fold_of = np.zeros(len(texts), dtype=int)
    base_model = _fit_once(make_classifier, training) if calibrate_only else None
    for number, held_out in enumerate(folds):
        test = [i for i, g in enumerate(groups) if g in held_out]
        train = [i for i, g in enumerate(groups) if g not in held_out]
        if base_model is not None:
            classifier = base_model.calibrate([texts[i] for i in train], [gold[i] for i in train])
        else:
            train_texts, train_labels = fold_training(training, augmentation, held_out, set(groups),
                                                      [texts[i] for i in train], [gold[i] for i in train])
            log.info("fold %d/%d: train %d, test %d", number + 1, len(folds), len(train_texts), len(test))
            classifier = make_classifier().fit(train_texts, train_labels)
        proba[test] = to_label_order(classifier.predict_proba([texts[i] for i in test]), classifier.labels)
        fold_of[test] = number
    return evaluation_of(name, data, proba, n_boot=n_boot, seed=seed, folds=len(folds), fold_of=fold_of)


def evaluate_loso(make_classifier: Callable[[], object], *, seeds=None, training=None,
                  name: str = "classifier", n_boot: int = 1000, seed: int = 0,
                  calibrate_on_seeds: bool = False) -> Evaluation:
    """Leave-one-source-out on the seed articles: ``cross_validate`` with one fold per article."""
    from .data import load_seeds

    seeds = load_seeds() if seeds is None else seeds
    return cross_validate(make_classifier, seeds, k=len(set(seeds["doc_id"])), training=training, seed=seed,
                          name=name, n_boot=n_boot, calibrate_only=calibrate_on_seeds)


def article_folds(groups: Sequence[str], k: int, *, strata: Sequence | None = None,
                  seed: int = 0) -> list[set[str]]:
    """The held-out articles of each fold: K folds of whole articles, stratified by an article-level
    label where one is given; one article per fold when ``k`` is at least the number of articles."""
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    articles = sorted(set(groups))
    if k < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {k}")
    if k >= len(articles):
        return [{a} for a in articles]
    first = {g: i for i, g in reversed(list(enumerate(groups)))}  # one row per article
    rows = [first[a] for a in articles]
    if strata is not None and len({strata[i] for i in rows}) > 1:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = splitter.split(rows, [str(strata[i]) for i in rows], articles)
    else:
        splits = GroupKFold(n_splits=k, shuffle=True, random_state=seed).split(rows, groups=articles)
    return [{articles[i] for i in test} for _, test in splits]


def fold_training(training, augmentation, held_out: set[str], all_articles: set[str],
                  texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """One fold's training data: the base training set, the fold's training articles, and the
    augmentation rows derived from those articles (never from a held-out one)."""
    train_texts = list(training["text"]) + texts
    train_labels = list(training["stance"]) + labels
    if augmentation is not None:
        keep = [i for i, d in enumerate(augmentation["doc_id"]) if d in all_articles and d not in held_out]
        aug_texts, aug_labels = augmentation["text"], augmentation["stance"]
        train_texts += [aug_texts[i] for i in keep]
        train_labels += [aug_labels[i] for i in keep]
    return train_texts, train_labels


def _fit_once(make_classifier, training):
    model = make_classifier()
    if not callable(getattr(model, "calibrate", None)):
        raise TypeError(f"calibrate_only needs a classifier with calibrate(texts, labels); "
                        f"{type(model).__name__} has none")
    return model.fit(list(training["text"]), list(training["stance"]))


def evaluation_of(name: str, data, proba: np.ndarray, *, n_boot: int = 1000, seed: int = 0,
                  folds: int | None = None, fold_of=None) -> Evaluation:
    """An Evaluation of probabilities (LABELS order) already predicted for ``data``'s claims."""
    from sklearn.metrics import confusion_matrix

    columns = data.column_names if hasattr(data, "column_names") else list(data)
    texts, gold = list(data["text"]), list(data["stance"])
    ids = list(data["doc_id"]) if "doc_id" in columns else [None] * len(texts)
    seg_ids = list(data["seg_id"]) if "seg_id" in columns else [None] * len(texts)
    n_articles = len(set(ids)) if "doc_id" in columns else None
    by_article = n_articles is not None and n_articles >= MIN_ARTICLES_TO_RESAMPLE
    intervals = bootstrap_intervals(gold, proba, groups=ids if by_article else None, n_boot=n_boot, seed=seed)
    y = [LABELS.index(label) for label in gold]
    confusion = confusion_matrix(y, np.asarray(proba).argmax(axis=1), labels=range(len(LABELS))).tolist()
    predictions = [{"doc_id": d, "seg_id": s, "text": t, "gold": g, "pred": LABELS[int(np.argmax(p))],
                    "probs": rounded_probs(p)}
                   for d, s, t, g, p in zip(ids, seg_ids, texts, gold, proba)]
    if fold_of is not None:
        for record, number in zip(predictions, fold_of):
            record["fold"] = int(number)
    return Evaluation(name, len(texts), score(gold, proba), intervals, confusion, predictions,
                      resampled="articles" if by_article else "claims", n_articles=n_articles, folds=folds)


def bootstrap_intervals(gold: Sequence[str], proba: np.ndarray, *, groups: Sequence | None = None,
                        n_boot: int = 1000, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile 95% intervals of every metric, resampling claims, or whole groups (articles) of
    claims when ``groups`` is given."""
    rng = np.random.default_rng(seed)
    gold = np.array([LABELS.index(label) for label in gold], dtype=int)
    proba = np.asarray(proba)
    units = None
    if groups is not None:
        groups = np.asarray(groups, dtype=object)
        units = [np.flatnonzero(groups == g) for g in dict.fromkeys(groups.tolist())]
    samples: dict[str, list[float]] = {}
    for _ in range(n_boot):
        if units is None:
            idx = rng.integers(0, len(gold), len(gold))
        else:
            idx = np.concatenate([units[u] for u in rng.integers(0, len(units), len(units))])
        for key, value in _score_indices(gold[idx], proba[idx]).items():
            samples.setdefault(key, []).append(value)
    return {k: (float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))) for k, v in samples.items()}


def write_evaluation(evaluation: Evaluation, json_path=None, markdown_path=None) -> None:
    """Save an evaluation as JSON and/or markdown (atomically)."""
    from .outputs import write_text_atomic

    if json_path:
        write_text_atomic(json_path, json.dumps(evaluation.to_dict(), indent=2) + "\n")
    if markdown_path:
        write_text_atomic(markdown_path, evaluation.to_markdown())
