"""Accuracy of every registered classifier, with bootstrap 95% intervals.

1. Leave-one-source-out on the seeds (train on the corpus plus the other seed articles, predict the
   held-out article; predictions pooled over the four folds, then scored).
2. The evaluation-only ProCon set on our exact target (2-way; the shipped models, or for the other
   classifiers the same recipe: corpus + all seeds).
3. The trainer on someone else's data: GWSD train -> its official 200-sentence test.

    python benchmarks/accuracy.py [--only transformer,tfidf] [--skip-gwsd]
writes benchmarks/results/accuracy.json and the tables in benchmarks/RESULTS.md (section "Accuracy").
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from stancekit.classifiers import load_classifier, make_trainable
from stancekit.data import load_labeled, load_seeds, load_training
from stancekit.evaluate import evaluate, evaluate_loso

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "datasets"
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


def run(names: list[str], skip_gwsd: bool) -> dict:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    seeds, corpus = load_seeds(), load_training()
    procon = load_labeled(SHARED / "procon-ice" / "eval.jsonl")
    for name in names:
        started = time.time()
        loso = evaluate_loso(lambda: make_trainable(name), seeds=seeds, training=corpus, name=name)
        full = shipped_or_trained(name, corpus, seeds)
        entry = {"loso_seeds": summary(loso), "procon_ice": summary(evaluate(full, procon, name=name)),
                 "seconds": round(time.time() - started, 1)}
        if not skip_gwsd:
            gwsd_train = load_labeled(SHARED / "gwsd" / "train.jsonl")
            gwsd_test = load_labeled(SHARED / "gwsd" / "test.jsonl")
            model = make_trainable(name).fit(gwsd_train["text"], gwsd_train["stance"])
            entry["gwsd"] = summary(evaluate(model, gwsd_test, name=name))
        results[name] = entry
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"{name}: LOSO macro-F1 {entry['loso_seeds']['macro_f1']['value']:.3f} "
              f"F_avg {entry['loso_seeds']['f_avg']['value']:.3f} ECE {entry['loso_seeds']['ece']['value']:.3f}; "
              f"ProCon acc {entry['procon_ice']['accuracy']['value']:.3f}"
              + (f"; GWSD macro-F1 {entry['gwsd']['macro_f1']['value']:.3f}" if "gwsd" in entry else "")
              + f" ({entry['seconds']} s)", flush=True)
    return results


def markdown(results: dict) -> str:
    def cell(m):
        return f"{m['value']:.3f} [{m['ci'][0]:.2f}, {m['ci'][1]:.2f}]"

    out = ["### Leave-one-source-out on the seeds (n = %d claims, pooled over 4 folds)" %
           next(iter(results.values()))["loso_seeds"]["n"], "",
           "| classifier | macro-F1 | F_avg | accuracy | ECE | favor F1 | against F1 | none F1 |",
           "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        m = r["loso_seeds"]
        out.append(f"| {name} | " + " | ".join(cell(m[k]) for k in KEYS[:4]) + " | "
                   + " | ".join(f"{m[k]['value']:.3f}" for k in KEYS[4:]) + " |")
    out += ["", "### ProCon arguments on our target (evaluation only, 2-way, n = 29)", "",
            "| classifier | accuracy | F_avg |", "|---|---|---|"]
    out += [f"| {name} | {cell(r['procon_ice']['accuracy'])} | {cell(r['procon_ice']['f_avg'])} |"
            for name, r in results.items()]
    if any("gwsd" in r for r in results.values()):
        out += ["", "### GWSD: trained on its train split, tested on the official 200-sentence test", "",
                "| classifier | macro-F1 | accuracy |", "|---|---|---|"]
        out += [f"| {name} | {cell(r['gwsd']['macro_f1'])} | {cell(r['gwsd']['accuracy'])} |"
                for name, r in results.items() if "gwsd" in r]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CLASSIFIERS))
    parser.add_argument("--skip-gwsd", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    results = run(args.only.split(","), args.skip_gwsd)
    (HERE / "results" / "accuracy.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
