"""Training recipes compared on the real-text dev set by article-level 6-fold cross-validation.

Every arm trains a fresh model per fold on its base data plus the fold's training articles (and,
for arms with counterfactuals, the edits of those articles only) and predicts the fold's held-out
articles; the pooled predictions are scored with article-resampled 95% intervals. Arms share the
folds (fold seed 0) and the training seeds, so differences between arms are paired.

    python benchmarks/experiments/recipes.py --arms baseline,polarity --seeds 0,1,2
    python benchmarks/experiments/recipes.py --curves 0:1,0.25:1,0.5:1,1:0,1:0.5   # learning curves
    python benchmarks/experiments/recipes.py --arms pair_public,pair --seeds 0,1,2  # text-pair input

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

from accuracy import (DEVSET_DATA, NO_DATA, RECIPE, SHARED, devset_training, evaluation_from_saved,  # noqa: E402
                      fidelity, transformer_factory, two_stage_factory, warm_copies)

from stancekit.data import load_devset, read_jsonl  # noqa: E402
from stancekit.evaluate import article_folds, cross_validate  # noqa: E402
from stancekit.schema import TARGET  # noqa: E402

RESULTS = HERE.parent / "results" / "recipes.json"
PREDICTIONS = HERE.parent / "results" / "recipes"
KEYS = ("macro_f1", "favor_f1", "against_f1", "none_f1", "accuracy", "ece")
#: The shipped recipe's arm: every other run's macro-F1 is also given as a paired difference from it.
REFERENCE = "polarity"

#: Arms that change the learning setup rather than the data: arm -> (data arm, recipe overrides).
SETUPS = {
    "consistency": ("polarity", {"contrast_weight": 0.5}),   # margin loss over contrast groups
    # every layer learns, in both stages, at the previous shipped model's learning rate (3e-4 is for
    # the top layer alone and too high for the whole encoder)
    "full": ("polarity", {"train_layers": None, "learning_rate": 5e-5}),
    "full_baseline": ("baseline", {"train_layers": None, "learning_rate": 5e-5}),
}

#: Text-pair arms (each claim read with the proposition, `TARGET`, after it): arm -> whether a
#: stage 0 on the public stance datasets (each record paired with its own target) comes first.
PAIR_ARMS = {"pair": False, "pair_public": True}
#: Train splits used for stage 0; procon-ice is evaluation-only and never trains.
PUBLIC = ("perspectrum", "ibm_claim_stance", "procon20", "gwsd")
PUBLIC_SIZE = 8000


def public_pairs(size: int = PUBLIC_SIZE) -> tuple[list[tuple[str, str]], list[str]]:
    """The public train splits as (text, target) pairs with their stance: duplicates and pairs with
    conflicting labels dropped, then a fixed random sample of ``size`` (the same for every seed)."""
    labels: dict[tuple[str, str], set] = {}
    for name in PUBLIC:
        for record in read_jsonl(SHARED / name / "train.jsonl"):
            labels.setdefault((record["text"].strip(), record["target"].strip()), set()).add(record["stance"])
    pairs = sorted(pair for pair, stances in labels.items() if len(stances) == 1)
    pairs = sorted(random.Random(0).sample(pairs, min(size, len(pairs))))
    return pairs, [next(iter(labels[pair])) for pair in pairs]


def pair_factory(seed: int, written_data, public: bool):
    """As two_stage_factory with every claim paired with the proposition, after an optional stage 0
    on the public pairs; stages 0 and 1 train once per seed, each fold warm-starts from them."""
    model = transformer_factory(seed, pair_with=TARGET)()
    if public:
        model.fit(*public_pairs())
        model.warm_start = True
    groups = list(written_data["group"]) if "group" in written_data.column_names else None
    model.fit(list(written_data["text"]), list(written_data["stance"]), groups=groups)
    return warm_copies(model)


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
    data, overrides = SETUPS.get(arm, ("polarity" if arm in PAIR_ARMS else arm, {}))
    training, augmentation = devset_training(*DEVSET_DATA[data])
    started = time.time()
    make = (pair_factory(seed, training, PAIR_ARMS[arm]) if arm in PAIR_ARMS
            else two_stage_factory(seed, training, **overrides))
    result = cross_validate(make, devset, k=6, training=NO_DATA,
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


def paired_difference(predictions: list[dict], reference: list[dict], n_boot: int = 1000) -> dict:
    """Macro-F1 of a run minus the reference run's on the same claims, with a 95% interval that
    resamples articles and scores both runs on each resample (paired)."""
    import numpy as np

    from stancekit.evaluate import score
    from stancekit.schema import LABELS

    assert [(p["doc_id"], p["seg_id"]) for p in predictions] == [(p["doc_id"], p["seg_id"]) for p in reference]
    gold = np.array([p["gold"] for p in predictions])
    a, b = ([[p["probs"][label] for label in LABELS] for p in run] for run in (predictions, reference))
    a, b = np.array(a), np.array(b)
    docs = np.array([p["doc_id"] for p in predictions], dtype=object)
    units = [np.flatnonzero(docs == d) for d in dict.fromkeys(docs.tolist())]
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(n_boot):
        idx = np.concatenate([units[u] for u in rng.integers(0, len(units), len(units))])
        diffs.append(score(gold[idx], a[idx])["macro_f1"] - score(gold[idx], b[idx])["macro_f1"])
    return {"macro_f1": round(score(gold, a)["macro_f1"] - score(gold, b)["macro_f1"], 4),
            "ci": [round(float(np.percentile(diffs, q)), 4) for q in (2.5, 97.5)]}


def versus_reference(name: str, predictions: list[dict]) -> dict | None:
    """The paired difference from the reference arm's run with the same training seed, if saved."""
    from stancekit.data import read_jsonl

    if "-seed" not in name or name.startswith((REFERENCE + "-", "curve")):
        return None
    path = PREDICTIONS / f"{REFERENCE}-seed{name.rsplit('-seed', 1)[1]}.jsonl"
    return paired_difference(predictions, read_jsonl(path)) if path.is_file() else None


def save(name: str, entry: dict) -> None:
    """Write one run's pooled predictions and merge its figures into the results file."""
    PREDICTIONS.mkdir(parents=True, exist_ok=True)
    predictions = entry.pop("predictions")
    if (difference := versus_reference(name, predictions)) is not None:
        entry[f"vs_{REFERENCE}"] = difference
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
        if (difference := versus_reference(name, predictions)) is not None:
            entry[f"vs_{REFERENCE}"] = difference
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
    lines += ["", f"| arm | seeds | mean macro-F1 | paired difference from baseline, per seed | paired difference from "
              f"{REFERENCE}, per seed [95% CI, articles resampled] |", "|---|---|---|---|---|"]
    for arm in arms:
        seeds = sorted(int(n.rsplit("-seed", 1)[1]) for n in results if n.rsplit("-seed", 1)[0] == arm)
        values = [results[f"{arm}-seed{s}"]["macro_f1"] for s in seeds]
        diffs = [results[f"{arm}-seed{s}"]["macro_f1"] - results[f"baseline-seed{s}"]["macro_f1"]
                 for s in seeds if f"baseline-seed{s}" in results]
        versus = [results[f"{arm}-seed{s}"].get(f"vs_{REFERENCE}") for s in seeds]
        lines.append(f"| {arm} | {', '.join(map(str, seeds))} | {np.mean(values):.3f} | "
                     + ", ".join(f"{d:+.3f}" for d in diffs) + " | "
                     + ", ".join(f"{v['macro_f1']:+.3f} [{v['ci'][0]:+.2f}, {v['ci'][1]:+.2f}]" for v in versus if v)
                     + " |")
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
