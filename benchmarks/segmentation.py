"""Segmenter speed and quality: time against input size, sentence splitters compared, speakers before/after.

    python benchmarks/segmentation.py [--save] [--before REF] [--skip-30mb]

Prints the CPU, then segment+speaker time for single-paragraph texts of 0.1 to 5 MB and 30 MB (built by
repeating devset sentences; wall and CPU seconds, s/MB), the splitters compared on the seeds' gold
segments and the devset's (exact segments found, MB/s), and speaker precision/recall on both, for this
code and for the code at REF (default: the last commit that split with pySBD), run from a temporary
checkout. Saves segmentation.json in benchmarks/.cache/ (with --save, benchmarks/results/).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from unittest import mock

from _common import HERE, environment, output_dir

BEFORE = "e4538c0"  # the last commit that split sentences with pySBD and scanned the text per surname
SIZES_MB = (0.1, 0.3, 1, 2, 5)


def same_speaker(predicted: str, gold: str) -> bool:
    """Same person or group: equal, or one name's last word appears in the other (surname match);
    curly and straight apostrophes count as the same (the gold labels write O'Hara for O’Hara)."""
    p, g = (name.lower().strip().replace("’", "'") for name in (predicted, gold))
    return p == g or p.split()[-1] in g.split() or g.split()[-1] in p.split()


def gold_sets(seeds_dir: Path, devset_dir: Path) -> dict[str, list[tuple[str, list[dict]]]]:
    """Per gold set, (article text, gold segments in order) for each article."""
    from stancekit.data import read_jsonl

    sets = {}
    for name, folder, labels in (("seeds", seeds_dir, seeds_dir / "labels.jsonl"),
                                 ("devset", devset_dir, devset_dir / "claims.jsonl")):
        by_doc: dict[str, list[dict]] = {}
        for row in read_jsonl(labels):
            by_doc.setdefault(row["doc_id"], []).append(row)
        text_dir = folder / "articles" if (folder / "articles").is_dir() else folder
        sets[name] = [((text_dir / f"{doc}.txt").read_text(encoding="utf-8"), rows) for doc, rows in by_doc.items()]
    return sets


def quality(articles: list[tuple[str, list[dict]]]) -> dict:
    """Gold segments found exactly (same start and end), claim flags that differ on those, and speaker
    precision/recall on the gold claims."""
    from stancekit import segment

    found = claim_errors = tp = fp = fn = 0
    started = time.perf_counter()
    for text, rows in articles:
        segs = segment(text)
        spans = {(s.start, s.end): s for s in segs}
        for row in rows:
            same = spans.get((row["start"], row["end"]))
            found += same is not None
            claim_errors += same is not None and same.is_claim != row["is_claim"]
            if not row["is_claim"]:
                continue
            seg = next((s for s in segs if s.start <= row["start"] < s.end), None)
            predicted, gold = seg.speaker if seg else None, row["speaker"]
            if predicted and gold and same_speaker(predicted, gold):
                tp += 1
            else:
                fp, fn = fp + bool(predicted), fn + bool(gold)
    n = sum(len(rows) for _, rows in articles)
    return {"gold_segments": n, "exact_segments": found, "segment_accuracy": round(found / n, 4),
            "is_claim_errors": claim_errors, "seconds": round(time.perf_counter() - started, 2),
            "speaker_precision": round(tp / max(tp + fp, 1), 4), "speaker_recall": round(tp / max(tp + fn, 1), 4),
            "speaker_counts": {"correct": tp, "wrong_or_spurious": fp, "missed_or_wrong": fn}}


def paragraph(sentences: list[str], mb: float) -> str:
    """One line of about ``mb`` MB (UTF-8): the sentences repeated in order, joined by spaces."""
    out, size, i = [], 0, 0
    while size < mb * 1e6:
        out.append(sentences[i % len(sentences)])
        size += len(out[-1].encode("utf-8")) + 1
        i += 1
    return " ".join(out)


def timed(text: str) -> dict:
    """segment() (sentences, boilerplate and speakers) on ``text``: wall and CPU seconds."""
    from stancekit import segment

    wall, cpu = time.perf_counter(), time.process_time()
    n = len(segment(text))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mb = len(text.encode("utf-8")) / 1e6
    return {"mb": round(mb, 2), "segments": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "wall_s_per_mb": round(wall / mb, 2), "cpu_s_per_mb": round(cpu / mb, 2)}


def splitting_speed(text: str) -> float:
    """MB per second of sentence splitting alone (no boilerplate or speaker rules) on ``text``."""
    seg = importlib.import_module("stancekit.segment")

    started = time.perf_counter()
    for line_start, line_end in seg._line_spans(text):
        for _span in seg._sentence_spans(text, line_start, line_end):
            pass
    return round(len(text.encode("utf-8")) / 1e6 / (time.perf_counter() - started), 3)


def measure(seeds_dir: Path, devset_dir: Path) -> dict:
    """Quality on both gold sets and splitting speed on 0.3 MB of devset text, for the importable stancekit."""
    sets = gold_sets(seeds_dir, devset_dir)
    sample = "\n\n".join(text for text, _ in sets["devset"])
    sample = "\n\n".join([sample] * max(1, int(0.3e6 / len(sample.encode("utf-8")))))
    return {name: quality(articles) for name, articles in sets.items()} | {"split_mb_per_s": splitting_speed(sample)}


def measure_before(ref: str, seeds_dir: Path, devset_dir: Path) -> dict:
    """measure() on the stancekit of git ``ref``, unpacked in a temporary folder and run in a subprocess."""
    archive = subprocess.run(["git", "archive", ref, "stancekit"], capture_output=True, cwd=HERE.parent,
                             check=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        tarfile.open(fileobj=BytesIO(archive)).extractall(folder, filter="data")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, str(HERE)])}
        done = subprocess.run([sys.executable, __file__, "--measure", str(seeds_dir), str(devset_dir)],
                              capture_output=True, text=True, env=env)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout)


def describe(part: str, q: dict) -> str:
    """One gold set's figures in a line."""
    return (f"{part} {q['exact_segments']}/{q['gold_segments']} segments exact ({q['segment_accuracy']:.1%}), "
            f"{q['is_claim_errors']} claim flags wrong, speakers P {q['speaker_precision']:.3f} "
            f"R {q['speaker_recall']:.3f}, {q['seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="update benchmarks/results/segmentation.json")
    parser.add_argument("--before", default=BEFORE, help=f"git ref of the code to compare with (default {BEFORE})")
    parser.add_argument("--skip-30mb", action="store_true", help="leave out the 30 MB text")
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    from stancekit.data import DEVSET_DIR, SEEDS_DIR

    env = environment()
    print(f"CPU: {env['cpu']} ({env['cores']} cores), commit {env['commit']}")
    sentences = [row["text"] for _, rows in gold_sets(SEEDS_DIR, DEVSET_DIR)["devset"] for row in rows
                 if row["is_claim"] and row["text"][-1] in ".?!\"”"]
    scaling = []
    for mb in (*SIZES_MB, *(() if args.skip_30mb else (30,))):
        scaling.append(timed(paragraph(sentences, mb)))
        print("single paragraph {mb} MB: {segments} segments, {wall_s} s wall ({wall_s_per_mb} s/MB), "
              "{cpu_s} s CPU ({cpu_s_per_mb} s/MB)".format(**scaling[-1]), flush=True)
    segment_module = importlib.import_module("stancekit.segment")
    splitters = {"blingfire, mended (this code)": measure(SEEDS_DIR, DEVSET_DIR)}
    with mock.patch.object(segment_module, "_repaired", lambda line, starts: starts):
        splitters["blingfire alone"] = measure(SEEDS_DIR, DEVSET_DIR)
    splitters[f"pySBD ({args.before}, before)"] = measure_before(args.before, SEEDS_DIR, DEVSET_DIR)
    for name, found in splitters.items():
        if "error" in found:
            print(f"{name}: not measured: {found['error']}")
            continue
        print(f"{name}: splits {found['split_mb_per_s']} MB/s; "
              + "; ".join(describe(part, found[part]) for part in ("seeds", "devset")))
    out = output_dir(args.save) / "segmentation.json"
    found = {"environment": env, "single_paragraph_scaling": scaling, "splitters": splitters}
    out.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
