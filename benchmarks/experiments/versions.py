"""End-to-end `stancekit compare` of this checkout against an earlier revision, side by side.

Both run in new processes over the same synthetic corpus (speed.py's: resampled seed segments,
30-50 per article), alternating, so load on the machine hits both alike. The earlier revision is
exported with `git archive` into a temporary folder and run from there with the same Python.

    python benchmarks/experiments/versions.py --rev e4538c0 --articles 100 --repeats 2
    python benchmarks/experiments/versions.py --rev a955795 --seeds --repeats 5   # cold compare seeds/

prints the CPU, each run's wall time and claims/s, and the ratio of the medians, and writes
benchmarks/.cache/versions.json (versions-seeds.json with --seeds; benchmarks/results/ with --save).
The earlier revision runs with this environment's packages, so its own dependencies must be
installed (revisions before b35ff74 draw the report with matplotlib).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import environment, output_dir  # noqa: E402
from speed import synthetic_corpus  # noqa: E402

ROOT = HERE.parents[1]


def export_revision(rev: str, folder: Path) -> Path:
    """The tree of ``rev`` under ``folder`` (git archive)."""
    archive = folder / "rev.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    return folder / "tree"


def run_compare(tree: Path, corpus: Path, out: Path) -> float:
    """Wall seconds of `stancekit compare CORPUS` with the package in ``tree``, in a new process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from stancekit.cli import main; main()", "compare", str(corpus),
                    "--out", str(out)], cwd=tree, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - start


def claims_in(out: Path) -> int:
    with open(out / "claims.jsonl", encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="e4538c0", help="earlier revision to compare against")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seeds", action="store_true", help="compare the seed articles (a cold start) instead")
    parser.add_argument("--save", action="store_true", help="update benchmarks/results/")
    args = parser.parse_args()
    env = environment()
    print(f"CPU: {env.get('cpu')}  flags: {env.get('cpu_flags')}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = ROOT / "seeds" if args.seeds else synthetic_corpus(tmp, args.articles)
        trees = {"this checkout": ROOT, args.rev: export_revision(args.rev, tmp)}
        for name, tree in trees.items():  # warm-up: caches (ONNX graphs, backend choice) and page cache
            run_compare(tree, corpus, tmp / "warm")
        runs = {name: [] for name in trees}
        claims = {}
        for repeat in range(args.repeats):
            for name, tree in trees.items():
                out = tmp / f"out-{repeat}-{len(runs[name])}-{name.replace(' ', '_')}"
                runs[name].append(run_compare(tree, corpus, out))
                claims[name] = claims_in(out)
                print(f"{name}: {runs[name][-1]:.1f} s, {claims[name] / runs[name][-1]:.1f} claims/s")
    medians = {name: statistics.median(times) for name, times in runs.items()}
    ratio = medians[args.rev] / medians["this checkout"]
    what = "the seeds" if args.seeds else f"{args.articles} articles"
    print(f"{what}, {claims['this checkout']} claims: this checkout "
          f"{medians['this checkout']:.1f} s, {args.rev} {medians[args.rev]:.1f} s -> {ratio:.2f}x")
    result = {"environment": env, "corpus": "seeds" if args.seeds else f"synthetic, {args.articles} articles",
              "claims": claims, "seconds": runs,
              "median_seconds": medians, "speedup": round(ratio, 2)}
    path = output_dir(args.save) / ("versions-seeds.json" if args.seeds else "versions.json")
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
