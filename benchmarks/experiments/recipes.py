"""Training recipes compared on the real-text dev set by article-level 6-fold cross-validation.

Every arm trains a fresh model per fold on its base data plus the fold's training articles (and,
for arms with counterfactuals, the edits of those articles only) and predicts the fold's held-out
articles; the pooled predictions are scored with article-resampled 95% intervals. Arms share the
folds (fold seed 0) and the training seeds, so differences between arms are paired.

    python benchmarks/experiments/recipes.py --arms baseline,polarity --seeds 0,1,2
    python benchmarks/experiments/recipes.py --curves          # learning curves, training seed 0

Writes benchmarks/results/recipes.json and the pooled predictions under benchmarks/results/recipes/.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from accuracy import (DEVSET_DATA, NO_DATA, RECIPE, devset_training, fidelity, transformer_factory,  # noqa: E402
                      two_stage_factory)

from stancekit.data import load_devset  # noqa: E402
from stancekit.evaluate import article_folds, cross_validate, fold_training  # noqa: E402

RESULTS = HERE.parent / "results" / "recipes.json"
PREDICTIONS = HERE.parent / "results" / "recipes"
KEYS = ("macro_f1", "favor_f1", "against_f1", "none_f1", "accuracy", "ece")

def run_arm(arm: str, seed: int, devset) -> dict:
    written, counterfactuals = DEVSET_DATA[arm]
    training, augmentation = devset_training(written, counterfactuals)
    started = time.time()
    result = cross_validate(two_stage_factory(seed, training), devset, k=6, training=NO_DATA,
                            augmentation=augmentation, seed=0, name=f"{arm} seed {seed}")
    return summarise(result, devset, started)


def summarise(result, devset, started) -> dict:
    return {"n": result.n, "seconds": round(time.time() - started),
            **{k: round(result.metrics[k], 4) for k in KEYS},
            "ci": {k: [round(x, 4) for x in result.intervals[k]] for k in KEYS},
            "fidelity": fidelity(result.predictions, devset), "predictions": result.predictions}


def learning_curve_point(real: float, written: float, seed: int, devset) -> dict:
    """One point: a share of each fold's training articles and a share of the written corpus."""
    training, _ = devset_training({"corpus", "seeds"}, False)
    rng = random.Random(seed)
    keep = sorted(rng.sample(range(len(training)), int(round(written * len(training)))))
    training = training.select(keep)
    groups = list(devset["doc_id"])
    folds = article_folds(groups, 6, strata=list(devset["leaning"]), seed=0)
    started = time.time()
    # subsampling the training articles is a fold-level choice, so this point runs its own loop
    import numpy as np

    from stancekit.classifiers.base import to_label_order
    from stancekit.evaluate import evaluation_of
    from stancekit.schema import LABELS

    texts, gold = list(devset["text"]), list(devset["stance"])
    proba = np.zeros((len(texts), len(LABELS)))
    for held_out in folds:
        articles = sorted(set(groups) - held_out)
        chosen = set(rng.sample(articles, int(round(real * len(articles)))))
        train = [i for i, g in enumerate(groups) if g in chosen]
        train_texts, train_labels = fold_training(training, None, held_out, set(groups),
                                                  [texts[i] for i in train], [gold[i] for i in train])
        model = transformer_factory(seed)().fit(train_texts, train_labels)
        test = [i for i, g in enumerate(groups) if g in held_out]
        proba[test] = to_label_order(model.predict_proba([texts[i] for i in test]), model.labels)
    result = evaluation_of(f"real {real:.0%}, written {written:.0%}", devset, proba, n_boot=1000, seed=0, folds=6)
    return summarise(result, devset, started)


def save(results: dict, name: str, entry: dict) -> None:
    PREDICTIONS.mkdir(parents=True, exist_ok=True)
    predictions = entry.pop("predictions")
    (PREDICTIONS / f"{name}.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n"
                                                       for p in predictions), encoding="utf-8")
    results[name] = entry
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(name, {k: entry[k] for k in ("macro_f1", "against_f1", "ece", "seconds")}, entry["fidelity"], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default="")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--curves", default="", help="points as real:written shares, e.g. 0.25:1,0.5:1,1:0")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    devset = load_devset()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    print("recipe:", RECIPE, flush=True)
    for seed in map(int, args.seeds.split(",")):
        for arm in filter(None, args.arms.split(",")):
            save(results, f"{arm}-seed{seed}", run_arm(arm, seed, devset))
        for point in filter(None, args.curves.split(",")):
            real, written = map(float, point.split(":"))
            save(results, f"curve-real{real:g}-written{written:g}-seed{seed}",
                 learning_curve_point(real, written, seed, devset))


if __name__ == "__main__":
    main()
