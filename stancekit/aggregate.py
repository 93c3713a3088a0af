"""Claims -> per-source stance: shares, net stance with 95% intervals, voices, speakers, evidence.

Net stance is the share of claims in favor minus the share against, in [-1, 1]. Claims of one
article are not independent and a source is usually a handful of articles, so its 95% interval is
a t interval whose standard error adds the articles' deviations from each other to the claims' own
noise, with a prior on how much articles deviate (see ``spread_of``), clipped to [-1, 1].
``benchmarks/coverage.py`` simulates sources of 2-10 articles: these intervals hold the true net
stance 94-97% of the time (90-91% if a source's articles differ strongly, up to 99% if they barely
differ), where a percentile bootstrap over articles held it 49-89% of the time. A two-stage
bootstrap (articles, then claims) cannot reach 90% with two articles: their resamples take only
three article mixes, so any bootstrap interval stays far too narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .errors import UsageError
from .pairwise import divergence_from, pairwise_from, ranking, shares_of, t_quantile
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

#: Prior SD of one article's net stance around its source's (the dev set's articles of one leaning
#: deviate by about this much once their claims' own noise is removed), and its weight in articles.
ARTICLE_SD = 0.2
PRIOR_ARTICLES = 2

#: Speakers quoted in fewer claims than this are listed without an interval (one or two claims
#: say nothing about how sure their net stance is).
MIN_SPEAKER_CLAIMS = 3

#: How the evidence claims are chosen, in the words the report uses.
EVIDENCE_RULE = ("highest probability (to two decimals, as shown), then the larger margin over the "
                 "second most likely stance, then the longer claim, then the earlier in input order")

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


def build_tables(claims, *, group_by: GroupBy | None = None, k: int = 3) -> dict[str, pd.DataFrame]:
    """Every table the result files show (TABLE_KEYS), computed from ``claims``.

    ``group_by`` is how claims are grouped: PandasGroupBy (the default) for a pandas DataFrame,
    ``stancekit.runs.dask.DaskGroupBy`` for a Dask DataFrame; both give the same tables.
    """
    group_by = group_by or PandasGroupBy()
    if isinstance(claims, pd.DataFrame):
        _check(claims)

    def per_source(group, position):
        spread = net_spread(group, False)
        return {"plain": summary_from(group, False, spread), "weighted": summarize(group, True),
                "spread": spread, "evidence": evidence(group, k)}

    def per_speaker(group, position):
        return {"plain": summarize(group, False), "sources": source_list(group["source"])}

    sources = group_by.summarise(claims, ["source"], per_source)
    voices = group_by.summarise(group_by.add_columns(claims, with_voice), ["source", "voice"],
                                lambda group, position: summarize(group, False))
    speakers = group_by.summarise(claims[~claims["speaker"].isna()], ["speaker"], per_speaker)
    table = rows_table(["source"], [(key, r["plain"]) for key, r in sources], SOURCE_COLUMNS)
    shares = shares_of(table)
    pairs = pairwise_from({key: r["spread"] for key, r in sources}, shares)
    found = [r["evidence"] for _, r in sources]
    return {
        "by_source": table,
        "by_source_weighted": rows_table(["source"], [(key, r["weighted"]) for key, r in sources], SOURCE_COLUMNS),
        "by_voice": rows_table(["source", "voice"], voices, VOICE_COLUMNS),
        "by_speaker": speaker_table(
            rows_table(["speaker"], [(key, r["plain"]) for key, r in speakers], ("speaker", "n_docs", *STAT_COLUMNS)),
            [r["sources"] for _, r in speakers]),
        "pairwise": pairs,
        "divergence": divergence_from(shares),
        "ranking": ranking(table, pairs),
        "evidence": (pd.concat(found, ignore_index=True) if found
                     else pd.DataFrame(columns=list(EVIDENCE_COLUMNS))),
    }


def by_source(claims: pd.DataFrame, *, weighted: bool = False) -> pd.DataFrame:
    """One row per source (sorted by name): claim shares, net stance with its 95% interval."""
    _check(claims)
    return _table(claims, ["source"], SOURCE_COLUMNS, weighted=weighted)


def by_voice(claims: pd.DataFrame, *, weighted: bool = False) -> pd.DataFrame:
    """The by_source aggregates split by voice: 'author' (no speaker) or 'quoted' (someone else's words)."""
    _check(claims)
    return _table(with_voice(claims), ["source", "voice"], VOICE_COLUMNS, weighted=weighted)


def with_voice(claims: pd.DataFrame) -> pd.DataFrame:
    """``claims`` with a voice column: 'author' (no speaker) or 'quoted' (someone else's words)."""
    return claims.assign(voice=np.where(claims["speaker"].isna(), "author", "quoted"))


def by_speaker(claims: pd.DataFrame, *, weighted: bool = False) -> pd.DataFrame:
    """Per quoted speaker across sources, most-quoted first, so the loudest voices can be compared;
    speakers with fewer than MIN_SPEAKER_CLAIMS claims get no interval."""
    _check(claims)
    quoted = claims[claims["speaker"].notna()]
    table = _table(quoted, ["speaker"], ("speaker", "n_docs", *STAT_COLUMNS), weighted=weighted)
    sources = quoted.groupby("speaker")["source"].agg(source_list)
    return speaker_table(table, table["speaker"].map(sources))


def source_list(sources: pd.Series) -> str:
    """The distinct sources of a speaker's claims, sorted and comma-separated."""
    return ", ".join(sorted(set(sources)))


def speaker_table(table: pd.DataFrame, sources) -> pd.DataFrame:
    """Per-speaker aggregates with their ``sources`` added, most-quoted first; no interval for
    speakers with fewer than MIN_SPEAKER_CLAIMS claims."""
    table.insert(1, "sources", pd.Series(list(sources), index=table.index, dtype=object).fillna(""))
    table.loc[table["n_claims"] < MIN_SPEAKER_CLAIMS, ["ci_low", "ci_high"]] = np.nan
    table = table.sort_values(["n_claims", "speaker"], ascending=[False, True], kind="mergesort")
    return table[list(SPEAKER_COLUMNS)].reset_index(drop=True)


def evidence(claims: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k most confident claims per source and predicted stance, ties broken by EVIDENCE_RULE."""
    _check(claims)
    if claims.empty:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    probs = claims[list(PROB_COLUMNS)].to_numpy(dtype=np.float64)
    which = claims["stance"].map(LABELS.index).to_numpy()
    chosen = probs[np.arange(len(claims)), which]
    others = probs.copy()
    others[np.arange(len(claims)), which] = -np.inf
    ranked = pd.DataFrame({  # only the sort keys, so ranking a large table copies little
        "source": claims["source"].to_numpy(), "stance": which, "shown": chosen.round(2),
        "margin": chosen - others.max(axis=1),
        "length": claims["end"].to_numpy(dtype=np.int64) - claims["start"].to_numpy(dtype=np.int64),
        "row": np.arange(len(claims)),
    }).sort_values(["source", "stance", "shown", "margin", "length", "row"],
                   ascending=[True, True, False, False, False, True], kind="mergesort")
    ranked = ranked.groupby(["source", "stance"], sort=False).head(k)
    top = claims.iloc[ranked["row"].to_numpy()].assign(probability=chosen[ranked["row"].to_numpy()])
    top["rank"] = top.groupby(["source", "stance"]).cumcount() + 1
    return top[list(EVIDENCE_COLUMNS)].reset_index(drop=True)


def source_spreads(claims: pd.DataFrame, *, weighted: bool = False) -> dict[str, tuple[float, float, float]]:
    """Per source: (net stance, standard error, degrees of freedom), as by_source's intervals use them."""
    _check(claims)
    return {source: net_spread(group, weighted) for source, _, group in _groups(claims, ["source"])}


def pairwise(claims: pd.DataFrame) -> pd.DataFrame:
    """Every pair of sources (a < b by name): net(a) - net(b) with a 95% interval, and JSD."""
    return pairwise_from(source_spreads(claims), _shares(claims))


def divergence_matrix(claims: pd.DataFrame) -> pd.DataFrame:
    """Square source x source matrix of Jensen-Shannon divergence between stance distributions."""
    return divergence_from(_shares(claims))


def _shares(claims: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per source: the shares of favor/against/none claims (as in by_source)."""
    return shares_of(by_source(claims))


def net_spread(group: pd.DataFrame, weighted: bool) -> tuple[float, float, float]:
    """(net stance, standard error, degrees of freedom) for one group of claims (see the module doc)."""
    _, values = _per_claim(group, weighted)
    return spread_of(pd.factorize(group["doc_id"].to_numpy())[0], values)


def spread_of(articles: np.ndarray, values: np.ndarray) -> tuple[float, float, float]:
    """(mean of ``values``, its standard error, degrees of freedom), claims clustered by ``articles`` codes.

    The variance of the mean has two parts. Within articles: the claims' pooled variance over n
    claims (n - n_articles + 2 degrees of freedom, one pseudo-claim of each stance added so that
    claims that all agree do not look certain). Between articles: what the cluster-robust (CR1)
    variance holds beyond the first part, on n_articles - 1 degrees of freedom, shrunk towards
    ARTICLE_SD with the weight of PRIOR_ARTICLES articles (a normal hierarchical model's posterior
    in moment form): two articles that happen to agree say little about a third. The degrees of
    freedom of the sum follow Welch-Satterthwaite.
    """
    n, n_articles = len(values), int(articles.max()) + 1
    mean = float(values.mean())
    sums = np.bincount(articles, weights=values, minlength=n_articles)
    counts = np.bincount(articles, minlength=n_articles)
    pseudo = np.array([1.0, -1.0, 0.0])
    within_df = n - n_articles + len(pseudo) - 1
    within = (float(values @ values - sums @ (sums / counts)) + float(((pseudo - mean) ** 2).sum())) / within_df / n
    observed = 0.0
    if n_articles >= 2:
        residuals = sums - counts * mean
        observed = max(0.0, n_articles / (n_articles - 1) * float(residuals @ residuals) / n ** 2 - within)
    between_df = n_articles - 1 + PRIOR_ARTICLES
    prior = ARTICLE_SD ** 2 * float(((counts / n) ** 2).sum())  # the prior's variance of a weighted mean
    between = ((n_articles - 1) * observed + PRIOR_ARTICLES * prior) / between_df
    variance = within + between
    df = variance ** 2 / (within ** 2 / within_df + between ** 2 / between_df)
    return mean, float(np.sqrt(variance)), float(df)


def t_interval(estimate: float, se: float, df: float, bound: float) -> tuple[float, float]:
    """The 95% (pairwise.LEVEL) t interval estimate +/- t(df) * se, clipped to [-bound, bound]."""
    half = t_quantile(df) * se
    return max(-bound, estimate - half), min(bound, estimate + half)


def _table(claims: pd.DataFrame, keys: list[str], columns: tuple[str, ...], *, weighted: bool = False) -> pd.DataFrame:
    """Aggregate ``claims`` per group of ``keys`` into rows with ``columns``, groups in sorted order."""
    claims = claims[[*keys, "doc_id", "stance", *PROB_COLUMNS]]  # what summarize reads: grouping copies less
    results = PandasGroupBy().summarise(claims, keys, lambda group, position: summarize(group, weighted))
    return rows_table(keys, results, columns)


def rows_table(keys: list[str], results: list[tuple[Hashable, dict]], columns) -> pd.DataFrame:
    """A table with ``columns`` from [(group key, {column: value})], one row per group."""
    return pd.DataFrame([{**key_fields(keys, key), **row} for key, row in results], columns=list(columns))


def key_fields(keys: list[str], key: Hashable) -> dict:
    """{column: value} for one group key (a scalar for one column, a tuple for several)."""
    return dict(zip(keys, key if isinstance(key, tuple) else (key,)))


def _groups(claims: pd.DataFrame, keys: list[str]) -> Iterator[tuple[Hashable, int, pd.DataFrame]]:
    """(key, position, group) for the groups of ``keys`` in sorted key order."""
    grouped = claims.groupby(keys if len(keys) > 1 else keys[0], sort=True, dropna=True)
    for position, (key, group) in enumerate(grouped):
        yield key, position, group


def summarize(group: pd.DataFrame, weighted: bool) -> dict:
    """Shares, net stance, interval and confidence for one group of claims (a row of by_source)."""
    return summary_from(group, weighted, net_spread(group, weighted))


def summary_from(group: pd.DataFrame, weighted: bool, spread: tuple[float, float, float]) -> dict:
    """summarize's row from the group's (net stance, standard error, degrees of freedom)."""
    shares, _ = _per_claim(group, weighted)
    low, high = t_interval(*spread, bound=1.0)
    confidence = group[list(PROB_COLUMNS)].to_numpy(dtype=np.float64).max(axis=1).mean()
    return {
        "n_docs": int(group["doc_id"].nunique()),
        "n_claims": int(len(group)),
        **{label: float(share) for label, share in zip(LABELS, shares)},
        "net_stance": float(shares[0] - shares[1]),
        "ci_low": low,
        "ci_high": high,
        "mean_confidence": float(confidence),
    }


def _per_claim(group: pd.DataFrame, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """(shares of favor/against/none, per-claim contribution to net stance) for one group."""
    if weighted:
        matrix = group[list(PROB_COLUMNS)].to_numpy(dtype=np.float64)
    else:
        matrix = (group["stance"].to_numpy()[:, None] == np.array(LABELS)[None, :]).astype(np.float64)
    return matrix.mean(axis=0), matrix[:, 0] - matrix[:, 1]


def _check(claims: pd.DataFrame) -> None:
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
