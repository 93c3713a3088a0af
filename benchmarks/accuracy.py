"""Accuracy of every registered classifier, with bootstrap 95% intervals.

1. Leave-one-source-out on the seeds (train on the corpus plus the other seed articles, predict the
   held-out article; predictions pooled over the four folds, then scored).
2. The evaluation-only ProCon set on our exact target (2-way; the shipped models, or for the other
   classifiers the same recipe: corpus + all seeds).
3. The trainer on someone else's data: GWSD train -> its official 200-sentence test.

    python benchmarks/accuracy.py [--only transformer,tfidf] [--parts loso,procon,gwsd] [--device cuda]
writes benchmarks/results/accuracy.json and the tables in benchmarks/RESULTS.md (section "Accuracy").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from stancekit.classifiers import load_classifier, make_trainable
from stancekit.data import load_labeled, load_seeds, load_training, read_jsonl
from stancekit.evaluate import evaluate, evaluate_loso

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("STANCEKIT_SHARED", HERE.parents[1] / "shared")) / "datasets"
TRAIN = HERE.parent / "seeds" / "train"

#: The transformer recipe under test on the dev set: the top encoder layer and the head learn
#: from cached frozen states (this CPU trains full fine-tuning at about 19 sentences/s).
RECIPE = {"train_layers": 1, "epochs": 1, "learning_rate": 2e-4, "batch_size": 32}


def transformer_factory(seed: int, **overrides):
    """A function making a fresh transformer with RECIPE and this training seed."""
    params = {**RECIPE, "seed": seed, "progress": False, **overrides}
    return lambda: make_trainable("transformer", **params)


def devset_training(written: set[str], counterfactuals: bool):
    """Base training data for dev-set cross-validation (any of corpus, seeds, contrast, supplement)
    and, if asked, the dev-set counterfactual edits (joined per fold to their own article only)."""
    from datasets import Dataset

    rows = []
    if "corpus" in written:
        rows += [{"text": r["text"], "stance": r["stance"]} for r in load_training()]
    if "seeds" in written:
        rows += [{"text": r["text"], "stance": r["stance"]} for r in load_seeds()]
    if "supplement" in written:
        rows += [{"text": r["text"], "stance": r["stance"]} for r in read_jsonl(TRAIN / "supplement" / "w8-w11.jsonl")]
    if "contrast" in written:
        rows += [{"text": r["text"], "stance": r["stance"]} for path in sorted((TRAIN / "contrast").glob("*.jsonl"))
                 for r in read_jsonl(path)]
    training = Dataset.from_list(rows) if rows else Dataset.from_dict({"text": [], "stance": []})
    augmentation = None
    if counterfactuals:
        augmentation = Dataset.from_list([{"doc_id": r["doc_id"], "text": r["text"], "stance": r["stance"]}
                                          for path in sorted((TRAIN / "counterfactual").glob("*.jsonl"))
                                          for r in read_jsonl(path)])
    return training, augmentation


def fidelity(predictions: list[dict], devset) -> dict:
    """Per-article net stance from pooled held-out predictions (the library's by_source, one
    article per row) against the gold labels' net stance: Spearman and mean absolute error."""
    import numpy as np
    import pandas as pd
    from scipy.stats import spearmanr

    from stancekit.aggregate import by_source

    frames = {}
    for kind in ("gold", "predicted"):
        rows = [{"doc_id": r["doc_id"], "source": r["doc_id"], "seg_id": r["seg_id"], "start": 0, "end": 0,
                 "text": r["text"], "speaker": None, "stance": r["pred"] if kind == "predicted" else r["gold"],
                 **{f"p_{k}": (v if kind == "predicted" else float(k == r["gold"])) for k, v in r["probs"].items()}}
                for r in predictions]
        frames[kind] = by_source(pd.DataFrame(rows), n_boot=10).set_index("source")["net_stance"]
    gold, predicted = frames["gold"], frames["predicted"].loc[frames["gold"].index]
    return {"spearman": round(float(spearmanr(gold, predicted).statistic), 4),
            "mae": round(float(np.mean(np.abs(gold - predicted))), 4), "articles": int(len(gold))}
RESULTS = HERE / "results" / "accuracy.json"
CLASSIFIERS = ("transformer", "tfidf", "similarity", "majority")
KEYS = ("macro_f1", "f_avg", "accuracy", "ece", "favor_f1", "against_f1", "none_f1")


def summary(evaluation) -> dict:
    return {"n": evaluation.n, "confusion": evaluation.confusion,
            **{k: {"value": round(evaluation.metrics[k], 4),
                   "ci": [round(x, 4) for x in evaluation.intervals[k]]} for k in KEYS}}


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
        for row in by_source(frame[frame["kind"] == kind].drop(columns="kind"), n_boot=1000).to_dict("records"):
            table.append({"kind": kind, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}})
    return table


def run(names: list[str], parts: list[str], params: dict) -> dict:
    """Evaluate each classifier on the requested parts, merging into the saved results file."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    seeds, corpus = load_seeds(), load_training()
    for name in names:
        started = time.time()
        kwargs = params if name == "transformer" else {}
        entry = results.setdefault(name, {})
        if "loso" in parts:
            loso = evaluate_loso(lambda: make_trainable(name, **kwargs), seeds=seeds, training=corpus, name=name)
            entry["loso_seeds"] = summary(loso)
            entry["loso_by_source"] = held_out_sources(loso, seeds)
        if "procon" in parts:
            procon = load_labeled(SHARED / "procon-ice" / "eval.jsonl")
            entry["procon_ice"] = summary(evaluate(shipped_or_trained(name, corpus, seeds), procon, name=name))
        if "gwsd" in parts:
            gwsd_train = load_labeled(SHARED / "gwsd" / "train.jsonl")
            gwsd_test = load_labeled(SHARED / "gwsd" / "test.jsonl")
            model = make_trainable(name, **kwargs).fit(gwsd_train["text"], gwsd_train["stance"])
            entry["gwsd"] = summary(evaluate(model, gwsd_test, name=name))
        entry.setdefault("seconds", {})
        entry["seconds"].update({part: round(time.time() - started, 1) for part in parts[:1]} if len(parts) == 1
                                else {"+".join(parts): round(time.time() - started, 1)})
        if kwargs.get("device", "cpu") != "cpu":
            entry["trained_on"] = kwargs["device"]
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(name, {part: {k: entry[key][k]["value"] for k in ("macro_f1", "f_avg", "accuracy", "ece")}
                     for part, key in (("loso", "loso_seeds"), ("procon", "procon_ice"), ("gwsd", "gwsd"))
                     if key in entry}, flush=True)
    return results


def markdown(results: dict) -> str:
    def cell(m):
        return f"{m['value']:.3f} [{m['ci'][0]:.2f}, {m['ci'][1]:.2f}]"

    out = ["### Leave-one-source-out on the seeds (n = %d claims, pooled over 4 folds)" %
           next(r for r in results.values() if "loso_seeds" in r)["loso_seeds"]["n"], "",
           "| classifier | macro-F1 | F_avg | accuracy | ECE | favor F1 | against F1 | none F1 |",
           "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        if "loso_seeds" not in r:
            continue
        m = r["loso_seeds"]
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
    parser.add_argument("--parts", default="loso,procon,gwsd", help="any of loso, procon, gwsd")
    parser.add_argument("--device", default="cpu", help="where the transformer trains (cuda on a GPU machine)")
    parser.add_argument("--base", default=None, help="base encoder folder (default: the packaged MiniLM)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    params = {"device": args.device, "base": args.base, "progress": False}
    results = run(args.only.split(","), args.parts.split(","), params)
    (HERE / "results" / "accuracy.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
