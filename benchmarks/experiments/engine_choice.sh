#!/usr/bin/env bash
# Ray Data or Dask for `compare --engine`: install time, installed size beyond stancekit's own
# dependencies, and local-mode start-up (2 worker processes, one trivial task), measured here.
# Each engine goes into a fresh venv with pandas and pyarrow (which stancekit already has).
#   bash benchmarks/experiments/engine_choice.sh    -> benchmarks/results/engine_choice.md
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"  # benchmarks/
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="$HERE/results/engine_choice.md"
mkdir -p "$HERE/results"
echo "| engine | install (s) | installed size beyond pandas + pyarrow (MB) | local start-up, 2 workers (s, 3 runs) |" > "$OUT"
echo "|---|---|---|---|" >> "$OUT"
for engine in dask ray; do
  venv="$WORK/$engine"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas pyarrow
  before=$(du -sm "$venv" | cut -f1)
  spec='dask[distributed,dataframe]'; [ "$engine" = ray ] && spec='ray[data]'
  start=$(date +%s.%N)
  "$venv/bin/pip" install -q "$spec"
  took=$(echo "$(date +%s.%N) - $start" | bc)
  after=$(du -sm "$venv" | cut -f1)
  if [ "$engine" = dask ]; then
    probe='
import time
from dask.distributed import Client, LocalCluster
if __name__ == "__main__":
    t = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as c, Client(c) as client:
        client.submit(abs, -1).result()
    print(f"{time.perf_counter() - t:.2f}")'
  else
    probe='
import time, ray
t = time.perf_counter()
ray.init(num_cpus=2, include_dashboard=False)
ray.get(ray.remote(lambda x: abs(x)).remote(-1))
print(f"{time.perf_counter() - t:.2f}")
ray.shutdown()'
  fi
  starts=$(for i in 1 2 3; do "$venv/bin/python" -c "$probe" 2>"$WORK/$engine.err" | tail -1; done | paste -sd, -)
  printf "| %s | %.0f | %s | %s |\n" "$engine" "$took" "$((after - before))" "$starts" >> "$OUT"
done
cat "$OUT"
