"""Aggregation and comparison on constructed claims with known answers."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from stancekit.aggregate import (MIN_SPEAKER_CLAIMS, SOURCE_COLUMNS, by_source, by_speaker, by_voice,
                                 divergence_matrix, evidence, pairwise)
from stancekit.pairwise import PAIRWISE_COLUMNS, jensen_shannon, ranking
from stancekit.errors import UsageError
from stancekit.schema import LABELS

_PROBS = {"favor": (0.8, 0.1, 0.1), "against": (0.1, 0.8, 0.1), "none": (0.1, 0.1, 0.8)}


def claims_frame(rows) -> pd.DataFrame:
    """Claims from (source, doc_id, stance[, probs[, speaker]]) tuples; seg_id counts up per article."""
    records, seen = [], {}
    for row in rows:
        source, doc_id, stance, probs, speaker = (*row, None, None)[:5]
        probs = probs or _PROBS[stance]
        seg_id = seen[doc_id] = seen.get(doc_id, -1) + 1
        records.append({"doc_id": doc_id, "source": source, "seg_id": seg_id, "start": 10 * seg_id,
                        "end": 10 * seg_id + 9, "text": f"{doc_id} claim {seg_id}", "speaker": speaker,
                        "stance": stance, "p_favor": probs[0], "p_against": probs[1], "p_none": probs[2]})
    return pd.DataFrame(records)


@pytest.fixture
def hand_made() -> pd.DataFrame:
    # A: 2 articles, favor 2 / against 1 / none 1 -> net +0.25; B: 1 article, favor 1 / against 3 -> net -0.5
    return claims_frame([
        ("B", "b1", "against"), ("B", "b1", "against"), ("B", "b1", "favor"), ("B", "b1", "against"),
        ("A", "a1", "favor"), ("A", "a1", "favor", None, "Mayor Díaz"), ("A", "a1", "against"),
        ("A", "a2", "none", None, "Sheriff Roe"),
    ])


def simulate(n_sources: int, n_docs: int, n_claims: int, seed: int,
             kappa: float | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Sources whose claims are drawn from known stance probabilities; returns claims and true net stance.

    With ``kappa`` each article draws its own probabilities ~ Dirichlet(kappa * the source's), so the
    articles of one source differ (as in benchmarks/coverage.py); without, they all share the source's.
    """
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([2.0, 2.0, 2.0], size=n_sources)
    per_article = np.repeat(truth, n_docs, axis=0)
    if kappa:
        per_article = np.array([rng.dirichlet(np.maximum(kappa * p, 1e-3)) for p in per_article])
    uniform = rng.random((n_sources * n_docs, n_claims))
    stance_idx = (uniform[:, :, None] > np.cumsum(per_article, axis=1)[:, None, :2]).sum(axis=2).ravel()
    source = np.repeat(np.arange(n_sources), n_docs * n_claims)
    doc = np.tile(np.repeat(np.arange(n_docs), n_claims), n_sources)
    probs = np.full((len(source), 3), 0.15)
    probs[np.arange(len(source)), stance_idx] = 0.7
    claims = pd.DataFrame({
        "doc_id": [f"s{s:03d}-d{d}" for s, d in zip(source, doc)],
        "source": [f"s{s:03d}" for s in source],
        "seg_id": np.tile(np.arange(n_claims), n_sources * n_docs), "start": 0, "end": 1, "text": "x",
        "speaker": None, "stance": np.array(LABELS)[stance_idx],
        "p_favor": probs[:, 0], "p_against": probs[:, 1], "p_none": probs[:, 2],
    })
    return claims, truth[:, 0] - truth[:, 1]


def test_shares_and_net_stance_on_a_hand_made_table(hand_made):
    table = by_source(hand_made)
    assert list(table.columns) == list(SOURCE_COLUMNS)
    assert list(table["source"]) == ["A", "B"]
    a, b = table.iloc[0], table.iloc[1]
    assert (a.n_docs, a.n_claims, b.n_docs, b.n_claims) == (2, 4, 1, 4)
    assert (a.favor, a.against, a.none) == (0.5, 0.25, 0.25)
    assert (b.favor, b.against, b.none) == (0.25, 0.75, 0.0)
    assert a.net_stance == pytest.approx(0.25) and b.net_stance == pytest.approx(-0.5)
    assert (table["net_stance"] == table["favor"] - table["against"]).all()
    assert ((table["ci_low"] <= table["net_stance"]) & (table["net_stance"] <= table["ci_high"])).all()
    assert a.mean_confidence == pytest.approx(0.8)


def test_weighted_shares_are_mean_probabilities():
    claims = claims_frame([("A", "a1", "favor", (0.5, 0.3, 0.2)), ("A", "a1", "none", (0.3, 0.2, 0.5)),
                           ("A", "a2", "against", (0.1, 0.6, 0.3))])
    row = by_source(claims, weighted=True).iloc[0]
    expected = claims[["p_favor", "p_against", "p_none"]].mean().to_numpy()
    assert [row.favor, row.against, row.none] == pytest.approx(list(expected))
    assert row.net_stance == pytest.approx(expected[0] - expected[1])
    assert row.mean_confidence == pytest.approx((0.5 + 0.5 + 0.6) / 3)


def test_by_voice_splits_author_from_quoted(hand_made):
    table = by_voice(hand_made)
    assert list(table.columns) == ["source", "voice", *SOURCE_COLUMNS[1:]]
    counts = {(r.source, r.voice): (r.n_claims, r.net_stance) for r in table.itertuples()}
    assert counts == {("A", "author"): (2, 0.0), ("A", "quoted"): (2, 0.5), ("B", "author"): (4, -0.5)}


def test_by_speaker_covers_quoted_claims_only(hand_made):
    extra = claims_frame([("B", "b9", "against", None, "Mayor Díaz")])
    table = by_speaker(pd.concat([hand_made, extra], ignore_index=True))
    assert list(table.columns) == ["speaker", "sources", "n_claims", *LABELS, "net_stance", "ci_low", "ci_high",
                                   "mean_confidence"]
    assert list(table["speaker"]) == ["Mayor Díaz", "Sheriff Roe"]
    assert table.iloc[0]["sources"] == "A, B" and table.iloc[0]["n_claims"] == 2
    assert table.iloc[0]["net_stance"] == 0.0 and table.iloc[1]["none"] == 1.0


def test_few_articles_that_disagree_give_a_wide_interval_and_many_that_agree_a_narrow_one():
    split = claims_frame([("A", "a1", "favor")] * 20 + [("A", "a2", "against")] * 20)
    row = by_source(split).iloc[0]
    assert (row.ci_low, row.ci_high) == (-1.0, 1.0)
    # one article of 100 mixed claims says little about the source's other articles
    mixed = claims_frame([("A", "a1", "favor")] * 50 + [("A", "a1", "against")] * 50)
    row = by_source(mixed).iloc[0]
    assert row.ci_low < -0.5 and row.ci_high > 0.5
    # twenty articles that agree, five claims each way: narrow around 0
    agreeing = claims_frame([("A", f"a{i}", stance) for i in range(20) for stance in ["favor", "against"] * 5])
    row = by_source(agreeing).iloc[0]
    assert -0.3 < row.ci_low < 0 < row.ci_high < 0.3


def test_claims_that_all_agree_still_get_an_interval():
    row = by_source(claims_frame([("A", f"a{i}", "against") for i in range(10) for _ in range(8)])).iloc[0]
    assert row.net_stance == -1.0 and row.ci_low == -1.0 and row.ci_high > -0.95


@pytest.mark.parametrize("n_docs", [2, 3, 5])
def test_interval_covers_the_true_net_stance_90_to_97_percent_of_the_time(n_docs):
    """A loose statistical check on 300 simulated sources; benchmarks/coverage.py measures it closely."""
    claims, truth = simulate(300, n_docs, 25, seed=n_docs, kappa=15.0)
    table = by_source(claims)
    covered = (table["ci_low"] <= truth) & (truth <= table["ci_high"])
    assert 0.86 <= covered.mean() <= 0.995, (n_docs, covered.mean())


def test_jensen_shannon_is_0_for_identical_and_1_for_disjoint_distributions():
    assert jensen_shannon([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    assert jensen_shannon([1, 0, 0], [0, 1, 0]) == 1.0
    assert 0 < jensen_shannon([0.5, 0.5, 0], [0.5, 0, 0.5]) < 1
    claims = claims_frame([("A", "a1", "favor"), ("B", "b1", "against"), ("C", "c1", "favor")])
    matrix = divergence_matrix(claims)
    assert list(matrix.index) == list(matrix.columns) == ["A", "B", "C"]
    assert matrix.loc["A", "C"] == 0.0 and matrix.loc["A", "B"] == 1.0
    assert (matrix.to_numpy() == matrix.to_numpy().T).all() and (np.diag(matrix) == 0).all()


def test_pairwise_difference_has_the_right_sign_and_matches_by_source(hand_made):
    table = pairwise(hand_made)
    assert list(table.columns) == ["source_a", "source_b", "diff", "ci_low", "ci_high", "separated", "jsd"]
    row = table.iloc[0]
    assert (row.source_a, row.source_b) == ("A", "B")
    assert row["diff"] == pytest.approx(0.25 - (-0.5)) and row["diff"] > 0
    assert row.ci_low <= row["diff"] <= row.ci_high
    assert 0 < row.jsd < 1
    three = pd.concat([hand_made, claims_frame([("C", "c1", "none")])], ignore_index=True)
    assert [tuple(p) for p in pairwise(three)[["source_a", "source_b"]].to_numpy()] == [
        ("A", "B"), ("A", "C"), ("B", "C")]


def many_articles(source: str, stances: list[str], n_docs: int = 12) -> list[tuple]:
    """Claims of ``n_docs`` articles of ``source`` that each hold the claims ``stances``."""
    return [(source, f"{source}{i}", stance) for i in range(n_docs) for stance in stances]


def test_ranking_orders_only_sources_the_intervals_tell_apart():
    claims = claims_frame(many_articles("A", ["favor"] * 4 + ["none"]) + many_articles("B", ["against"] * 4 + ["none"])
                          + many_articles("C", ["against"] * 3 + ["none"] * 2, n_docs=2))
    ranked = ranking(by_source(claims), pairwise(claims))
    assert list(ranked["source"]) == ["B", "C", "A"]
    assert list(ranked["rank"]) == [1, 1, 2]  # C's two articles cannot tell it from B; both are below A
    alike = claims_frame(many_articles("A", ["favor", "against"], 3) + many_articles("B", ["favor", "none"], 3))
    assert list(ranking(by_source(alike), pairwise(alike))["rank"]) == [1, 1]


@pytest.mark.parametrize("separated, ranks", [
    ({("A", "B"), ("A", "C")}, [1, 2, 2]),
    ({("A", "C"), ("B", "C")}, [1, 1, 2]),
    ({("A", "C")}, [1, 1, 1]),  # B sits between two sources it cannot be told apart from
    ({("A", "B"), ("A", "C"), ("B", "C")}, [1, 2, 3]),
])
def test_a_rank_boundary_holds_for_every_pair_across_it(separated, ranks):
    table = pd.DataFrame({"source": ["A", "B", "C"], "net_stance": [-0.5, 0.0, 0.5]})
    pairs = pd.DataFrame([{"source_a": a, "source_b": b, "diff": 0.0, "ci_low": 0.0, "ci_high": 0.0,
                           "separated": (a, b) in separated, "jsd": 0.0} for a, b in [("A", "B"), ("A", "C"), ("B", "C")]],
                         columns=list(PAIRWISE_COLUMNS))
    assert list(ranking(table, pairs)["rank"]) == ranks


def test_speakers_with_few_claims_get_no_interval():
    claims = claims_frame([("A", "a1", "against", None, "Sheriff Roe")] * MIN_SPEAKER_CLAIMS
                          + [("A", "a1", "favor", None, "Mayor Díaz")] * (MIN_SPEAKER_CLAIMS - 1))
    table = by_speaker(claims).set_index("speaker")
    assert table.loc["Mayor Díaz", ["ci_low", "ci_high"]].isna().all()
    assert table.loc["Sheriff Roe", "ci_low"] == -1.0 and table.loc["Sheriff Roe", "ci_high"] > -1.0


def test_evidence_breaks_ties_by_margin_then_length_then_input_order():
    claims = claims_frame([
        ("A", "a2", "favor", (0.9, 0.05, 0.05)), ("A", "a1", "favor", (0.6, 0.3, 0.1)),
        ("A", "a1", "favor", (0.9, 0.09, 0.01)), ("A", "a1", "favor", (0.952, 0.0, 0.048)),
        ("A", "a1", "favor", (0.948, 0.002, 0.05)), ("A", "a1", "against", (0.2, 0.7, 0.1)),
    ])
    claims.loc[0, "end"] += 5  # a2's claim is longer than the other 0.90 claim with the same margin
    table = evidence(claims, k=4)
    assert list(table.columns) == ["source", "stance", "rank", "doc_id", "seg_id", "start", "end", "text",
                                   "speaker", "probability"]
    favor = table[table["stance"] == "favor"]
    # 0.952 and 0.948 both show as 0.95: the larger margin (0.902 > 0.898) wins; then 0.90 by length
    assert list(zip(favor["doc_id"], favor["seg_id"])) == [("a1", 2), ("a1", 3), ("a2", 0), ("a1", 1)]
    assert list(favor["rank"]) == [1, 2, 3, 4]
    assert list(table["stance"]) == ["favor"] * 4 + ["against"]
    same = claims_frame([("A", "a1", "favor")] * 3)
    assert list(evidence(same, k=2)["seg_id"]) == [0, 1]  # full ties: input order


def test_ten_thousand_claims_aggregate_including_one_huge_article():
    """Speed is measured in benchmarks/speed.py; here only that the worst case (one article) works."""
    claims, _ = simulate(20, 25, 20, seed=4)
    assert len(by_source(claims)) == 20
    huge = by_source(claims.assign(source="one", doc_id="one"), weighted=True)
    assert huge["n_claims"].tolist() == [len(claims)]


def test_bad_input_names_what_was_expected(hand_made):
    with pytest.raises(UsageError, match="missing columns \\['stance'"):
        by_source(hand_made.drop(columns=["stance"]))
    with pytest.raises(UsageError, match="stance must be one of"):
        by_source(hand_made.assign(stance="pro"))
