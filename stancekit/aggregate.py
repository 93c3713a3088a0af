"""Claims -> per-source stance: shares, net stance with bootstrap intervals, voices, speakers, evidence.

Net stance is the share of claims in favor minus the share against, in [-1, 1]. Its 95% interval
is a percentile bootstrap that resamples whole articles when a group has two or more of them
(claims in one article are not independent), and claims within the article otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .errors import UsageError
from .pairwise import divergence_from, pairwise_from, ranking, shares_of
from .schema import CLAIM_COLUMNS, LABELS, PROB_COLUMNS

#: Columns of the aggregate part of every table below.
STAT_COLUMNS: tuple[str, ...] = (
    "n_claims", *LABELS, "net_stance", "ci_low", "ci_high", "mean_confidence",
)

SOURCE_COLUMNS: tuple[str, ...] = ("source", "n_docs", *STAT_COLUMNS)
VOICE_COLUMNS: tuple[str, ...] = ("source", "voice", "n_docs", *STAT_COLUMNS)
SPEAKER_COLUMNS: tuple[str, ...] = ("speaker", "sources", *STAT_COLUMNS)
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "source", "stance", "rank", "doc_id", "seg_id", "start", "end", "text", "speaker", "probability",
)

#: Keys of the dict build_tables returns (every table the result files show).
TABLE_KEYS: tuple[str, ...] = (
    "by_source", "by_source_weighted", "by_voice", "by_speaker", "pairwise", "divergence", "ranking",
    "evidence",
)

_CHUNK = 1 << 22  # bootstrap index entries drawn at once (bounds memory for one huge article)
_BLOCK = 1 << 16  # index entries gathered at once from the drawn ones

#: summarise(group, position) -> result: one group of claims, with its place in sorted key order.
Summarise = Callable[[pd.DataFrame, int], Any]


class GroupBy(Protocol):
    """How build_tables groups claims: PandasGroupBy on one machine, runs.dask.DaskGroupBy on a cluster."""

    def add_columns(self, claims, derive: Callable[[pd.DataFrame], pd.DataFrame]):
        """``claims`` with ``derive`` applied (to the whole frame, or to each partition)."""

    def summarise(self, claims, keys: list[str], summarise: Summarise) -> list[tuple[Hashable, Any]]:
        """[(key, summarise(group, position))] for every group of ``keys``, in sorted key order; each
        group holds its key columns and its rows in input order."""

    def count_articles(self, claims) -> int:
        """The number of distinct doc_ids."""


class PandasGroupBy:
    """build_tables' group-by for a pandas DataFrame of claims."""

    def add_columns(self, claims: pd.DataFrame, derive):
        return derive(claims)

    def summarise(self, claims: pd.DataFrame, keys: list[str], summarise: Summarise) -> list[tuple[Hashable, Any]]:
        return [(key, summarise(group, position)) for key, position, group in _groups(claims, keys)]

    def count_articles(self, claims: pd.DataFrame) -> int:
        return int(claims["doc_id"].nunique())


def build_tables(claims, *, group_by: GroupBy | None = None, n_boot: int = 2000, seed: int = 0,
                 k: int = 3) -> dict[str, pd.DataFrame]:
    """Every table the result files show (TABLE_KEYS), computed from ``claims`` with one seed.

    ``group_by`` is how claims are grouped: PandasGroupBy (the default) for a pandas DataFrame,
    ``stancekit.runs.dask.DaskGroupBy`` for a Dask DataFrame. Each group draws its bootstrap from the
    generator of its position in sorted key order, so both give the same tables.
    """
    group_by = group_by or PandasGroupBy()
    if isinstance(claims, pd.DataFrame):
        _check(claims, n_boot)

    def per_source(group, position):
        net, boot = replicates(group, False, n_boot, group_generator(seed, position))
        return {"plain": summary_from(group, False, boot),
                "weighted": summarize(group, True, n_boot, group_generator(seed, position)),
                "replicates": (net, boot), "evidence": evidence(group, k)}

    def per_speaker(group, position):
        return {"plain": summarize(group, False, n_boot, group_generator(seed, position)),
                "sources": source_list(group["source"])}

    def plain(group, position):
        return summarize(group, False, n_boot, group_generator(seed, position))

    sources = group_by.summarise(claims, ["source"], per_source)
    voices = group_by.summarise(group_by.add_columns(claims, with_voice), ["source", "voice"], plain)
    speakers = group_by.summarise(claims[~claims["speaker"].isna()], ["speaker"], per_speaker)
    table = rows_table(["source"], [(key, r["plain"]) for key, r in sources], SOURCE_COLUMNS)
    shares = shares_of(table)
    found = [r["evidence"] for _, r in sources]
    return {
        "by_source": table,
        "by_source_weighted": rows_table(["source"], [(key, r["weighted"]) for key, r in sources], SOURCE_COLUMNS),
        "by_voice": rows_table(["source", "voice"], voices, VOICE_COLUMNS),
        "by_speaker": speaker_table(
            rows_table(["speaker"], [(key, r["plain"]) for key, r in speakers], ("speaker", "n_docs", *STAT_COLUMNS)),
            [r["sources"] for _, r in speakers]),
        "pairwise": pairwise_from({key: r["replicates"] for key, r in sources}, shares),
        "divergence": divergence_from(shares),
        "ranking": ranking(table),
        "evidence": (pd.concat(found, ignore_index=True) if found
                     else pd.DataFrame(columns=list(EVIDENCE_COLUMNS))),
    }


def by_source(claims: pd.DataFrame, *, weighted: bool = False, n_boot: int = 2000,
              seed: int = 0) -> pd.DataFrame:
    """One row per source (sorted by name): claim shares, net stance with a 95% bootstrap interval."""
    _check(claims, n_boot)
    return _table(claims, ["source"], SOURCE_COLUMNS, weighted=weighted, n_boot=n_boot, seed=seed)


def by_voice(claims: pd.DataFrame, *, weighted: bool = False, n_boot: int = 2000,
             seed: int = 0) -> pd.DataFrame:
    """The by_source aggregates split by voice: 'author' (no speaker) or 'quoted' (someone else's words)."""
    _check(claims, n_boot)
    return _table(with_voice(claims), ["source", "voice"], VOICE_COLUMNS, weighted=weighted, n_boot=n_boot,
                  seed=seed)


def with_voice(claims: pd.DataFrame) -> pd.DataFrame:
    """``claims`` with a voice column: 'author' (no speaker) or 'quoted' (someone else's words)."""
    return claims.assign(voice=np.where(claims["speaker"].isna(), "author", "quoted"))


def by_speaker(claims: pd.DataFrame, *, weighted: bool = False, n_boot: int = 2000,
               seed: int = 0) -> pd.DataFrame:
    """Per quoted speaker across sources, most-quoted first, so the loudest voices can be compared."""
    _check(claims, n_boot)
    quoted = claims[claims["speaker"].notna()]
    table = _table(quoted, ["speaker"], ("speaker", "n_docs", *STAT_COLUMNS),
                   weighted=weighted, n_boot=n_boot, seed=seed)
    sources = quoted.groupby("speaker")["source"].agg(source_list)
    return speaker_table(table, table["speaker"].map(sources))


def source_list(sources: pd.Series) -> str:
    """The distinct sources of a speaker's claims, sorted and comma-separated."""
    return ", ".join(sorted(set(sources)))


def speaker_table(table: pd.DataFrame, sources) -> pd.DataFrame:
    """Per-speaker aggregates with their ``sources`` added, most-quoted first."""
    table.insert(1, "sources", pd.Series(list(sources), index=table.index, dtype=object).fillna(""))
    table = table.sort_values(["n_claims", "speaker"], ascending=[False, True], kind="mergesort")
    return table[list(SPEAKER_COLUMNS)].reset_index(drop=True)


def evidence(claims: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k most confident claims per source and predicted stance, ties broken by (doc_id, seg_id)."""
    _check(claims, 1)
    if claims.empty:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    probs = claims[list(PROB_COLUMNS)].to_numpy(dtype=np.float64)
    which = claims["stance"].map(LABELS.index).to_numpy()
    ranked = pd.DataFrame({  # only the sort keys, so ranking a large table copies little
        "source": claims["source"].to_numpy(), "stance": which,
        "probability": probs[np.arange(len(claims)), which], "doc_id": claims["doc_id"].to_numpy(),
        "seg_id": claims["seg_id"].to_numpy(), "row": np.arange(len(claims)),
    }).sort_values(["source", "stance", "probability", "doc_id", "seg_id"],
                   ascending=[True, True, False, True, True], kind="mergesort")
    ranked = ranked.groupby(["source", "stance"], sort=False).head(k)
    top = claims.iloc[ranked["row"].to_numpy()].assign(probability=ranked["probability"].to_numpy())
    top["rank"] = top.groupby(["source", "stance"]).cumcount() + 1
    return top[list(EVIDENCE_COLUMNS)].reset_index(drop=True)


def source_bootstraps(claims: pd.DataFrame, *, weighted: bool = False, n_boot: int = 2000,
                      seed: int = 0) -> dict[str, tuple[float, np.ndarray]]:
    """Per source: (net stance, its n_boot bootstrap replicates), drawn exactly as in by_source."""
    _check(claims, n_boot)
    return {source: replicates(group, weighted, n_boot, group_generator(seed, position))
            for source, position, group in _groups(claims, ["source"])}


def pairwise(claims: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Every pair of sources (a < b by name): net(a) - net(b) with a 95% bootstrap interval, and JSD."""
    return pairwise_from(source_bootstraps(claims, n_boot=n_boot, seed=seed), _shares(claims))


def divergence_matrix(claims: pd.DataFrame) -> pd.DataFrame:
    """Square source x source matrix of Jensen-Shannon divergence between stance distributions."""
    return divergence_from(_shares(claims))


def _shares(claims: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per source: the shares of favor/against/none claims (as in by_source)."""
    return shares_of(by_source(claims, n_boot=1))


def replicates(group: pd.DataFrame, weighted: bool, n_boot: int,
               rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """(net stance, its n_boot bootstrap replicates) for one group of claims."""
    shares, values = _per_claim(group, weighted)
    return float(shares[0] - shares[1]), _bootstrap(group["doc_id"].to_numpy(), values, n_boot, rng)


def _table(claims: pd.DataFrame, keys: list[str], columns: tuple[str, ...], *,
           weighted: bool = False, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Aggregate ``claims`` per group of ``keys`` into rows with ``columns``, groups in sorted order."""
    claims = claims[[*keys, "doc_id", "stance", *PROB_COLUMNS]]  # what summarize reads: grouping copies less
    results = PandasGroupBy().summarise(
        claims, keys, lambda group, position: summarize(group, weighted, n_boot, group_generator(seed, position)))
    return rows_table(keys, results, columns)


def rows_table(keys: list[str], results: list[tuple[Hashable, dict]], columns) -> pd.DataFrame:
    """A table with ``columns`` from [(group key, {column: value})], one row per group."""
    return pd.DataFrame([{**key_fields(keys, key), **row} for key, row in results], columns=list(columns))


def key_fields(keys: list[str], key: Hashable) -> dict:
    """{column: value} for one group key (a scalar for one column, a tuple for several)."""
    return dict(zip(keys, key if isinstance(key, tuple) else (key,)))


def group_generator(seed: int, position: int) -> np.random.Generator:
    """The bootstrap generator of the group at ``position`` in sorted key order: each group draws
    independently of the others, so groups can be aggregated anywhere (see runs/dask.py)."""
    return np.random.default_rng([seed, position])


def _groups(claims: pd.DataFrame, keys: list[str]) -> Iterator[tuple[Hashable, int, pd.DataFrame]]:
    """(key, position, group) for the groups of ``keys`` in sorted key order."""
    grouped = claims.groupby(keys if len(keys) > 1 else keys[0], sort=True, dropna=True)
    for position, (key, group) in enumerate(grouped):
        yield key, position, group


def summarize(group: pd.DataFrame, weighted: bool, n_boot: int, rng: np.random.Generator) -> dict:
    """Shares, net stance, interval and confidence for one group of claims (a row of by_source)."""
    return summary_from(group, weighted, replicates(group, weighted, n_boot, rng)[1])


def summary_from(group: pd.DataFrame, weighted: bool, boot: np.ndarray) -> dict:
    """summarize's row from the group's bootstrap replicates, already drawn."""
    shares, _ = _per_claim(group, weighted)
    low, high = np.percentile(boot, [2.5, 97.5])
    confidence = group[list(PROB_COLUMNS)].to_numpy(dtype=np.float64).max(axis=1).mean()
    return {
        "n_docs": int(group["doc_id"].nunique()),
        "n_claims": int(len(group)),
        **{label: float(share) for label, share in zip(LABELS, shares)},
        "net_stance": float(shares[0] - shares[1]),
        "ci_low": float(low),
        "ci_high": float(high),
        "mean_confidence": float(confidence),
    }


def _per_claim(group: pd.DataFrame, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """(shares of favor/against/none, per-claim contribution to net stance) for one group."""
    if weighted:
        matrix = group[list(PROB_COLUMNS)].to_numpy(dtype=np.float64)
    else:
        matrix = (group["stance"].to_numpy()[:, None] == np.array(LABELS)[None, :]).astype(np.float64)
    return matrix.mean(axis=0), matrix[:, 0] - matrix[:, 1]


def _bootstrap(doc_ids: np.ndarray, values: np.ndarray, n_boot: int,
               rng: np.random.Generator) -> np.ndarray:
    """n_boot replicates of mean(values), resampling articles if there are >= 2, else claims."""
    codes = pd.factorize(doc_ids)[0]
    n_units = int(codes.max()) + 1
    if n_units >= 2:
        sums = np.bincount(codes, weights=values, minlength=n_units)
        counts = np.bincount(codes, minlength=n_units).astype(np.float64)
    else:
        sums, counts, n_units = values, np.ones_like(values), len(values)
    rows, block = max(1, _CHUNK // n_units), max(1, _BLOCK // n_units)
    out = np.empty(n_boot, dtype=np.float64)
    for first in range(0, n_boot, rows):
        idx = rng.integers(0, n_units, size=(min(rows, n_boot - first), n_units), dtype=np.int32)
        for start in range(0, len(idx), block):  # gather in small blocks: same values, less memory
            part = idx[start:start + block]
            out[first + start:first + start + len(part)] = sums[part].sum(axis=1) / counts[part].sum(axis=1)
    return out


def _check(claims: pd.DataFrame, n_boot: int) -> None:
    """Fail early, naming what was expected and what arrived, on a frame or argument we can't use."""
    if not isinstance(claims, pd.DataFrame):
        raise UsageError(f"claims must be a pandas DataFrame with columns {list(CLAIM_COLUMNS)}; "
                         f"got {type(claims).__name__}.")
    missing = [c for c in CLAIM_COLUMNS if c not in claims.columns]
    if missing:
        raise UsageError(f"claims is missing columns {missing}; found {list(claims.columns)}. "
                         "Pass one row per claim with the stance and its three probabilities.")
    unknown = sorted(set(claims["stance"].dropna()) - set(LABELS), key=str)
    if unknown or claims["stance"].isna().any():
        raise UsageError(f"stance must be one of {list(LABELS)}; got {unknown or [None]}.")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise UsageError(f"n_boot must be a positive integer; got {n_boot!r}.")
