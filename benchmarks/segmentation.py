"""Segmenter quality on the gold seeds: claim flags and speaker attribution against the gold labels.

    python benchmarks/segmentation.py [--save]   # prints the figures; saves segmentation.json in
                                                 # benchmarks/.cache/ (with --save, benchmarks/results/)
"""

from __future__ import annotations

import argparse
import json

from _common import environment, output_dir

from stancekit import load_articles, segment
from stancekit.data import SEEDS_DIR, read_jsonl

def same_speaker(predicted: str, gold: str) -> bool:
    """Same person or group: equal, or one name's last word appears in the other (surname match)."""
    p, g = predicted.lower().strip(), gold.lower().strip()
    return p == g or p.split()[-1] in g.split() or g.split()[-1] in p.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="update benchmarks/results/segmentation.json")
    args = parser.parse_args()
    gold = {(r["doc_id"], r["seg_id"]): r for r in read_jsonl(SEEDS_DIR / "labels.jsonl")}
    adjudication = read_jsonl(SEEDS_DIR / "labeling" / "pass2.jsonl") + read_jsonl(SEEDS_DIR / "labeling" / "pass1.jsonl")
    boundary_flags = {(r["doc_id"], r["seg_id"]) for r in adjudication if not r.get("boundary_ok", True)}
    n = offset_mismatch = claim_errors = 0
    tp = fp = fn = 0
    claim_mistakes, speaker_mistakes = [], []
    for article in load_articles(SEEDS_DIR):
        for seg in segment(article.text):
            n += 1
            g = gold[(article.doc_id, seg.seg_id)]
            offset_mismatch += (g["start"], g["end"]) != (seg.start, seg.end)
            if g["is_claim"] != seg.is_claim:
                claim_errors += 1
                claim_mistakes.append(seg.text)
            if not g["is_claim"]:
                continue
            if seg.speaker and g["speaker"] and same_speaker(seg.speaker, g["speaker"]):
                tp += 1
            else:
                fp += bool(seg.speaker)
                fn += bool(g["speaker"])
                if seg.speaker or g["speaker"]:
                    speaker_mistakes.append({"text": seg.text[:90], "predicted": seg.speaker, "gold": g["speaker"]})
    result = {
        "segments": n, "offset_mismatches_with_gold": offset_mismatch,
        "boundary_errors_flagged_by_annotators": len(boundary_flags),
        "boundary_error_rate": len(boundary_flags) / n,
        "is_claim_errors": claim_errors, "is_claim_mistakes": claim_mistakes,
        "speaker_precision": tp / max(tp + fp, 1), "speaker_recall": tp / max(tp + fn, 1),
        "speaker_counts": {"correct": tp, "wrong_or_spurious": fp, "missed_or_wrong": fn},
        "speaker_mistakes": speaker_mistakes,
    }
    out = output_dir(args.save) / "segmentation.json"
    out.write_text(json.dumps({"environment": environment(), **result}, indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    for key in ("segments", "offset_mismatches_with_gold", "boundary_errors_flagged_by_annotators",
                "boundary_error_rate", "is_claim_errors", "speaker_precision", "speaker_recall", "speaker_counts"):
        print(f"{key}: {result[key]}")
    for m in speaker_mistakes:
        print(f"  speaker: predicted {m['predicted']!r} gold {m['gold']!r} :: {m['text']}")


if __name__ == "__main__":
    main()
