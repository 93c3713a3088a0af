"""Training recipes compared on the real-text dev set by article-level 6-fold cross-validation.

Every arm trains a fresh model per fold on its base data plus the fold's training articles (and,
for arms with counterfactuals, the edits of those articles only) and predicts the fold's held-out
articles; the pooled predictions are scored with article-resampled 95% intervals. Arms share the
folds (fold seed 0) and the training seeds, so differences between arms are paired.

    python benchmarks/experiments/recipes.py --arms baseline,polarity --seeds 0,1,2
    python benchmarks/experiments/recipes.py --curves 0:1,0.25:1,0.5:1,1:0,1:0.5   # learning curves

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

from accuracy import (DEVSET_DATA, NO_DATA, RECIPE, devset_training, evaluation_from_saved,  # noqa: E402
                      fidelity, transformer_factory, two_stage_factory, warm_copies)

from stancekit.data import load_devset  # noqa: E402
from stancekit.evaluate import article_folds, cross_validate  # noqa: E402

RESULTS = HERE.parent / "results" / "recipes.json"
PREDICTIONS = HERE.parent / "results" / "recipes"
KEYS = ("macro_f1", "favor_f1", "against_f1", "none_f1", "accuracy", "ece")

#: Arms that change the learning setup rather than the data: arm -> (data arm, recipe overrides).
SETUPS = {
    "consistency": ("polarity", {"contrast_weight": 0.5}),   # margin loss over contrast groups
    "full": ("polarity", {"train_layers": None}),             # every layer learns, in both stages
    "full_baseline": ("baseline", {"train_layers": None}),
}


#: Stage 1 = the previously shipped model (every layer fine-tuned on corpus + seeds, never on the
#: dev set; `git show e3b0a87:models/stance-minilm/...` into this folder), stage 2 as in "polarity".
PREVIOUS_MODEL = HERE.parents[1] / "build" / "previous-model"


def from_previous_model(seed: int, **overrides):
    """Each call: the previous shipped model, ready to train on (warm start) with the recipe."""
    from stancekit.classifiers import load_classifier

    stage1 = load_classifier(str(PREVIOUS_MODEL), backend="fp32")
    for key, value in {**RECIPE, "pooling": "cls", "seed": seed, "progress": False, **overrides}.items():
        setattr(stage1, key, value)
    return warm_copies(stage1)


def run_arm(arm: str, seed: int, devset) -> dict:
    if arm.startswith("previous"):
        _, augmentation = devset_training(set(), True)
        started = time.time()
        overrides = {"train_layers": None} if arm == "previous_full" else {}
        result = cross_validate(from_previous_model(seed, **overrides), devset, k=6, training=NO_DATA,
                                augmentation=augmentation, seed=0, name=f"{arm} seed {seed}")
        return summarise(result, devset, started)
    data, overrides = SETUPS.get(arm, (arm, {}))
    training, augmentation = devset_training(*DEVSET_DATA[data])
    started = time.time()
    result = cross_validate(two_stage_factory(seed, training, **overrides), devset, k=6, training=NO_DATA,
                            augmentation=augmentation, seed=0, name=f"{arm} seed {seed}")
    return summarise(result, devset, started)


def summarise(result, devset, started) -> dict:
    return {"n": result.n, "seconds": round(time.time() - started),
            **{k: round(result.metrics[k], 4) for k in KEYS},
            "ci": {k: [round(x, 4) for x in result.intervals[k]] for k in KEYS},
            "fidelity": fidelity(result.predictions, devset), "predictions": result.predictions}


def learning_curve_point(real: float, written: float, seed: int, devset) -> dict:
    """One point of the learning curves: stage 1 on a share of the written data (none: stage 2 starts
    from the base encoder), stage 2 on a share of each fold's training articles (none: stage 1 alone)."""
    import numpy as np
    from datasets import Dataset

    from stancekit.classifiers.base import to_label_order
    from stancekit.evaluate import evaluation_of
    from stancekit.schema import LABELS

    training, _ = devset_training({"corpus", "seeds"}, False)
    rng = random.Random(seed)
    training = training.select(sorted(rng.sample(range(len(training)), int(round(written * len(training))))))
    started = time.time()
    texts, gold, groups = list(devset["text"]), list(devset["stance"]), list(devset["doc_id"])
    if real == 0:  # no dev-set article in training: one model scores every article
        model = transformer_factory(seed)().fit(list(training["text"]), list(training["stance"]))
        proba = to_label_order(model.predict_proba(texts), model.labels)
        result = evaluation_of(f"written {written:.0%} only", devset, proba)
        return summarise(result, devset, started)
    make = two_stage_factory(seed, training) if len(training) else transformer_factory(seed)
    folds = article_folds(groups, 6, strata=list(devset["leaning"]), seed=0)
    proba = np.zeros((len(texts), len(LABELS)))
    fold_of = np.zeros(len(texts), dtype=int)
    for number, held_out in enumerate(folds):
        articles = sorted(set(groups) - held_out)
        chosen = set(rng.sample(articles, int(round(real * len(articles)))))
        train = [i for i, g in enumerate(groups) if g in chosen]
        model = make().fit([texts[i] for i in train], [gold[i] for i in train])
        test = [i for i, g in enumerate(groups) if g in held_out]
        proba[test] = to_label_order(model.predict_proba([texts[i] for i in test]), model.labels)
        fold_of[test] = number
    result = evaluation_of(f"real {real:.0%}, written {written:.0%}", devset, proba, folds=6, fold_of=fold_of)
    return summarise(result, devset, started)


def save(name: str, entry: dict) -> None:
    """Write one run's pooled predictions and merge its figures into the results file."""
    PREDICTIONS.mkdir(parents=True, exist_ok=True)
    predictions = entry.pop("predictions")
    (PREDICTIONS / f"{name}.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n"
                                                       for p in predictions), encoding="utf-8")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # other runs may have written
    results[name] = entry
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=2) + "\n")
    print(name, {k: entry[k] for k in ("macro_f1", "against_f1", "ece", "seconds")}, entry["fidelity"], flush=True)


def rescore(devset) -> None:
    """Recompute every run's figures from its saved predictions (keeping its recorded seconds)."""
    import numpy as np

    from stancekit.data import read_jsonl
    from stancekit.evaluate import evaluation_of
    from stancekit.schema import LABELS

    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved = {path.stem: read_jsonl(path) for path in sorted(PREDICTIONS.glob("*.jsonl"))}
    results, by_arm = {}, {}
    for name, predictions in saved.items():
        entry = summarise(evaluation_from_saved(name, devset, predictions), devset, time.time())
        entry.pop("predictions")
        entry["seconds"] = old.get(name, {}).get("seconds")
        results[name] = entry
        if "-seed" in name and not name.startswith("curve"):
            by_arm.setdefault(name.rsplit("-seed", 1)[0], []).append(predictions)
    for arm, runs in by_arm.items():
        if len(runs) > 1:  # the seeds' models as one ensemble: mean probabilities
            proba = np.mean([[[p["probs"][label] for label in LABELS] for p in run] for run in runs], axis=0)
            entry = summarise(evaluation_of(f"{arm} ensemble", devset, proba, folds=6,
                                            fold_of=[p["fold"] for p in runs[0]]), devset, time.time())
            entry.pop("predictions")
            entry["seconds"] = None
            results[f"{arm}-ensemble-of-{len(runs)}"] = entry
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def markdown(results: dict) -> str:
    """One row per run, then each arm's mean and its paired differences from the baseline arm."""
    import numpy as np

    def f(entry, key):
        return f"{entry[key]:.3f}"

    lines = ["| run | macro-F1 [95% CI] | against F1 | favor F1 | none F1 | ECE | net stance Spearman / MAE "
             "(counts; expected shares; article-level) |", "|---|---|---|---|---|---|---|"]
    for name, e in results.items():
        fid = e["fidelity"]
        lines.append(f"| {name} | {e['macro_f1']:.3f} [{e['ci']['macro_f1'][0]:.2f}, {e['ci']['macro_f1'][1]:.2f}] | "
                     f"{f(e, 'against_f1')} | {f(e, 'favor_f1')} | {f(e, 'none_f1')} | {f(e, 'ece')} | "
                     + "; ".join(f"{fid[k]['spearman']:.2f} / {fid[k]['mae']:.2f}"
                                 for k in ("claim_counts", "expected_shares", "article_level")) + " |")
    arms = sorted({n.rsplit("-seed", 1)[0] for n in results if "-seed" in n and not n.startswith("curve")})
    lines += ["", "| arm | seeds | mean macro-F1 | paired difference from baseline, per seed |", "|---|---|---|---|"]
    for arm in arms:
        seeds = sorted(int(n.rsplit("-seed", 1)[1]) for n in results if n.rsplit("-seed", 1)[0] == arm)
        values = [results[f"{arm}-seed{s}"]["macro_f1"] for s in seeds]
        diffs = [results[f"{arm}-seed{s}"]["macro_f1"] - results[f"baseline-seed{s}"]["macro_f1"]
                 for s in seeds if f"baseline-seed{s}" in results]
        lines.append(f"| {arm} | {', '.join(map(str, seeds))} | {np.mean(values):.3f} | "
                     + ", ".join(f"{d:+.3f}" for d in diffs) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default="")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--curves", default="", help="points as real:written shares, e.g. 0:1,0.25:1,0.5:1,1:0")
    parser.add_argument("--rescore", action="store_true", help="rebuild the results file from saved predictions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    devset = load_devset()
    if args.rescore:
        rescore(devset)
        return print(markdown(json.loads(RESULTS.read_text())))
    print("recipe:", RECIPE, flush=True)
    for seed in map(int, args.seeds.split(",")):
        for arm in filter(None, args.arms.split(",")):
            save(f"{arm}-seed{seed}", run_arm(arm, seed, devset))
        for point in filter(None, args.curves.split(",")):
            real, written = map(float, point.split(":"))
            save(f"curve-real{real:g}-written{written:g}-seed{seed}",
                 learning_curve_point(real, written, seed, devset))


if __name__ == "__main__":
    main()
