"""Coverage of the net-stance intervals on simulated sources with 1, 2, 3, 5 and 10 articles each.

    python benchmarks/coverage.py [--replicates 4000] [--save]   # prints the table; saves coverage.json
                                                                 # in benchmarks/.cache/ (--save: results/)

Generative model, per replicate source: true shares (favor, against, none) ~ Dirichlet(2, 2, 2), the
true net stance being favor - against; each article draws its own shares ~ Dirichlet(kappa * truth)
(kappa small = articles of one source differ a lot: kappa = 5, 15, 50 give an article net-stance SD
of about 0.33, 0.20, 0.11 around the source's; on the dev set's gold labels the articles of one
leaning deviate by about 0.2 once their claims' own noise is removed). The "mixed" rows draw kappa
per source, log-uniform in [5, 50]; the others fix it. Each article has 10-60 claims drawn from
its shares. Coverage is the share of replicates whose 95%
interval holds the true net stance (and, for pairs of sources, the true difference). Side by side, the
same draws through the interval stancekit used before: a percentile bootstrap resampling articles.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _common import environment, output_dir

from stancekit.aggregate import spread_of, t_interval
from stancekit.pairwise import difference

ARTICLES = (1, 2, 3, 5, 10)
KAPPAS = {"mixed": None, "strong": 5.0, "devset-like": 15.0, "weak": 50.0}  # how much a source's articles differ


def simulate_source(rng: np.random.Generator, n_articles: int,
                    kappa: float | None) -> tuple[float, np.ndarray, np.ndarray]:
    """(true net stance, article code per claim, per-claim value +1/-1/0) for one simulated source."""
    truth = rng.dirichlet([2.0, 2.0, 2.0])
    kappa = kappa or float(np.exp(rng.uniform(np.log(5.0), np.log(50.0))))
    codes, values = [], []
    for article in range(n_articles):
        shares = rng.dirichlet(np.maximum(kappa * truth, 1e-3))
        counts = rng.multinomial(rng.integers(10, 61), shares)
        values.append(np.repeat([1.0, -1.0, 0.0], counts))
        codes.append(np.full(counts.sum(), article))
    return float(truth[0] - truth[1]), np.concatenate(codes), np.concatenate(values)


def article_bootstrap(codes: np.ndarray, values: np.ndarray, rng: np.random.Generator,
                      n_boot: int = 1000) -> tuple[float, float]:
    """The previous interval: 95% percentile bootstrap of the pooled mean, resampling articles
    (claims when there is one article)."""
    codes = codes if codes.max() > 0 else np.arange(len(codes))
    n_articles = int(codes.max()) + 1
    sums = np.bincount(codes, weights=values, minlength=n_articles)
    counts = np.bincount(codes, minlength=n_articles).astype(np.float64)
    idx = rng.integers(0, n_articles, size=(n_boot, n_articles))
    low, high = np.percentile(sums[idx].sum(axis=1) / counts[idx].sum(axis=1), [2.5, 97.5])
    return float(low), float(high)


def run(n_articles: int, kappa: float | None, replicates: int, seed: int) -> dict:
    """Coverage and mean width of both intervals, and coverage of differences between sources."""
    rng = np.random.default_rng([seed, n_articles, int(kappa or 0)])
    hits = {"t": 0, "bootstrap": 0, "difference": 0}
    widths = {"t": 0.0, "bootstrap": 0.0}
    previous = None
    for _ in range(replicates):
        truth, codes, values = simulate_source(rng, n_articles, kappa)
        spread = spread_of(codes, values)
        for name, (low, high) in (("t", t_interval(*spread, bound=1.0)),
                                  ("bootstrap", article_bootstrap(codes, values, rng))):
            hits[name] += low <= truth <= high
            widths[name] += high - low
        if previous is not None:  # each source against the one before it
            _, low, high = difference(spread, previous[1])
            hits["difference"] += low <= truth - previous[0] <= high
        previous = truth, spread
    return {"articles": n_articles, "kappa": kappa,
            "coverage": round(hits["t"] / replicates, 4),
            "coverage_difference": round(hits["difference"] / (replicates - 1), 4),
            "mean_width": round(widths["t"] / replicates, 3),
            "coverage_article_bootstrap": round(hits["bootstrap"] / replicates, 4),
            "mean_width_article_bootstrap": round(widths["bootstrap"] / replicates, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=4000, help="simulated sources per setting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", action="store_true", help="update benchmarks/results/coverage.json")
    args = parser.parse_args()
    started, rows = time.perf_counter(), []
    print(f"{'articles':>8} {'deviation':>12} {'t interval':>11} {'difference':>11} {'width':>6}"
          f" {'bootstrap':>10} {'width':>6}")
    for label, kappa in KAPPAS.items():
        for n_articles in ARTICLES:
            row = {"deviation": label, **run(n_articles, kappa, args.replicates, args.seed)}
            rows.append(row)
            print(f"{n_articles:>8} {label:>12} {row['coverage']:>11.1%} {row['coverage_difference']:>11.1%}"
                  f" {row['mean_width']:>6.2f} {row['coverage_article_bootstrap']:>10.1%}"
                  f" {row['mean_width_article_bootstrap']:>6.2f}")
    result = {"what": "coverage of 95% net-stance intervals on simulated sources (see benchmarks/coverage.py)",
              "replicates": args.replicates, "seed": args.seed, "rows": rows,
              "seconds": round(time.perf_counter() - started, 1), "environment": environment()}
    path = output_dir(args.save) / "coverage.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
