"""Leave-one-source-out comparison of training choices for the transformer (which config to ship).

Each variant is trained four times (one per held-out seed article) on the corpus plus the other
seed articles, predictions pooled, then scored. Runs on CPU (slow: ~25 min a variant) or on a GPU
with --device cuda. Reads the JSONL files directly so it needs only torch, transformers, sklearn.

    python benchmarks/experiments/sweep.py --device cuda [--base PATH_TO_MINILM] [--variants base,epochs6]
writes benchmarks/results/sweep.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from stancekit.classifiers import TransformerClassifier
from stancekit.data import SEEDS_DIR, TRAINING_CORPUS, read_jsonl
from stancekit.evaluate import evaluate_loso

HERE = Path(__file__).resolve().parents[1]  # benchmarks/
BASE = {"epochs": 4, "learning_rate": 5e-5, "batch_size": 16, "class_weight": "balanced", "seed": 0}
VARIANTS = {
    "base": {},
    "epochs3": {"epochs": 3},
    "epochs6": {"epochs": 6},
    "lr3e-5": {"learning_rate": 3e-5},
    "lr8e-5": {"learning_rate": 8e-5},
    "no_class_weight": {"class_weight": None},
    "batch32_lr8e-5": {"batch_size": 32, "learning_rate": 8e-5},
    "seed1": {"seed": 1},
    "seed2": {"seed": 2},
    "corpus_only": {"_no_seeds": True},
    "seeds_x4": {"_seed_repeats": 4},  # the other seed articles' claims (real news) 4 times in training
    "mean_pool": {"pooling": "mean"},  # head on the mean of token states, the encoder's own sentence pooling
    # trained on the corpus alone; each fold's temperature fitted on the other seed articles
    "seed_calibrated": {"_seed_calibration": True},
    # corpus labels after the second labeling pass (seeds/train/relabel/adjudication.jsonl)
    "relabeled": {"_relabeled": True},
    "relabeled_seed1": {"_relabeled": True, "seed": 1},
    "seed_calibrated_seed1": {"_seed_calibration": True, "seed": 1},
    "relabeled_seed_calibrated": {"_relabeled": True, "_seed_calibration": True},
    "relabeled_seed_calibrated_seed1": {"_relabeled": True, "_seed_calibration": True, "seed": 1},
}
ADJUDICATION = Path(__file__).resolve().parents[1] / "seeds" / "train" / "relabel" / "adjudication.jsonl"


def columns(records: list[dict], keys: tuple[str, ...]) -> dict:
    data = {k: [r[k] for r in records] for k in keys}
    data["column_names"] = list(keys)
    return _Columns(data)


class _Columns(dict):
    """Just enough of a datasets.Dataset for evaluate_loso: column access and column_names."""

    @property
    def column_names(self):
        return self["column_names"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--base", default=None, help="folder of the base encoder (default: the packaged one)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", default=str(HERE / "results" / "sweep.json"))
    args = parser.parse_args()
    seeds = columns([r for r in read_jsonl(SEEDS_DIR / "labels.jsonl") if r["is_claim"]], ("doc_id", "text", "stance"))
    corpus_records = read_jsonl(TRAINING_CORPUS)
    results = {}
    for name in args.variants.split(","):
        params = {**BASE, **VARIANTS[name]}
        no_seeds = params.pop("_no_seeds", False)
        repeats = params.pop("_seed_repeats", 1)
        seed_calibration = params.pop("_seed_calibration", False)
        if seed_calibration:  # the other seed articles set the temperature: no corpus claims held out for it
            params["calibration_fraction"] = 0.0
        relabeled = params.pop("_relabeled", False)
        corpus = columns(_adjudicated(corpus_records) if relabeled else corpus_records, ("text", "stance"))
        started = time.time()

        def make():
            model = TransformerClassifier(base=args.base, device=args.device, backend="fp32", progress=False, **params)
            return _SeedsRepeated(model, len(corpus["text"]), repeats) if repeats > 1 else model

        evaluation = _loso_without_seeds(make, seeds, corpus) if no_seeds else \
            evaluate_loso(make, seeds=seeds, training=corpus, name=name, n_boot=200,
                          calibrate_on_seeds=seed_calibration)
        results[name] = {"params": VARIANTS[name], "seconds": round(time.time() - started, 1),
                         **{k: round(v, 4) for k, v in evaluation.metrics.items()}}
        print(name, {k: results[name][k] for k in ("macro_f1", "f_avg", "accuracy", "ece", "seconds")}, flush=True)
        Path(args.out).parent.mkdir(exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        predictions = Path(args.out).with_name(f"{Path(args.out).stem}-{name}-predictions.jsonl")
        predictions.write_text("".join(json.dumps(p) + "\n" for p in evaluation.predictions))


class _SeedsRepeated:
    """Trains ``model`` with the seed claims (after the first ``n_corpus`` texts) repeated ``repeats`` times."""

    def __init__(self, model, n_corpus: int, repeats: int):
        self.model, self.n_corpus, self.repeats = model, n_corpus, repeats
        self.labels = model.labels

    def fit(self, texts, labels):
        texts, labels = list(texts), list(labels)
        extra = self.repeats - 1
        self.model.fit(texts + texts[self.n_corpus:] * extra, labels + labels[self.n_corpus:] * extra)
        return self

    def predict_proba(self, texts):
        return self.model.predict_proba(texts)


def _adjudicated(records: list[dict]) -> list[dict]:
    """The corpus with the second labeling pass's adjudicated labels in place of the writers'."""
    decided = {d["id"]: d["stance"] for d in read_jsonl(ADJUDICATION)}
    return [{**r, "stance": decided.get(r["id"], r["stance"])} for r in records]


def _loso_without_seeds(make, seeds, corpus):
    """Train once on the corpus alone; every seed article is then held out by construction."""
    from stancekit.evaluate import evaluate

    return evaluate(make().fit(corpus["text"], corpus["stance"]), seeds, name="corpus_only", n_boot=200)


if __name__ == "__main__":
    main()
