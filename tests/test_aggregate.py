"""Aggregation and comparison on constructed claims with known answers."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from stancekit.aggregate import (SOURCE_COLUMNS, by_source, by_speaker, by_voice, divergence_matrix, evidence,
                                 pairwise)
from stancekit.pairwise import jensen_shannon, ranking
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


def simulate(n_sources: int, n_docs: int, n_claims: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Sources whose claims are drawn from known stance probabilities; returns claims and true net stance."""
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([2.0, 2.0, 2.0], size=n_sources)
    per_source = n_docs * n_claims
    uniform = rng.random((n_sources, per_source))
    stance_idx = (uniform[:, :, None] > np.cumsum(truth, axis=1)[:, None, :2]).sum(axis=2)
    source = np.repeat(np.arange(n_sources), per_source)
    doc = np.tile(np.repeat(np.arange(n_docs), n_claims), n_sources)
    probs = np.full((len(source), 3), 0.15)
    probs[np.arange(len(source)), stance_idx.ravel()] = 0.7
    claims = pd.DataFrame({
        "doc_id": [f"s{s:03d}-d{d}" for s, d in zip(source, doc)],
        "source": [f"s{s:03d}" for s in source],
        "seg_id": np.tile(np.arange(n_claims), n_sources * n_docs), "start": 0, "end": 1, "text": "x",
        "speaker": None, "stance": np.array(LABELS)[stance_idx.ravel()],
        "p_favor": probs[:, 0], "p_against": probs[:, 1], "p_none": probs[:, 2],
    })
    return claims, truth[:, 0] - truth[:, 1]


def test_shares_and_net_stance_on_a_hand_made_table(hand_made):
    table = by_source(hand_made, n_boot=200)
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
    row = by_source(claims, weighted=True, n_boot=100).iloc[0]
    expected = claims[["p_favor", "p_against", "p_none"]].mean().to_numpy()
    assert [row.favor, row.against, row.none] == pytest.approx(list(expected))
    assert row.net_stance == pytest.approx(expected[0] - expected[1])
    assert row.mean_confidence == pytest.approx((0.5 + 0.5 + 0.6) / 3)


def test_by_voice_splits_author_from_quoted(hand_made):
    table = by_voice(hand_made, n_boot=100)
    assert list(table.columns) == ["source", "voice", *SOURCE_COLUMNS[1:]]
    counts = {(r.source, r.voice): (r.n_claims, r.net_stance) for r in table.itertuples()}
    assert counts == {("A", "author"): (2, 0.0), ("A", "quoted"): (2, 0.5), ("B", "author"): (4, -0.5)}


def test_by_speaker_covers_quoted_claims_only(hand_made):
    extra = claims_frame([("B", "b9", "against", None, "Mayor Díaz")])
    table = by_speaker(pd.concat([hand_made, extra], ignore_index=True), n_boot=100)
    assert list(table.columns) == ["speaker", "sources", "n_claims", *LABELS, "net_stance", "ci_low", "ci_high",
                                   "mean_confidence"]
    assert list(table["speaker"]) == ["Mayor Díaz", "Sheriff Roe"]
    assert table.iloc[0]["sources"] == "A, B" and table.iloc[0]["n_claims"] == 2
    assert table.iloc[0]["net_stance"] == 0.0 and table.iloc[1]["none"] == 1.0


def test_interval_resamples_articles_when_a_source_has_several():
    # one article all favor, one all against: resampling articles gives +1, 0 or -1
    split = claims_frame([("A", "a1", "favor")] * 20 + [("A", "a2", "against")] * 20)
    row = by_source(split, n_boot=2000).iloc[0]
    assert (row.ci_low, row.ci_high) == (-1.0, 1.0)
    # one article of 100 mixed claims: resampling claims gives a narrow interval around 0
    mixed = claims_frame([("A", "a1", "favor")] * 50 + [("A", "a1", "against")] * 50)
    row = by_source(mixed, n_boot=2000).iloc[0]
    assert -0.35 < row.ci_low < 0 < row.ci_high < 0.35


def test_interval_covers_the_true_net_stance_about_95_percent_of_the_time():
    for n_docs, n_claims, seed in ((10, 12, 1), (1, 80, 2)):  # article resampling, then claim resampling
        claims, truth = simulate(200, n_docs, n_claims, seed)
        table = by_source(claims, n_boot=1000, seed=seed)
        covered = (table["ci_low"] <= truth) & (truth <= table["ci_high"])
        assert 0.88 <= covered.mean() <= 0.99, (n_docs, covered.mean())


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
    table = pairwise(hand_made, n_boot=500)
    assert list(table.columns) == ["source_a", "source_b", "diff", "ci_low", "ci_high", "jsd"]
    row = table.iloc[0]
    assert (row.source_a, row.source_b) == ("A", "B")
    assert row["diff"] == pytest.approx(0.25 - (-0.5)) and row["diff"] > 0
    assert row.ci_low <= row["diff"] <= row.ci_high
    assert 0 < row.jsd < 1
    three = pd.concat([hand_made, claims_frame([("C", "c1", "none")])], ignore_index=True)
    assert [tuple(p) for p in pairwise(three, n_boot=50)[["source_a", "source_b"]].to_numpy()] == [
        ("A", "B"), ("A", "C"), ("B", "C")]


def test_ranking_goes_from_most_against_to_most_in_favor(hand_made):
    claims = pd.concat([hand_made, claims_frame([("C", "c1", "none")])], ignore_index=True)
    ranked = ranking(by_source(claims, n_boot=50))
    assert list(ranked["source"]) == ["B", "C", "A"]
    assert list(ranked["rank"]) == [1, 2, 3]


def test_evidence_picks_the_most_confident_claims_with_a_stable_tie_break():
    claims = claims_frame([
        ("A", "a2", "favor", (0.9, 0.05, 0.05)), ("A", "a1", "favor", (0.6, 0.3, 0.1)),
        ("A", "a1", "favor", (0.9, 0.05, 0.05)), ("A", "a1", "favor", (0.95, 0.0, 0.05)),
        ("A", "a1", "against", (0.2, 0.7, 0.1)),
    ])
    table = evidence(claims, k=3)
    assert list(table.columns) == ["source", "stance", "rank", "doc_id", "seg_id", "start", "end", "text",
                                   "speaker", "probability"]
    favor = table[table["stance"] == "favor"]
    assert list(favor["probability"]) == [0.95, 0.9, 0.9]
    assert list(zip(favor["doc_id"], favor["seg_id"])) == [("a1", 2), ("a1", 1), ("a2", 0)]
    assert list(favor["rank"]) == [1, 2, 3]
    assert list(table["stance"]) == ["favor"] * 3 + ["against"]


def test_same_seed_gives_identical_tables():
    claims, _ = simulate(5, 30, 10, seed=3)
    assert_frame_equal(by_source(claims, seed=7), by_source(claims, seed=7))
    assert_frame_equal(by_voice(claims, seed=7), by_voice(claims, seed=7))
    assert_frame_equal(pairwise(claims, seed=7), pairwise(claims, seed=7))
    other = by_source(claims, seed=8)
    assert not by_source(claims, seed=7)[["ci_low", "ci_high"]].equals(other[["ci_low", "ci_high"]])


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
    with pytest.raises(UsageError, match="n_boot"):
        by_source(hand_made, n_boot=0)
