"""Source against source: differences in net stance with intervals, Jensen-Shannon divergence, ranking.

These work on per-source results ((net stance, standard error, degrees of freedom), label shares,
a by_source table); ``aggregate.pairwise`` and ``aggregate.divergence_matrix`` compute them from a
claims frame. A ranking only orders sources whose difference in net stance is supported by its
95% interval: the others share a rank.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .errors import UsageError
from .schema import LABELS

PAIRWISE_COLUMNS: tuple[str, ...] = ("source_a", "source_b", "diff", "ci_low", "ci_high", "separated", "jsd")

#: Coverage of every interval stancekit reports on net stance.
LEVEL = 0.95


def t_quantile(df: float) -> float:
    """The Student t quantile that a LEVEL two-sided interval with ``df`` degrees of freedom uses."""
    from scipy.special import stdtrit  # imported here: scipy.special and scipy.stats slow every start

    return float(stdtrit(df, (1 + LEVEL) / 2))


def jensen_shannon(p, q) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) between two distributions over the same labels."""
    from scipy.spatial.distance import jensenshannon

    distance = jensenshannon(_normalise(p), _normalise(q), base=2)
    return float(min(1.0, max(0.0, distance ** 2)))


def difference(a: tuple[float, float, float], b: tuple[float, float, float]) -> tuple[float, float, float]:
    """net(a) - net(b) with its 95% interval, from each side's (net, standard error, degrees of freedom).

    A Welch t interval: the standard errors add in quadrature and the degrees of freedom follow
    Welch-Satterthwaite, so a side with few articles widens the interval as it does its own.
    """
    (net_a, se_a, df_a), (net_b, se_b, df_b) = a, b
    variance = se_a ** 2 + se_b ** 2
    diff = net_a - net_b
    if variance == 0:
        return diff, diff, diff
    df = variance ** 2 / (se_a ** 4 / df_a + se_b ** 4 / df_b)
    half = t_quantile(df) * np.sqrt(variance)
    return diff, max(-2.0, diff - half), min(2.0, diff + half)


def pairwise_from(spreads: dict[str, tuple[float, float, float]], shares: dict[str, np.ndarray]) -> pd.DataFrame:
    """The pairwise table from each source's (net stance, standard error, degrees of freedom) and label shares;
    ``separated`` is true where the interval excludes 0."""
    rows = []
    for a, b in combinations(sorted(spreads), 2):
        diff, low, high = difference(spreads[a], spreads[b])
        rows.append({"source_a": a, "source_b": b, "diff": diff, "ci_low": low, "ci_high": high,
                     "separated": bool(low > 0 or high < 0), "jsd": jensen_shannon(shares[a], shares[b])})
    return pd.DataFrame(rows, columns=list(PAIRWISE_COLUMNS))


def divergence_from(shares: dict[str, np.ndarray]) -> pd.DataFrame:
    """The divergence matrix from each source's label shares."""
    names = sorted(shares)
    values = [[jensen_shannon(shares[a], shares[b]) for b in names] for a in names]
    return pd.DataFrame(values, index=pd.Index(names, name="source"), columns=names, dtype=np.float64)


def ranking(by_source_table: pd.DataFrame, pairwise_table: pd.DataFrame) -> pd.DataFrame:
    """Sources from most against to most in favor, rank 1 = most against, where the pairwise intervals
    support it: a source shares its rank with every source it cannot be told apart from (and with
    those between them), so each rank is above every lower one for every pair across them."""
    missing = {"source", "net_stance"} - set(by_source_table.columns)
    if missing:
        raise UsageError(f"ranking needs a by_source table with columns source and net_stance; "
                         f"missing {sorted(missing)}, found {list(by_source_table.columns)}.")
    ordered = by_source_table.sort_values(["net_stance", "source"], kind="mergesort").reset_index(drop=True)
    ordered.insert(0, "rank", _ranks(list(ordered["source"]), _separated_pairs(pairwise_table)))
    return ordered


def _separated_pairs(pairwise_table: pd.DataFrame) -> set[frozenset]:
    """The pairs of sources whose difference in net stance is told apart by its interval."""
    rows = pairwise_table[pairwise_table["separated"].astype(bool)]
    return {frozenset(pair) for pair in zip(rows["source_a"], rows["source_b"])}


def _ranks(names: list[str], separated: set[frozenset]) -> list[int]:
    """Ranks of ``names`` (in net stance order): a source starts a new rank only if every earlier
    source is told apart from it and from every later one."""
    # reach[j]: the first earlier source that j cannot be told apart from; a rank spans every such range
    reach = [next(i for i in range(j + 1) if i == j or frozenset((names[i], names[j])) not in separated)
             for j in range(len(names))]
    ranks, rank = [], 0
    for i in range(len(names)):
        rank += min(reach[i:]) == i
        ranks.append(rank)
    return ranks


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
