"""Paired comparisons of training choices, every model trained on the corpus alone, seed by seed.

No seed article is in any arm's training data, so all 155 seed claims are held out for every model
(a leave-one-source-out evaluation by construction, one training per model instead of four), and
each training seed runs in every arm. Arms:

- ``plain``: the shipped recipe on writers w1–w7, the corpus the shipped model was trained on.
- ``more_data``: the same, plus the 690 sentences of writers w8–w11 (``seeds/train/supplement/``).
- ``transfer``: intermediate training on the public stance datasets first (GWSD, IBM Claim
  Stance, Perspectrum train splits; each text given with its own target as "target [SEP] text"),
  then the shipped recipe with plain claim inputs, so inference costs the same.
- ``contrastive``: SetFit-style contrastive fine-tuning of the sentence encoder first (pairs of
  corpus sentences, cosine target 1 for the same label and 0 for different labels), then the
  shipped recipe with a head on the mean-pooled sentence embedding.
- ``context``: the shipped recipe with the previous sentence of the same article as context, given
  as "claim [SEP] previous sentence" (so truncation cuts the context, never the claim), in training
  and at prediction (training took 1.6 times as long here).
- ``lede``: the shipped recipe with the article's first claim as context, "claim [SEP] first claim",
  so every sentence sees what the article is about.

    python benchmarks/experiments/paired.py [--arms plain,more_data] [--seeds 0,1,2] [--device cpu]
writes benchmarks/results/paired.json and paired-<arm>-seed<N>-predictions.jsonl;
    python benchmarks/experiments/paired.py --errors
reads those predictions back (no training) and writes paired-errors.json: accuracy per article,
and macro-F1 as scored and as it would be with every gold `against` claim of the news report (002)
predicted right, the upper bound of fixing that one error alone.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from datasets import Dataset

from stancekit.classifiers import TransformerClassifier
from stancekit.classifiers.baselines import SentenceEncoder
from stancekit.classifiers.transformer import mean_pool
from stancekit.data import SEEDS_DIR, TRAINING_CORPUS, read_jsonl
from stancekit.evaluate import evaluate, score
from stancekit.schema import LABELS

HERE = Path(__file__).resolve().parents[1]  # benchmarks/
PUBLIC = HERE.parents[1] / "shared" / "datasets"
SUPPLEMENT = SEEDS_DIR / "train" / "supplement" / "w8-w11.jsonl"
RECIPE = {"epochs": 4, "learning_rate": 5e-5, "batch_size": 16, "class_weight": "balanced"}
ARMS = ("plain", "more_data", "transfer", "contrastive", "context", "lede")


def with_previous(texts: list[str], docs: list[str]) -> list[str]:
    """Each text followed by the text before it in the same document (documents given in order)."""
    return [f"{text} [SEP] {texts[i - 1]}" if i and docs[i - 1] == doc else text
            for i, (text, doc) in enumerate(zip(texts, docs))]


def with_lede(texts: list[str], docs: list[str]) -> list[str]:
    """Each text followed by the first text of its document (the lede), except the lede itself."""
    first = {}
    for i, doc in enumerate(docs):
        first.setdefault(doc, i)
    return [text if i == first[doc] else f"{text} [SEP] {texts[first[doc]]}"
            for i, (text, doc) in enumerate(zip(texts, docs))]


CONTEXT = {"context": with_previous, "lede": with_lede}  # arms whose inputs carry context, and how


def public_examples(root: Path, per_dataset: int, seed: int) -> tuple[list[str], list[str]]:
    """Target-prefixed texts and labels from the public train splits (procon-ice is never used)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for name in ("gwsd", "ibm_claim_stance", "perspectrum"):
        records = read_jsonl(root / name / "train.jsonl")
        rng.shuffle(records)
        for r in records[:per_dataset]:
            texts.append(f"{r['target']} [SEP] {r['text']}")
            labels.append(r["stance"])
    return texts, labels


def transfer_encoder(out: Path, args) -> Path:
    """Stage 1 of ``transfer``: the 3-way classifier fine-tuned on the public datasets, saved as a base."""
    texts, labels = public_examples(Path(args.public), args.per_dataset, 0)
    print(f"transfer stage 1: {len(texts)} public examples, 2 epochs", flush=True)
    clf = TransformerClassifier(**{**RECIPE, "epochs": 2}, calibration_fraction=0.0, device=args.device,
                                backend="fp32", progress=False)
    clf.fit(texts, labels)
    clf.model_.save_pretrained(out)
    clf.tokenizer_.save_pretrained(out)
    return out


def contrastive_encoder(out: Path, texts: list[str], labels: list[str], args) -> Path:
    """Stage 1 of ``contrastive``: cosine-similarity loss on labeled pairs, as SetFit does."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    encoder = SentenceEncoder()
    tokenizer, model = encoder.tokenizer, encoder.model.to(args.device).train()
    by_label = {label: [i for i, y in enumerate(labels) if y == label] for label in set(labels)}
    pairs = []
    for i, label in enumerate(labels):
        for same in [True, False] * (args.pairs_per_text // 2):
            pool = by_label[label] if same else [j for other, idx in by_label.items() if other != label for j in idx]
            pairs.append((i, int(rng.choice(pool)), float(same)))
    order = rng.permutation(len(pairs))
    steps = math.ceil(len(pairs) / 16)
    print(f"contrastive stage 1: {len(pairs)} pairs, {steps} steps", flush=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)

    def embed(batch_texts):
        enc = tokenizer(batch_texts, padding=True, truncation=True, max_length=encoder.max_length,
                        return_tensors="pt").to(args.device)
        return mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])

    for step in range(steps):
        batch = [pairs[k] for k in order[step * 16:(step + 1) * 16]]
        u = embed([texts[a] for a, _, _ in batch])
        v = embed([texts[b] for _, b, _ in batch])
        target = torch.tensor([t for _, _, t in batch], device=args.device)
        loss = torch.nn.functional.mse_loss(torch.nn.functional.cosine_similarity(u, v), target)
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    model.to("cpu").save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def macro_f1(rows: list[dict]) -> float:
    """Macro-F1 of saved predictions (rows with ``gold`` and ``probs``)."""
    proba = np.array([[r["probs"][label] for label in LABELS] for r in rows])
    return round(score([r["gold"] for r in rows], proba)["macro_f1"], 4)


def error_analysis(results: Path) -> dict:
    """Per-article accuracy and the 002-`against` upper bound of every saved model's predictions."""
    analysis = {}
    for path in sorted(results.glob("paired-*-seed*-predictions.jsonl")):
        rows = read_jsonl(path)
        fixed = [dict(r, probs={label: float(label == r["gold"]) for label in LABELS})
                 if r["doc_id"].startswith("002") and r["gold"] == "against" else r for r in rows]
        by_article = {}
        for r in rows:
            by_article.setdefault(r["doc_id"][:3], []).append(r["gold"] == r["pred"])
        analysis[path.stem.removeprefix("paired-").removesuffix("-predictions")] = {
            "accuracy_by_article": {doc: round(float(np.mean(hits)), 3) for doc, hits in sorted(by_article.items())},
            "macro_f1": macro_f1(rows), "macro_f1_if_002_against_all_right": macro_f1(fixed)}
    return analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--public", default=str(PUBLIC))
    parser.add_argument("--per-dataset", type=int, default=2500)
    parser.add_argument("--pairs-per-text", type=int, default=2)
    parser.add_argument("--out", default=str(HERE / "results" / "paired.json"))
    parser.add_argument("--errors", action="store_true", help="analyse the saved predictions, train nothing")
    args = parser.parse_args()
    if args.errors:
        analysis = error_analysis(Path(args.out).parent)
        Path(args.out).with_name("paired-errors.json").write_text(json.dumps(analysis, indent=2) + "\n")
        for key, row in analysis.items():
            print(key, row)
        return
    segments = read_jsonl(SEEDS_DIR / "labels.jsonl")  # every segment, claim or not, in article order
    seeds = [r for r in segments if r["is_claim"]]
    gold = Dataset.from_list([{k: r[k] for k in ("doc_id", "text", "stance")} for r in seeds])
    in_context = dict(zip(((r["doc_id"], r["seg_id"]) for r in segments),
                          with_previous([r["text"] for r in segments], [r["doc_id"] for r in segments])))
    gold_in_context = gold.add_column("in_context", [in_context[r["doc_id"], r["seg_id"]] for r in seeds])
    gold_in_context = gold_in_context.remove_columns("text").rename_column("in_context", "text")
    gold_with_lede = gold.remove_columns("text").add_column(
        "text", with_lede([r["text"] for r in seeds], [r["doc_id"] for r in seeds]))
    corpus = read_jsonl(TRAINING_CORPUS)
    supplement = read_jsonl(SUPPLEMENT)
    arms = args.arms.split(",")
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        bases = {}
        for arm, build in (("transfer", lambda d: transfer_encoder(d, args)),
                           ("contrastive", lambda d: contrastive_encoder(
                               d, [r["text"] for r in corpus], [r["stance"] for r in corpus], args))):
            if arm in arms:
                started = time.time()
                bases[arm] = build(Path(tmp) / arm)
                results[f"_{arm}_stage1_seconds"] = round(time.time() - started, 1)
        for seed in map(int, args.seeds.split(",")):
            for arm in arms:
                started = time.time()
                data = corpus + supplement if arm == "more_data" else corpus
                clf = TransformerClassifier(base=bases.get(arm), seed=seed, device=args.device, backend="fp32",
                                            pooling="mean" if arm == "contrastive" else "cls", progress=False,
                                            **RECIPE)
                texts = [r["text"] for r in data]
                if arm in CONTEXT:
                    texts = CONTEXT[arm](texts, [r["doc"] for r in data])
                clf.fit(texts, [r["stance"] for r in data])
                test = {"context": gold_in_context, "lede": gold_with_lede}.get(arm, gold)
                evaluation = evaluate(clf, test, name=f"{arm}-seed{seed}", n_boot=200)
                key = f"{arm}-seed{seed}"
                results[key] = {"training_claims": len(data), "seconds": round(time.time() - started, 1),
                                **{k: round(v, 4) for k, v in evaluation.metrics.items()}}
                print(key, {k: results[key][k] for k in ("macro_f1", "f_avg", "accuracy", "ece", "seconds")},
                      flush=True)
                out.write_text(json.dumps(results, indent=2) + "\n")
                out.with_name(f"{out.stem}-{key}-predictions.jsonl").write_text(
                    "".join(json.dumps(p) + "\n" for p in evaluation.predictions))


if __name__ == "__main__":
    main()
