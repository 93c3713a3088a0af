"""Source against source: differences in net stance with intervals, Jensen-Shannon divergence, ranking.

These work on per-source results (bootstrap replicates, label shares, a by_source table);
``aggregate.pairwise`` and ``aggregate.divergence_matrix`` compute them from a claims frame.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .errors import UsageError
from .schema import LABELS

PAIRWISE_COLUMNS: tuple[str, ...] = ("source_a", "source_b", "diff", "ci_low", "ci_high", "jsd")


def jensen_shannon(p, q) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) between two distributions over the same labels."""
    p, q = _normalise(p), _normalise(q)
    m = (p + q) / 2
    value = (_kl(p, m) + _kl(q, m)) / 2
    return float(min(1.0, max(0.0, value)))


def pairwise_from(boots: dict[str, tuple[float, np.ndarray]], shares: dict[str, np.ndarray]) -> pd.DataFrame:
    """The pairwise table from each source's (net stance, bootstrap replicates) and label shares."""
    rows = []
    for a, b in combinations(sorted(boots), 2):
        diff_boot = boots[a][1] - boots[b][1]
        low, high = np.percentile(diff_boot, [2.5, 97.5])
        rows.append({"source_a": a, "source_b": b, "diff": boots[a][0] - boots[b][0],
                     "ci_low": float(low), "ci_high": float(high),
                     "jsd": jensen_shannon(shares[a], shares[b])})
    return pd.DataFrame(rows, columns=list(PAIRWISE_COLUMNS))


def divergence_from(shares: dict[str, np.ndarray]) -> pd.DataFrame:
    """The divergence matrix from each source's label shares."""
    names = sorted(shares)
    values = [[jensen_shannon(shares[a], shares[b]) for b in names] for a in names]
    return pd.DataFrame(values, index=pd.Index(names, name="source"), columns=names, dtype=np.float64)


def ranking(by_source_table: pd.DataFrame) -> pd.DataFrame:
    """Sources from most against (lowest net stance) to most in favor, with rank 1 = most against."""
    missing = {"source", "net_stance"} - set(by_source_table.columns)
    if missing:
        raise UsageError(f"ranking needs a by_source table with columns source and net_stance; "
                         f"missing {sorted(missing)}, found {list(by_source_table.columns)}.")
    ordered = by_source_table.sort_values(["net_stance", "source"], kind="mergesort")
    ordered = ordered.reset_index(drop=True)
    ordered.insert(0, "rank", np.arange(1, len(ordered) + 1))
    return ordered


def shares_of(by_source_table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per source: the favor/against/none shares of a by_source table."""
    return {row.source: np.array([getattr(row, label) for label in LABELS])
            for row in by_source_table.itertuples()}


def _normalise(p) -> np.ndarray:
    """A non-negative vector rescaled to sum to 1."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or (p < 0).any() or p.sum() <= 0:
        raise UsageError(f"a distribution must be a non-negative vector with a positive sum; got {p!r}.")
    return p / p.sum()


def _kl(p: np.ndarray, m: np.ndarray) -> float:
    """Kullback-Leibler divergence in bits, with 0 log 0 = 0."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))
