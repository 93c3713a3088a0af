"""Behavioural tests of polarity in the CheckList manner (Ribeiro et al., ACL 2020).

benchmarks/data/checklist.jsonl holds sentences written for this test only (never training data),
grouped by capability: negation, comparatives, one-word stance carriers, reported speech, speaker
swap, sarcasm and rhetorical questions, claims about federal agents alone, neutral procedure full
of topic words, concessions, and invariance (names, places, numbers changed). A minimum-
functionality item passes when the predicted label is the gold label; an invariance group passes
when all its members get the same label, which is also the gold one.

    python benchmarks/checklist.py [--models transformer,tfidf,path/to/model] [--save]

prints a pass-rate table and writes benchmarks/.cache/checklist.json (with --save also
benchmarks/results/checklist.json).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from _common import environment, output_dir

from stancekit.classifiers import load_classifier, predict_labels
from stancekit.data import read_jsonl

HERE = Path(__file__).resolve().parent
ITEMS = HERE / "data" / "checklist.jsonl"


def run_checklist(classifier, items: list[dict]) -> dict:
    """Pass rate per capability and overall; each item or invariance group is one test."""
    predicted = predict_labels(classifier, [item["text"] for item in items])
    tests: dict[str, list[bool]] = defaultdict(list)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    failures = []
    for item, pred in zip(items, predicted):
        if item["type"] == "INV":
            groups[item["group"]].append((pred, item["label"]))
        else:
            tests[item["capability"]].append(pred == item["label"])
        if pred != item["label"]:
            failures.append({"id": item["id"], "text": item["text"], "gold": item["label"], "pred": pred})
    for members in groups.values():
        tests["invariance"].append(len({p for p, _ in members}) == 1 and members[0][0] == members[0][1])
    rates = {cap: round(sum(results) / len(results), 4) for cap, results in sorted(tests.items())}
    everything = [r for results in tests.values() for r in results]
    return {"pass_rate": rates, "overall": round(sum(everything) / len(everything), 4),
            "tests": {cap: len(results) for cap, results in sorted(tests.items())}, "failures": failures}


def markdown(results: dict[str, dict]) -> str:
    names = list(results)
    capabilities = list(next(iter(results.values()))["pass_rate"])
    tests = next(iter(results.values()))["tests"]
    lines = ["| capability | tests | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for cap in capabilities:
        lines.append(f"| {cap} | {tests[cap]} | " + " | ".join(f"{results[n]['pass_rate'][cap]:.0%}" for n in names)
                     + " |")
    lines.append(f"| **overall** | {sum(tests.values())} | "
                 + " | ".join(f"**{results[n]['overall']:.0%}**" for n in names) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="transformer,tfidf")
    parser.add_argument("--save", action="store_true", help="also update benchmarks/results/checklist.json")
    args = parser.parse_args()
    print("environment:", environment())
    items = read_jsonl(ITEMS)
    results = {name: run_checklist(load_classifier(name), items) for name in args.models.split(",")}
    table = markdown(results)
    print(table)
    payload = json.dumps({"environment": environment(), "items": len(items), "results": results}, indent=2,
                         ensure_ascii=False) + "\n"
    for folder in {output_dir(False), output_dir(args.save)}:
        (folder / "checklist.json").write_text(payload, encoding="utf-8")
        (folder / "checklist.md").write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
