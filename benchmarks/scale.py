"""Scale-out: ``compare --engine dask`` with 1 and 2 local workers, and what 10 million articles need.

Runs the distributed compare on the synthetic corpus of speed.py (resampled seed segments, .jsonl
shards of 500 articles) with a local cluster of 1 worker (2 torch threads) and of 2 workers
(1 thread each), on the same machine in one run. Reports claims/s, the cluster's start-up time,
each worker's peak RSS and the driver's, checks that both runs wrote the same files, and turns
the measured per-core throughput into an estimate for 10 million articles.

    python benchmarks/scale.py                    # 10,000 articles (about 25 minutes on 2 cores)
    python benchmarks/scale.py --articles 1000    # a shorter run

writes benchmarks/results/scale-N.json and scale-N.md (N articles) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import environment, output_dir

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import synthetic_corpus  # noqa: E402

#: For the estimate: articles to analyse, and the cores of one cluster node.
TARGET_ARTICLES = 10_000_000
NODE_CORES = 16


def peak_rss_mb() -> float:
    """Peak RSS of the calling process, in MB (run on each worker through client.run)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(corpus: Path, out: Path, workers: int, cores: int) -> dict:
    """One distributed compare on a fresh local cluster; throughput and memory."""
    from dask.distributed import Client

    import stancekit.runs.dask as distributed
    from stancekit import compare_on_dask
    from stancekit.runs.dask import local_cluster

    tail = []  # seconds of the driver's part: group-by aggregation and writing the outputs
    write_outputs = distributed._write_outputs

    def timed_write(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return write_outputs(*args, **kwargs)
        finally:
            tail.append(time.perf_counter() - begin)

    distributed._write_outputs = timed_write
    start = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        started = time.perf_counter() - start
        begin = time.perf_counter()
        result = compare_on_dask([corpus], out=out, scheduler=cluster.scheduler_address,
                                 model_threads=max(1, cores // workers))
        wall = time.perf_counter() - begin
        workers_rss = sorted(client.run(peak_rss_mb).values())
    distributed._write_outputs = write_outputs
    n_claims = sum(1 for _ in open(out / "claims.jsonl", encoding="utf-8"))
    return {"workers": workers, "torch_threads_per_worker": max(1, cores // workers),
            "cluster_start_s": started, "wall_s": wall, "aggregate_and_write_s": sum(tail),
            "articles": result.processed, "claims": n_claims, "claims_per_s": n_claims / wall,
            "articles_per_s": result.processed / wall, "worker_peak_rss_mb": workers_rss}


def estimate(best: dict, cores: int, claims_per_article: float) -> dict:
    """Core-hours and cluster size for TARGET_ARTICLES from the measured per-core throughput."""
    per_core = best["claims_per_s"] / cores
    claims = TARGET_ARTICLES * claims_per_article
    core_hours = claims / per_core / 3600
    return {"articles": TARGET_ARTICLES, "claims_per_article": claims_per_article, "claims": claims,
            "claims_per_s_per_core": per_core, "core_hours": core_hours,
            "node_cores": NODE_CORES,
            "hours_by_nodes": {str(n): core_hours / (n * NODE_CORES) for n in (1, 4, 16, 64)}}


def markdown(report: dict) -> str:
    lines = [f"Scale-out on {report['articles']:,} synthetic articles, {report['cores']} cores "
             f"(`python benchmarks/scale.py --articles {report['articles']}`)", "",
             "| Workers | torch threads each | Cluster start (s) | Wall (s) | of which aggregate + write (s) | "
             "Claims/s | Articles/s | Peak RSS per worker (MB) |", "|---|---|---|---|---|---|---|---|"]
    for r in report["runs"]:
        lines.append(f"| {r['workers']} | {r['torch_threads_per_worker']} | {r['cluster_start_s']:.1f} | "
                     f"{r['wall_s']:.0f} | {r['aggregate_and_write_s']:.1f} | {r['claims_per_s']:.0f} | "
                     f"{r['articles_per_s']:.1f} | "
                     f"{', '.join(f'{m:.0f}' for m in r['worker_peak_rss_mb'])} |")
    e = report["estimate"]
    same = ", ".join(f"{name} {'identical' if equal else 'differs'}" for name, equal in report["same_outputs"].items())
    lines += ["", f"The two runs' outputs: {same}. Peak RSS of the driver (this script, with the "
              f"scheduler): {report['driver_peak_rss_mb']:.0f} MB.", "",
              f"Estimate for {e['articles']:,} articles ({e['claims_per_article']:.1f} claims each, "
              f"{e['claims']:,.0f} claims) at {e['claims_per_s_per_core']:.0f} claims/s per core: "
              f"{e['core_hours']:,.0f} core-hours; with {e['node_cores']}-core nodes: "
              + ", ".join(f"{n} nodes {h:,.1f} h" for n, h in e["hours_by_nodes"].items()) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--save", action="store_true", help="update benchmarks/results/ (default: benchmarks/.cache/)")
    args = parser.parse_args()
    print("environment:", environment(), flush=True)
    cores = os.cpu_count() or 1
    report = {"environment": environment(), "articles": args.articles, "cores": cores, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = synthetic_corpus(Path(tmp), args.articles)
        for workers in (1, 2):
            result = run(corpus, Path(tmp) / f"out{workers}", workers, cores)
            print(f"{workers} worker(s): {result['claims_per_s']:.0f} claims/s, {result['wall_s']:.0f} s, "
                  f"cluster start {result['cluster_start_s']:.1f} s, worker peak RSS "
                  f"{', '.join(f'{m:.0f}' for m in result['worker_peak_rss_mb'])} MB", flush=True)
            report["runs"].append(result)
        first, second = Path(tmp) / "out1", Path(tmp) / "out2"
        report["same_outputs"] = {name: (first / name).read_bytes() == (second / name).read_bytes()
                                  for name in ("sources.csv", "claims.jsonl", "report.html", "errors.jsonl")}
    report["driver_peak_rss_mb"] = peak_rss_mb()
    best = max(report["runs"], key=lambda r: r["claims_per_s"])
    report["estimate"] = estimate(best, cores, best["claims"] / best["articles"])
    results = output_dir(args.save)
    name = f"scale-{args.articles}"
    (results / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (results / f"{name}.md").write_text(markdown(report))
    print(markdown(report))
    print(f"saved {results / name}.json and .md")


if __name__ == "__main__":
    main()
