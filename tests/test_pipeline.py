"""analyze(): the whole flow in one call, on the seeds with a stand-in classifier."""

from __future__ import annotations

from stancekit import Analysis, analyze, load_articles
from tests.fake_classifier import KeywordClassifier


def test_analyze_keeps_every_claim_with_offsets_and_probabilities(seeds_dir):
    analysis = analyze(seeds_dir, KeywordClassifier())
    assert isinstance(analysis, Analysis)
    texts = {a.doc_id: a.text for a in load_articles(seeds_dir)}
    assert len(analysis.claims) == 155
    for row in analysis.claims.itertuples(index=False):
        assert texts[row.doc_id][row.start:row.end] == row.text
        assert abs(row.p_favor + row.p_against + row.p_none - 1) < 1e-9
    table = analysis.by_source()
    assert list(table["n_claims"]) == [36, 24, 63, 32]
    assert (table["ci_low"] <= table["net_stance"]).all() and (table["net_stance"] <= table["ci_high"]).all()


def test_analyze_accepts_article_objects_and_writes_the_report(seeds_dir, tmp_path):
    articles = load_articles(seeds_dir)[:2]
    analysis = analyze(articles, KeywordClassifier())
    assert set(analysis.claims["doc_id"]) == {a.doc_id for a in articles}
    paths = analysis.write(tmp_path)
    assert sorted(p.name for p in paths.values()) == ["claims.jsonl", "report.html", "sources.csv"]
    assert len(analysis.articles) == 2 and analysis.errors == []
