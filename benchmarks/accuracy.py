"""Accuracy of every registered classifier, with bootstrap 95% intervals.

1. The real-text dev set (78 articles, 932 claims), the main yardstick: article-level 6-fold
   cross-validation (folds stratified by the articles' leaning, fixed), each fold training on the
   corpus and seed claims plus the other folds' articles, for training seeds 0, 1, 2; figures with
   article-resampled intervals; per-article fidelity of the net stance (claim counts, expected
   shares, and an article-level estimate fitted across articles); the temperature refitted on the
   pooled predictions; the shipped models as fixed references on the whole set.
2. Leave-one-source-out on the seeds (train on the corpus plus the other seed articles, predict the
   held-out article; predictions pooled over the four folds, then scored).
3. The evaluation-only ProCon set on our exact target (2-way; the shipped models, or for the other
   classifiers the same recipe: corpus + all seeds).
4. The trainer on someone else's data: GWSD train -> its official 200-sentence test.

    python benchmarks/accuracy.py [--only transformer,tfidf] [--parts devset,loso,procon,gwsd]
                                  [--seeds 0,1,2] [--reuse-recipes] [--save]

The transformer's dev-set runs are the costly part (about 15 minutes per training seed here);
``--reuse-recipes`` scores the pooled predictions that benchmarks/experiments/recipes.py saved for
the same recipe and data (arm "polarity") instead of training them again. Results go to
benchmarks/.cache/accuracy.json; ``--save`` also updates benchmarks/results/accuracy.json and .md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from _common import environment, output_dir

from stancekit.classifiers import load_classifier, make_trainable
from stancekit.data import load_devset, load_labeled, load_seeds, load_training, read_jsonl
from stancekit.evaluate import cross_validate, evaluate, evaluate_loso, evaluation_of
from stancekit.schema import LABELS

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("STANCEKIT_SHARED", HERE.parents[1] / "shared")) / "datasets"
TRAIN = HERE.parent / "seeds" / "train"
RESULTS = HERE / "results" / "accuracy.json"
CACHE = output_dir(False) / "accuracy.json"
RECIPE_PREDICTIONS = HERE / "results" / "recipes"
#: The dev-set arm whose data the shipped model is trained on (see benchmarks/experiments/recipes.py).
SHIPPED_ARM = "polarity"
CLASSIFIERS = ("transformer", "tfidf", "similarity", "majority")
NO_DATA = {"text": [], "stance": []}
KEYS = ("macro_f1", "f_avg", "accuracy", "ece", "favor_f1", "against_f1", "none_f1")

#: The transformer recipe: the top encoder layer and a head over mean-pooled states learn from
#: cached frozen states (full fine-tuning trains at about 19 sentences/s on a 2-core AVX2 CPU; this
#: scored the same on the dev set, 0.520 against 0.527, at a fifth of the cost). Two stages: the
#: written data first, then the real articles (warm start), so stage 1 is shared by all folds.
RECIPE = {"train_layers": 1, "epochs": 2, "learning_rate": 3e-4, "batch_size": 32, "pooling": "mean"}


#: Dev-set training data per recipe arm: (written sets, whether the dev-set counterfactuals join
#: their own articles' training folds).
DEVSET_DATA = {
    "baseline": ({"corpus", "seeds"}, False),                # the shipped model's data before this work
    "polarity": ({"corpus", "seeds", "contrast"}, True),     # + contrast groups + counterfactual edits
    "contrast_only": ({"corpus", "seeds", "contrast"}, False),
    "real_only": (set(), False),                             # the fold's own articles alone
}


def transformer_factory(seed: int, **overrides):
    """A function making a fresh transformer with RECIPE and this training seed."""
    params = {**RECIPE, "seed": seed, "progress": False, **overrides}
    return lambda: make_trainable("transformer", **params)


def two_stage_factory(seed: int, written_data, **overrides):
    """Stage 1 trains once on the written data (contrast groups kept together when the recipe
    weighs them); each call returns a copy that a fold's fit trains on (warm start) with that
    fold's articles."""
    groups = list(written_data["group"]) if "group" in written_data.column_names else None
    stage1 = transformer_factory(seed, **overrides)().fit(list(written_data["text"]), list(written_data["stance"]),
                                                          groups=groups)
    return warm_copies(stage1)


def warm_copies(stage1):
    """A factory of fresh copies of a trained model that train on from its weights (warm start)."""
    import copy

    def next_stage():
        model = copy.deepcopy(stage1)
        model.warm_start = True
        return model

    return next_stage


def evaluation_from_saved(name: str, devset, predictions: list[dict]):
    """The Evaluation of pooled cross-validation predictions saved as JSON Lines."""
    import numpy as np

    proba = np.array([[p["probs"][label] for label in LABELS] for p in predictions])
    folds = [p["fold"] for p in predictions] if "fold" in predictions[0] else None
    return evaluation_of(name, devset, proba, folds=6 if folds else None, fold_of=folds)


def devset_training(written: set[str], counterfactuals: bool):
    """Base training data for dev-set cross-validation (any of corpus, seeds, contrast, supplement)
    and, if asked, the dev-set counterfactual edits (joined per fold to their own article only)."""
    from datasets import Dataset

    rows = []
    if "corpus" in written:
        rows += [{"text": r["text"], "stance": r["stance"], "group": None} for r in load_training()]
    if "seeds" in written:
        rows += [{"text": r["text"], "stance": r["stance"], "group": None} for r in load_seeds()]
    if "supplement" in written:
        rows += [{"text": r["text"], "stance": r["stance"], "group": None}
                 for r in read_jsonl(TRAIN / "supplement" / "w8-w11.jsonl")]
    if "contrast" in written:
        rows += [{"text": r["text"], "stance": r["stance"], "group": r["group"]}
                 for path in sorted((TRAIN / "contrast").glob("c?.jsonl")) for r in read_jsonl(path)]
    training = Dataset.from_list(rows) if rows else Dataset.from_dict({"text": [], "stance": []})
    augmentation = None
    if counterfactuals:
        augmentation = Dataset.from_list([{"doc_id": r["doc_id"], "text": r["text"], "stance": r["stance"]}
                                          for path in sorted((TRAIN / "counterfactual").glob("devset-?.jsonl"))
                                          for r in read_jsonl(path)])
    return training, augmentation


def fidelity(predictions: list[dict], devset) -> dict:
    """Per-article net stance from pooled held-out predictions against the gold labels' net stance
    (Spearman, mean absolute error): claim counts and expected shares (the library's by_source, one
    article per row); an article-level estimate, a linear model over those two fitted on the other
    articles (leave one article out); and both shares adjusted for the classifier's confusion rates
    on the other articles (adjusted classify-and-count and its probabilistic form, Forman 2008;
    Bella et al. 2010)."""
    import numpy as np
    import pandas as pd
    from scipy.stats import spearmanr
    from sklearn.linear_model import LinearRegression

    from stancekit.aggregate import by_source

    def net(kind: str, weighted: bool = False):
        rows = [{"doc_id": r["doc_id"], "source": r["doc_id"], "seg_id": r["seg_id"], "start": 0, "end": 0,
                 "text": r["text"], "speaker": None, "stance": r["pred"] if kind == "predicted" else r["gold"],
                 **{f"p_{k}": (v if kind == "predicted" else float(k == r["gold"])) for k, v in r["probs"].items()}}
                for r in predictions]
        return by_source(pd.DataFrame(rows), weighted=weighted).set_index("source")["net_stance"]

    gold = net("gold")
    counts, expected = net("predicted").loc[gold.index], net("predicted", weighted=True).loc[gold.index]
    features = np.column_stack([counts, expected])
    article = np.zeros(len(gold))
    for i in range(len(gold)):
        rest = np.arange(len(gold)) != i
        article[i] = LinearRegression().fit(features[rest], gold.values[rest]).predict(features[i:i + 1])[0]
    article = np.clip(article, -1, 1)

    def agreement(estimate) -> dict:
        return {"spearman": round(float(spearmanr(gold.values, estimate).statistic), 4),
                "mae": round(float(np.mean(np.abs(gold.values - np.asarray(estimate)))), 4)}

    return {"articles": int(len(gold)), "claim_counts": agreement(counts.values),
            "expected_shares": agreement(expected.values), "article_level": agreement(article),
            **{f"adjusted_{kind}": agreement(adjusted_net(predictions, list(gold.index), probabilistic))
               for kind, probabilistic in (("counts", False), ("shares", True))}}


def adjusted_net(predictions: list[dict], doc_ids: list[str], probabilistic: bool):
    """Each article's net stance with its label shares corrected for the classifier's confusion
    rates, estimated on every other article's held-out predictions: solve M p = q, where M[j, k] is
    the mean (predicted-label or probability) share j of gold-label k claims and q the article's
    shares; negative shares are clipped and the rest renormalised."""
    import numpy as np

    from stancekit.schema import LABELS

    def shares(record) -> np.ndarray:
        return (np.array([record["probs"][k] for k in LABELS]) if probabilistic
                else np.eye(len(LABELS))[LABELS.index(record["pred"])])

    estimates = []
    for doc_id in doc_ids:
        confusion = np.zeros((len(LABELS), len(LABELS)))
        for record in predictions:
            if record["doc_id"] != doc_id:
                confusion[:, LABELS.index(record["gold"])] += shares(record)
        observed = np.mean([shares(r) for r in predictions if r["doc_id"] == doc_id], axis=0)
        p = np.clip(np.linalg.solve(confusion / confusion.sum(axis=0), observed), 0, None)
        p = p / p.sum() if p.sum() > 0 else observed
        estimates.append(p[LABELS.index("favor")] - p[LABELS.index("against")])
    return np.array(estimates)


def summary(evaluation) -> dict:
    return {"n": evaluation.n, "confusion": evaluation.confusion,
            **{k: {"value": round(evaluation.metrics[k], 4),
                   "ci": [round(x, 4) for x in evaluation.intervals[k]]} for k in KEYS}}


def devset_part(name: str, seeds: list[int], reuse: bool) -> dict:
    """Dev-set figures of one classifier: pooled 6-fold article CV per training seed, the seed
    mean and spread, fidelity of per-article net stance, and the temperature refitted by article CV."""
    import numpy as np

    devset = load_devset()
    training, augmentation = devset_training(*DEVSET_DATA[SHIPPED_ARM])
    runs = {}
    for seed in (seeds if name == "transformer" else seeds[:1]):  # the baselines' fits do not depend on the seed
        saved = RECIPE_PREDICTIONS / f"{SHIPPED_ARM}-seed{seed}.jsonl"
        if name == "transformer" and reuse and saved.is_file():
            result = evaluation_from_saved(f"{name} seed {seed}", devset, read_jsonl(saved))
        elif name == "transformer":
            result = cross_validate(two_stage_factory(seed, training), devset, k=6, training=NO_DATA,
                                    augmentation=augmentation, seed=0, name=f"{name} seed {seed}")
        else:
            result = cross_validate(lambda: make_trainable(name), devset, k=6, training=training,
                                    augmentation=augmentation, seed=0, name=f"{name} seed {seed}")
        runs[f"seed{seed}"] = {**summary(result), "fidelity": fidelity(result.predictions, devset),
                               "calibration": recalibrated(result.predictions, devset)}
    macro = [r["macro_f1"]["value"] for r in runs.values()]
    return {"data": SHIPPED_ARM, "runs": runs, "macro_f1_mean": round(float(np.mean(macro)), 4),
            "macro_f1_sd": round(float(np.std(macro, ddof=1)), 4) if len(macro) > 1 else 0.0}


def recalibrated(predictions: list[dict], devset) -> dict:
    """Temperature refitted on pooled held-out predictions: fitted on five folds of articles and
    applied to the sixth (so the ECE reported is held out), and once on all for the shipped model."""
    import numpy as np

    from stancekit.classifiers.calibration import fit_temperature
    from stancekit.evaluate import article_folds

    logp = np.log(np.clip([[p["probs"][label] for label in LABELS] for p in predictions], 1e-6, 1.0))
    y = np.array([LABELS.index(p["gold"]) for p in predictions])
    groups = [p["doc_id"] for p in predictions]
    proba = np.zeros_like(logp)
    for held_out in article_folds(groups, 6, strata=list(devset["leaning"]), seed=1):
        test = np.array([g in held_out for g in groups])
        z = logp[test] / fit_temperature(logp[~test], y[~test])
        proba[test] = np.exp(z - z.max(axis=1, keepdims=True))
        proba[test] /= proba[test].sum(axis=1, keepdims=True)
    after = evaluation_of("recalibrated", devset, proba)
    return {"temperature_factor": round(fit_temperature(logp, y), 4),
            "ece_after": {"value": round(after.metrics["ece"], 4), "ci": [round(x, 4) for x in after.intervals["ece"]]}}


def shipped_or_trained(name: str, corpus, seeds):
    """The shipped model where one exists (it is trained on corpus + all seeds), else the same recipe."""
    if name in ("transformer", "tfidf"):
        return load_classifier(name)
    return make_trainable(name).fit(list(corpus["text"]) + list(seeds["text"]),
                                    list(corpus["stance"]) + list(seeds["stance"]))


def held_out_sources(loso, seeds) -> list[dict]:
    """Per-source net stance from the held-out predictions beside the same figure from the gold labels."""
    import pandas as pd

    from stancekit.aggregate import by_source

    rows = []
    for record, pred in zip(seeds, loso.predictions):
        base = {"doc_id": record["doc_id"], "source": record["source"], "seg_id": record["seg_id"],
                "start": record["start"], "end": record["end"], "text": record["text"], "speaker": record["speaker"]}
        rows.append({**base, "kind": "predicted", "stance": pred["pred"],
                     **{f"p_{k}": v for k, v in pred["probs"].items()}})
        rows.append({**base, "kind": "gold", "stance": record["stance"],
                     **{f"p_{k}": float(k == record["stance"]) for k in pred["probs"]}})
    frame = pd.DataFrame(rows)
    table = []
    for kind in ("gold", "predicted"):
        for row in by_source(frame[frame["kind"] == kind].drop(columns="kind")).to_dict("records"):
            table.append({"kind": kind, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}})
    return table


def run(names: list[str], parts: list[str], params: dict, seeds: list[int], reuse: bool) -> dict:
    """Evaluate each classifier on the requested parts, merging into the last results."""
    source = CACHE if CACHE.exists() else RESULTS
    results = json.loads(source.read_text()) if source.exists() else {}
    results["environment"] = environment()
    seed_claims, corpus = load_seeds(), load_training()
    for name in names:
        started = time.time()
        kwargs = {**params, **RECIPE} if name == "transformer" else {}
        entry = results.setdefault(name, {})
        if "devset" in parts:
            entry["devset_cv"] = devset_part(name, seeds, reuse)
            if name == "tfidf":  # the shipped TF-IDF never saw the dev set (the shipped transformer did)
                entry["devset_fixed"] = summary(evaluate(load_classifier(name), load_devset(), name=name))
        if "loso" in parts and name == "transformer":
            # the shipped recipe without any seed article (stage 1 corpus + contrast groups, stage 2
            # the dev set + counterfactuals): all 155 seed claims are held out from one model
            written, _ = devset_training({"corpus", "contrast"}, False)
            devset, augmentation = load_devset(), devset_training(set(), True)[1]
            model = two_stage_factory(0, written)().fit(list(devset["text"]) + list(augmentation["text"]),
                                                         list(devset["stance"]) + list(augmentation["stance"]))
            held = evaluate(model, seed_claims, name=name)
            entry["seeds_held_out"] = summary(held)
            entry["loso_by_source"] = held_out_sources(held, seed_claims)
            entry.pop("loso_seeds", None)
        elif "loso" in parts:
            loso = evaluate_loso(lambda: make_trainable(name, **kwargs), seeds=seed_claims, training=corpus, name=name)
            entry["loso_seeds"] = summary(loso)
            entry["loso_by_source"] = held_out_sources(loso, seed_claims)
        if "procon" in parts:
            procon = load_labeled(SHARED / "procon-ice" / "eval.jsonl")
            entry["procon_ice"] = summary(evaluate(shipped_or_trained(name, corpus, seed_claims), procon, name=name))
        if "gwsd" in parts:
            gwsd_train = load_labeled(SHARED / "gwsd" / "train.jsonl")
            gwsd_test = load_labeled(SHARED / "gwsd" / "test.jsonl")
            model = make_trainable(name, **kwargs).fit(gwsd_train["text"], gwsd_train["stance"])
            entry["gwsd"] = summary(evaluate(model, gwsd_test, name=name))
        entry.setdefault("seconds", {})["+".join(parts)] = round(time.time() - started, 1)
        CACHE.parent.mkdir(exist_ok=True)
        CACHE.write_text(json.dumps(results, indent=2) + "\n")
        print(name, json.dumps({part: entry[key]["macro_f1"]["value"] if "macro_f1" in entry[key]
                                else entry[key].get("macro_f1_mean")
                                for part, key in (("devset", "devset_cv"), ("loso", "loso_seeds"),
                                                  ("procon", "procon_ice"), ("gwsd", "gwsd")) if key in entry}),
              flush=True)
    return results


def devset_markdown(results: dict, cell) -> list[str]:
    """The dev-set tables: pooled article-CV figures per training seed, fidelity, calibration."""
    with_cv = {name: r["devset_cv"] for name, r in results.items() if "devset_cv" in r}
    if not with_cv:
        return []
    out = ["### Real-text dev set: 6-fold article cross-validation (n = 932 claims in 78 articles)", "",
           "Intervals resample articles. Each row is one training seed; folds are the same for all rows.", "",
           "| classifier | seed | macro-F1 | against F1 | favor F1 | none F1 | ECE | ECE, temperature refit by "
           "article CV | net stance Spearman / MAE (counts; expected shares; article-level) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for name, cv in with_cv.items():
        for seed, m in cv["runs"].items():
            f = m["fidelity"]
            out.append(f"| {name} | {seed[4:]} | {cell(m['macro_f1'])} | {cell(m['against_f1'])} | "
                       f"{m['favor_f1']['value']:.3f} | {m['none_f1']['value']:.3f} | {cell(m['ece'])} | "
                       f"{cell(m['calibration']['ece_after'])} | "
                       + "; ".join(f"{f[k]['spearman']:.2f} / {f[k]['mae']:.2f}"
                                   for k in ("claim_counts", "expected_shares", "article_level")) + " |")
        out.append(f"| {name} | mean ± sd | {cv['macro_f1_mean']:.3f} ± {cv['macro_f1_sd']:.3f} | | | | | | |")
    fixed = {name: r["devset_fixed"] for name, r in results.items() if "devset_fixed" in r}
    if fixed:
        out += ["", "Shipped models scored as they are on the whole dev set (a reference, not held out for a "
                "model trained on it):", "", "| model | macro-F1 | against F1 | ECE |", "|---|---|---|---|"]
        out += [f"| {name} | {cell(m['macro_f1'])} | {cell(m['against_f1'])} | {cell(m['ece'])} |"
                for name, m in fixed.items()]
    return out + [""]


def markdown(results: dict) -> str:
    def cell(m):
        return f"{m['value']:.3f} [{m['ci'][0]:.2f}, {m['ci'][1]:.2f}]"

    env = results.get("environment", {})
    results = {name: r for name, r in results.items() if name != "environment"}
    out = [f"Commit {env.get('commit')}, CPU {env.get('cpu')}, torch {env.get('torch')}, "
           f"transformers {env.get('transformers')}.", ""]
    out += devset_markdown(results, cell)
    out += ["### The seeds held out (n = 155 claims): leave-one-source-out for the baselines; the transformer's "
            "recipe trained once without any seed article", "",
            "| classifier | macro-F1 | F_avg | accuracy | ECE | favor F1 | against F1 | none F1 |",
            "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        m = r.get("seeds_held_out") or r.get("loso_seeds")
        if m is None:
            continue
        out.append(f"| {name} | " + " | ".join(cell(m[k]) for k in KEYS[:4]) + " | "
                   + " | ".join(f"{m[k]['value']:.3f}" for k in KEYS[4:]) + " |")
    out += ["", "### ProCon arguments on our target (evaluation only, 2-way, n = 29)", "",
            "| classifier | accuracy | F_avg |", "|---|---|---|"]
    out += [f"| {name} | {cell(r['procon_ice']['accuracy'])} | {cell(r['procon_ice']['f_avg'])} |"
            for name, r in results.items() if "procon_ice" in r]
    if any("gwsd" in r for r in results.values()):
        out += ["", "### GWSD: trained on its train split, tested on the official 200-sentence test", "",
                "| classifier | macro-F1 | accuracy |", "|---|---|---|"]
        out += [f"| {name} | {cell(r['gwsd']['macro_f1'])} | {cell(r['gwsd']['accuracy'])} |"
                for name, r in results.items() if "gwsd" in r]
    held = results.get("transformer", {}).get("loso_by_source")
    if held:
        out += ["", "### Per-source net stance: gold labels vs held-out transformer predictions", "",
                "| source | gold net | predicted net (held out) [95% CI] | predicted favor / against / none |",
                "|---|---|---|---|"]
        gold = {r["source"]: r for r in held if r["kind"] == "gold"}
        for r in (r for r in held if r["kind"] == "predicted"):
            out.append(f"| {r['source']} | {gold[r['source']]['net_stance']:+.2f} | {r['net_stance']:+.2f} "
                       f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}] | "
                       f"{r['favor']:.0%} / {r['against']:.0%} / {r['none']:.0%} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CLASSIFIERS))
    parser.add_argument("--parts", default="devset,loso,procon,gwsd", help="any of devset, loso, procon, gwsd")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds of the dev-set runs")
    parser.add_argument("--reuse-recipes", action="store_true",
                        help="score the transformer's dev-set predictions saved by experiments/recipes.py")
    parser.add_argument("--device", default="cpu", help="where the transformer trains (cuda on a GPU machine)")
    parser.add_argument("--base", default=None, help="base encoder folder (default: the packaged MiniLM)")
    parser.add_argument("--save", action="store_true", help="also update benchmarks/results/accuracy.json and .md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    print("environment:", environment(), flush=True)
    params = {"device": args.device, "base": args.base, "progress": False}
    results = run(args.only.split(","), args.parts.split(","), params, [int(x) for x in args.seeds.split(",")],
                  args.reuse_recipes)
    print(markdown(results))
    if args.save:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        (HERE / "results" / "accuracy.md").write_text(markdown(results))


if __name__ == "__main__":
    main()
