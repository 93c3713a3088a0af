"""Speed and memory of stancekit, stage by stage and end to end, against a plain transformers pipeline.

It prints the CPU and its flags first, then, side by side on the same claims: each inference backend
(torch fp32, torch bf16 where the CPU has it, torch int8, ONNX Runtime fp32 and int8) in-process, its
label agreement with torch fp32 and its dev-set macro-F1 (the shipped model trained on the dev set:
for backend parity only); then whole processes (model load included) of `stancekit classify`
against a plain `transformers.pipeline("text-classification")`.

A synthetic corpus of 100 articles (1,000 and 10,000 with --end-to-end, which takes longer) is
built by resampling seed segments (30-50 per article, 8 sources), as folders of .jsonl files of
500 articles each. Every timing is the median of --repeats runs (spread printed beside it).

    python benchmarks/speed.py            # full run (under 15 minutes on 2 quiet cores)
    python benchmarks/speed.py --quick    # a few minutes: seeds, 30 articles, 200 claims
    python benchmarks/speed.py --end-to-end 1000,10000   # only the end-to-end rows and RSS growth

writes benchmarks/results/speed.json (speed-quick.json with --quick) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import environment, output_dir

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT / "seeds"


def timed(fn, repeats: int):
    """(median seconds, [all runs], last result)."""
    runs, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs, result


def spread(runs: list[float]) -> str:
    return f"min {min(runs):.3f} s, max {max(runs):.3f} s over {len(runs)} runs"


def synthetic_corpus(folder: Path, n_articles: int, seed: int = 0, shard: int = 500) -> Path:
    """A folder of .jsonl files (``shard`` articles each) built from resampled seed segments."""
    from stancekit import load_articles, segment

    segments = [s.text for a in load_articles(SEEDS) for s in segment(a.text)]
    rng = random.Random(seed)
    corpus = folder / f"synthetic_{n_articles}"
    corpus.mkdir()
    for first in range(0, n_articles, shard):
        with open(corpus / f"part-{first // shard:04d}.jsonl", "w", encoding="utf-8") as out:
            for i in range(first, min(first + shard, n_articles)):
                out.write(json.dumps(_article(i, segments, rng), ensure_ascii=False) + "\n")
    return corpus


def _article(i: int, segments: list[str], rng: random.Random) -> dict:
    """30-50 seed segments in paragraphs of 3-5 sentences, from one of 8 sources."""
    picked = [rng.choice(segments) for _ in range(rng.randint(30, 50))]
    paragraphs, k = [], 0
    while k < len(picked):
        size = rng.randint(3, 5)
        paragraphs.append(" ".join(picked[k:k + size]))
        k += size
    return {"doc_id": f"syn-{i:05d}", "source": f"outlet-{i % 8}", "text": "\n\n".join(paragraphs)}


def run_cli(args: list[str]) -> dict:
    """Run `stancekit ARGS` in a fresh process; wall time and its peak RSS (MB)."""
    # VmHWM is the peak RSS of this process's own memory map; ru_maxrss would also count the
    # benchmark process's memory at fork time.
    probe = ("import re, sys, time; from stancekit.cli import cli; t = time.perf_counter()\n"
             "try:\n    cli(args=sys.argv[1:], standalone_mode=False)\nfinally:\n"
             "    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
             "    print('BENCH', time.perf_counter() - t, int(hwm) / 1024, file=sys.stderr)")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    line = next((l for l in proc.stderr.splitlines() if l.startswith("BENCH")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"stancekit {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    _, inside, rss = line.split()
    return {"wall_s": wall, "in_process_s": float(inside), "peak_rss_mb": float(rss)}


def stage_timings(corpus: Path, classifier, repeats: int) -> dict:
    """Seconds per stage (load, segment, classify, aggregate, report) on one corpus, in-process."""
    from stancekit import load_articles, segment
    from stancekit.pipeline import Analysis, classify_articles
    from stancekit.aggregate import build_tables

    out: dict = {}
    t, runs, articles = timed(lambda: load_articles(corpus), repeats)
    out["load"] = {"median_s": t, "runs": runs}
    t, runs, segs = timed(lambda: [segment(a.text) for a in articles], repeats)
    n_claims = sum(s.is_claim for doc in segs for s in doc)
    out["segment"] = {"median_s": t, "runs": runs}
    t, runs, (rows, docs) = timed(lambda: classify_articles(articles, classifier), repeats)
    out["segment+classify"] = {"median_s": t, "runs": runs}
    analysis = Analysis(__import__("pandas").DataFrame(rows), docs[:200])
    t, runs, tables = timed(lambda: build_tables(analysis.claims), repeats)
    out["aggregate"] = {"median_s": t, "runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        t, runs, _ = timed(lambda: analysis.write(tmp, tables=tables), repeats)
    out["report"] = {"median_s": t, "runs": runs}
    out["classify"] = {"median_s": out["segment+classify"]["median_s"] - out["segment"]["median_s"]}
    out["n_articles"], out["n_claims"] = len(articles), n_claims
    out["claims_per_s_classify"] = n_claims / out["classify"]["median_s"]
    return out


def backend_table(claims: list[str], devset, repeats: int) -> dict:
    """Side by side on the same claims: every backend's in-process claims/s and label agreement with
    torch fp32, and its macro-F1 and agreement on the dev set (trained on: backend parity only)."""
    from sklearn.metrics import f1_score

    from stancekit.classifiers.backends import candidate_backends, load_backend
    from stancekit.classifiers.registry import DEFAULT_MODEL
    from stancekit.schema import LABELS

    dev_texts, dev_gold = list(devset["text"]), list(devset["stance"])
    out, base, dev_base = {}, None, None
    for backend in candidate_backends():
        clf = load_backend(DEFAULT_MODEL, backend)
        clf.predict_proba(claims[:32])  # warm-up (and, for torch int8, the quantization)
        t, runs, proba = timed(lambda: clf.predict_proba(claims), repeats)
        labels = proba.argmax(axis=1)
        dev_labels = clf.predict_proba(dev_texts).argmax(axis=1)
        base = labels if base is None else base
        dev_base = dev_labels if dev_base is None else dev_base
        out[backend] = {
            "claims_per_s": len(claims) / t, "runs": runs, "label_agreement_with_fp32": float((labels == base).mean()),
            "devset_label_agreement_with_fp32": float((dev_labels == dev_base).mean()),
            "devset_macro_f1_trained_on": f1_score(dev_gold, [LABELS[i] for i in dev_labels], labels=list(LABELS),
                                                   average="macro")}
        b = out[backend]
        print(f"backend {backend:9s}: {b['claims_per_s']:6.0f} claims/s ({spread(runs)}), agreement with torch "
              f"fp32 {b['label_agreement_with_fp32']:.4f} ({len(claims)} claims), "
              f"{b['devset_label_agreement_with_fp32']:.4f} (dev set, {len(dev_texts)} claims); dev-set macro-F1 "
              f"{b['devset_macro_f1_trained_on']:.3f} (trained-on, for backend parity only)", flush=True)
    return out


#: A plain transformers pipeline over the same weights (loaded by stancekit: the model folder keeps only
#: the weights that differ from the base encoder), in a new process like `stancekit classify`.
PLAIN_PIPELINE = """
import json, sys, time
start = time.perf_counter()
from transformers import pipeline
from stancekit.classifiers.transformer import TransformerClassifier
from stancekit.classifiers.registry import DEFAULT_MODEL
clf = TransformerClassifier.load(DEFAULT_MODEL, backend="fp32")
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
classify = pipeline("text-classification", model=clf.model_, tokenizer=clf.tokenizer_, device=-1, top_k=None,
                    truncation=True, max_length=clf.max_length)
labels = [max(scores, key=lambda s: s["score"])["label"] for scores in classify(texts)]
json.dump(labels, open(sys.argv[2], "w"))
"""


def whole_process(claims: list[str], repeats: int) -> dict:
    """New processes, model load included: `stancekit classify` (auto backend) against a plain
    transformers pipeline on the same claims, and the label agreement of the two."""
    from stancekit.classifiers.backends import choose_backend
    from stancekit.classifiers.registry import DEFAULT_MODEL

    out: dict = {"n_claims": len(claims), "auto_backend": choose_backend(DEFAULT_MODEL)}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "claims.jsonl"
        data.write_text("".join(json.dumps({"text": t}) + "\n" for t in claims), encoding="utf-8")
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", PLAIN_PIPELINE, str(data), f"{tmp}/plain.json"],
                                  capture_output=True, text=True, cwd=ROOT)
            runs.append(time.perf_counter() - start)
            if proc.returncode:
                raise SystemExit(f"plain pipeline failed:\n{proc.stderr[-2000:]}")
        plain = json.loads(Path(f"{tmp}/plain.json").read_text())
        out["transformers_pipeline"] = {"median_s": statistics.median(runs), "runs": runs,
                                        "claims_per_s": len(claims) / statistics.median(runs)}
        print(f"whole process, {len(claims)} claims: transformers pipeline (fp32) "
              f"{out['transformers_pipeline']['claims_per_s']:.0f} claims/s ({spread(runs)})", flush=True)
        result = Path(tmp) / "stancekit.jsonl"
        cli = [run_cli(["classify", str(data), "--out", str(result)]) for _ in range(repeats)]
        walls = [c["wall_s"] for c in cli]
        labels = [json.loads(line)["stance"] for line in open(result, encoding="utf-8")]
        wall = statistics.median(walls)
        entry = {"median_s": wall, "runs": cli, "claims_per_s": len(claims) / wall,
                 "label_agreement_with_pipeline": sum(a == b for a, b in zip(labels, plain)) / len(claims)}
        entry["speedup_vs_pipeline"] = entry["claims_per_s"] / out["transformers_pipeline"]["claims_per_s"]
        out["stancekit_classify"] = entry
        print(f"whole process: stancekit classify (auto = {out['auto_backend']}) {entry['claims_per_s']:.0f} claims/s "
              f"({spread(walls)}), {entry['speedup_vs_pipeline']:.1f}x the pipeline, label agreement with it "
              f"{entry['label_agreement_with_pipeline']:.4f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", action="store_true", help="update benchmarks/results/ (default: benchmarks/.cache/)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--end-to-end", metavar="SIZES", help="only the end-to-end compare rows for these "
                        "corpus sizes (comma-separated, e.g. 1000,10000), saved to speed-end-to-end.json")
    args = parser.parse_args()
    if args.end_to_end:
        return end_to_end_only([int(n) for n in args.end_to_end.split(",")], args.repeats, args.save)
    from stancekit.classifiers import load_classifier
    from stancekit.classifiers.backends import cpu_description
    from stancekit.data import load_devset, load_seeds, load_training

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cpu = cpu_description()
    print(f"CPU: {cpu['model']}, {cpu['cores']} cores; flags: {' '.join(cpu['flags'])}", flush=True)
    sizes = [30] if args.quick else [100]
    print("environment:", environment(), flush=True)
    report: dict = {"quick": args.quick, "repeats": args.repeats, "cpu_count": os.cpu_count(), "cpu": cpu}
    start = time.perf_counter()
    load_classifier()  # with 'auto' on a new CPU, this measures the backends first
    report["model_load_s_warm"] = time.perf_counter() - start

    claims = list(load_seeds()["text"]) + list(load_training()["text"])
    claims = claims[:200] if args.quick else claims[:1000]
    devset = load_devset()
    devset = devset.select(range(200)) if args.quick else devset
    report["backends"] = backend_table(claims, devset, args.repeats)
    _save(report, args.quick, args.save)
    report["whole_process"] = whole_process(claims, args.repeats)
    _save(report, args.quick, args.save)

    cold = [run_cli(["compare", "seeds/", "--out", tempfile.mkdtemp()]) for _ in range(args.repeats)]
    report["cold_compare_seeds"] = {"median_s": statistics.median(c["wall_s"] for c in cold), "runs": cold}
    print(f"cold `stancekit compare seeds/` (new process, model load included): "
          f"{report['cold_compare_seeds']['median_s']:.2f} s ({spread([c['wall_s'] for c in cold])})", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        classifier = load_classifier()
        report["stages_seeds"] = stage_timings(SEEDS, classifier, args.repeats)
        report["corpora"] = {}
        for n in sizes:
            corpus = synthetic_corpus(Path(tmp), n)
            entry = {"stages": stage_timings(corpus, classifier, args.repeats)} if n <= 1000 else {}
            entry["end_to_end"] = end_to_end(corpus, Path(tmp) / f"out{n}", n, 1 if n >= 10000 else args.repeats)
            report["corpora"][str(n)] = entry
            _save(report, args.quick, args.save)
    if "1000" in report["corpora"] and "10000" in report["corpora"]:
        report["rss_growth_1k_to_10k"] = rss_growth(report, 1000, 10000)
    print(f"saved {_save(report, args.quick, args.save)}")


def end_to_end(corpus: Path, out: Path, n: int, repeats: int) -> dict:
    """`stancekit compare` on one synthetic corpus in new processes: median wall time, claims/s, peak RSS."""
    runs = [run_cli(["compare", str(corpus), "--out", str(out)]) for _ in range(repeats)]
    n_claims = sum(1 for _ in open(out / "claims.jsonl", encoding="utf-8"))
    wall = statistics.median(r["wall_s"] for r in runs)
    entry = {"median_s": wall, "runs": runs, "n_claims": n_claims, "claims_per_s": n_claims / wall,
             "articles_per_s": n / wall, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
    print(f"compare {n} articles ({n_claims} claims): {wall:.1f} s, {n_claims / wall:.0f} claims/s, "
          f"{n / wall:.1f} articles/s, peak RSS {entry['peak_rss_mb']:.0f} MB "
          f"({spread([r['wall_s'] for r in runs])})", flush=True)
    return entry


def rss_growth(report: dict, small: int, large: int) -> float:
    """Relative growth of end-to-end peak RSS from ``small`` to ``large`` articles (printed too)."""
    a, b = (report["corpora"][str(n)]["end_to_end"]["peak_rss_mb"] for n in (small, large))
    print(f"peak RSS {small:,} -> {large:,} articles: {a:.0f} -> {b:.0f} MB ({(b / a - 1) * 100:+.1f}%)")
    return b / a - 1


def end_to_end_only(sizes: list[int], repeats: int, save: bool) -> None:
    """The end-to-end rows alone (10,000 articles once, the others ``repeats`` times), and RSS growth."""
    report = {"repeats": repeats, "cpu_count": os.cpu_count(), "corpora": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            corpus = synthetic_corpus(Path(tmp), n)
            report["corpora"][str(n)] = {
                "end_to_end": end_to_end(corpus, Path(tmp) / f"out{n}", n, 1 if n >= 10000 else repeats)}
    report["rss_growth"] = {"from": min(sizes), "to": max(sizes),
                            "growth": rss_growth(report, min(sizes), max(sizes))}
    out = output_dir(save) / "speed-end-to-end.json"
    out.write_text(json.dumps({"environment": environment(), **report}, indent=2) + "\n")
    print(f"saved {out}")


def _save(report: dict, quick: bool, save: bool) -> Path:
    out = output_dir(save) / ("speed-quick.json" if quick else "speed.json")
    out.write_text(json.dumps({"environment": environment(), **report}, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
