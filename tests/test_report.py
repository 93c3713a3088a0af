"""Report files: contents, offline HTML, byte-identical reruns, and a real headless-browser render."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from stancekit.errors import UsageError
from stancekit.aggregate import TABLE_KEYS, build_tables
from stancekit.outputs import write_results
from stancekit.report import print_table, ranking_sentence, render_html

SOURCES = ("Daily Planet & Co", "Gazette <Nord>")
CHART_IDS = ("chart-shares", "chart-net", "chart-divergence")

# (doc_id, source, title, [(sentence, is_claim, speaker, stance, (p_favor, p_against, p_none))])
ARTICLES = [
    ("p1", SOURCES[0], "Police & ICE: a <plan>", [
        ("Menu | Home", False, None, None, None),
        ("The county should honor every detainer.", True, None, "favor", (0.91, 0.05, 0.04)),
        ("\u201cWe will cooperate,\u201d said Mayor Díaz.", True, "Mayor Díaz", "favor", (0.7, 0.1, 0.2)),
        ("Sanctuary rules protect trust.", True, None, "against", (0.2, 0.7, 0.1)),
    ]),
    ("p2", SOURCES[0], None, [
        ("The council met on Tuesday.", True, None, "none", (0.1, 0.1, 0.8)),
        ("Cooperation keeps neighborhoods safe.", True, None, "favor", (0.8, 0.1, 0.1)),
        ("Photo: staff", False, None, None, None),
    ]),
    ("g1", SOURCES[1], "Les villes & la police", [
        ("Local police must not act as immigration agents.", True, None, "against", (0.05, 0.9, 0.05)),
        ("\u201cIt breaks trust,\u201d said Sheriff Roe.", True, "Sheriff Roe", "against", (0.1, 0.75, 0.15)),
        ("Détainers are a federal tool.", True, None, "none", (0.3, 0.2, 0.5)),
    ]),
]


def make_analysis() -> tuple[pd.DataFrame, list[dict]]:
    """Claims and articles (2 sources, 3 articles) with exact offsets, built from ARTICLES."""
    claims, articles = [], []
    for doc_id, source, title, sentences in ARTICLES:
        text = "Header line\n\n" + " ".join(s[0] for s in sentences) + "\n"
        segments, pos = [], 0
        for seg_id, (sentence, is_claim, speaker, stance, probs) in enumerate(sentences):
            start = text.index(sentence, pos)
            pos = end = start + len(sentence)
            p = dict(zip(("p_favor", "p_against", "p_none"), probs or (None, None, None)))
            segments.append({"seg_id": seg_id, "start": start, "end": end, "is_claim": is_claim,
                             "speaker": speaker, "stance": stance, **p})
            if is_claim:
                claims.append({"doc_id": doc_id, "source": source, "seg_id": seg_id, "start": start, "end": end,
                               "text": sentence, "speaker": speaker, "stance": stance, **p})
        articles.append({"doc_id": doc_id, "source": source, "title": title, "text": text, "segments": segments})
    return pd.DataFrame(claims), articles


def write_report(out_dir: Path) -> dict[str, Path]:
    """The full pipeline from constructed claims to files."""
    claims, articles = make_analysis()
    rows = claims.to_dict("records")
    return write_results(out_dir, build_tables(claims), rows, articles,
                         n_articles=claims["doc_id"].nunique())


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, Path]:
    return write_report(tmp_path_factory.mktemp("report"))


def test_write_results_produces_the_three_files(report):
    assert sorted(p.name for p in report.values()) == ["claims.jsonl", "report.html", "sources.csv"]
    sources = pd.read_csv(report["sources"])
    assert list(sources["source"]) == sorted(SOURCES)
    assert re.search(r"^Daily Planet & Co,2,5,0\.6000,0\.2000,0\.2000,0\.4000,", report["sources"].read_text(),
                     flags=re.M)


def test_claims_jsonl_keeps_input_order_rounds_and_keeps_unicode(report):
    lines = report["claims"].read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 8
    claims, _ = make_analysis()
    assert [(r["doc_id"], r["seg_id"]) for r in records] == list(zip(claims["doc_id"], claims["seg_id"]))
    assert list(records[0]) == ["doc_id", "source", "seg_id", "start", "end", "text", "speaker", "stance", "probs"]
    assert records[0]["probs"] == {"favor": 0.91, "against": 0.05, "none": 0.04}
    assert "Mayor Díaz" in "".join(lines) and "\\u" not in "".join(lines)
    assert {r["speaker"] for r in records} == {None, "Mayor Díaz", "Sheriff Roe"}


def test_report_html_is_self_contained_and_escaped(report):
    page = report["report"].read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    for source in SOURCES:
        assert html.escape(source) in page and source not in page  # present, and always escaped
        assert f'data-source="{html.escape(source)}"' in page
    for testid in (*CHART_IDS, "sources-table"):
        assert f'data-testid="{testid}"' in page
    assert re.search(r'data-testid="chart-shares">\s*<svg', page)
    assert page.count('<span id="doc-') == 8 and page.count("<details") == 3
    assert 'title="favor 0.91 · against 0.05 · none 0.04 — speaker: author"' in page
    assert "speaker: Mayor Díaz" in page and "Police &amp; ICE: a &lt;plan&gt;" in page


def test_the_charts_draw_the_tables_numbers(report):
    page = report["report"].read_text(encoding="utf-8")
    charts = {t: re.search(rf'data-testid="{t}">(.*?)</figure>', page, re.S).group(1) for t in CHART_IDS}
    tables = build_tables(make_analysis()[0])
    for row in tables["by_source"].itertuples(index=False):
        name = html.escape(row.source)
        for label in ("favor", "against", "none"):  # each bar's parts, as hover text
            assert f"<title>{name}: {label} {getattr(row, label):.0%}</title>" in charts["chart-shares"]
        assert f"<title>{name}: {row.net_stance:+.2f}".replace("-", "−") in charts["chart-net"]
    assert charts["chart-net"].count("<circle") == 1 + len(SOURCES)  # one dot per source, one in the legend
    matrix = tables["divergence"]
    assert charts["chart-divergence"].count("<rect") == matrix.size + 1  # the cells and the color scale
    a, b = matrix.index
    assert f"<title>{html.escape(a)} vs {html.escape(b)}: {matrix.loc[a, b]:.2f}</title>" in charts["chart-divergence"]


def test_repeated_runs_are_byte_identical(tmp_path, report):
    again = write_report(tmp_path / "again")
    for name, path in report.items():
        assert again[name].read_bytes() == path.read_bytes(), name


def test_a_fresh_process_with_another_hash_seed_writes_the_same_bytes(tmp_path, report):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "import test_report; test_report.write_report(Path(sys.argv[2]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(tmp_path)], check=True, env=env,
                   timeout=120)
    for name, path in report.items():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), name


def test_write_results_names_missing_tables(tmp_path):
    claims, articles = make_analysis()
    with pytest.raises(UsageError, match="pairwise"):
        write_results(tmp_path, {k: None for k in TABLE_KEYS if k != "pairwise"}, claims.to_dict("records"), articles,
                      n_articles=2)


def test_print_table_shows_every_source():
    from rich.console import Console

    claims, _ = make_analysis()
    console = Console(record=True, width=160)
    print_table(build_tables(claims)["by_source"], console=console)
    text = console.export_text()
    assert all(source in text for source in SOURCES) and "Net [95% CI]" in text


def test_every_user_string_is_escaped_even_a_script_tag():
    claims, articles = make_analysis()
    hostile = "<script>alert(1)</script>"
    claims = claims.assign(source=claims["source"].replace(SOURCES[1], hostile),
                           speaker=claims["speaker"].replace("Sheriff Roe", hostile),
                           text=claims["text"].where(claims["seg_id"] != 0, hostile))
    for article in articles:
        article["source"] = hostile if article["source"] == SOURCES[1] else article["source"]
    page = render_html(articles, build_tables(claims), n_articles=3, n_claims=len(claims))
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # table, evidence, speakers, drill-down


def ranking_of(nets: dict[str, float], separated: set[tuple[str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A ranking table and its pairwise table for sources with these net stances and separated pairs."""
    from stancekit.pairwise import PAIRWISE_COLUMNS, ranking

    table = pd.DataFrame({"source": list(nets), "net_stance": list(nets.values())})
    names = sorted(nets)
    pairs = pd.DataFrame([{"source_a": a, "source_b": b, "diff": nets[a] - nets[b], "ci_low": 0.0, "ci_high": 0.0,
                           "separated": (a, b) in separated, "jsd": 0.0}
                          for i, a in enumerate(names) for b in names[i + 1:]], columns=list(PAIRWISE_COLUMNS))
    return ranking(table, pairs), pairs


def test_the_ranking_sentence_orders_only_what_the_intervals_support():
    overlapping = ranking_sentence(*ranking_of({"A": -0.4, "B": 0.1, "C": 0.3}, set()))
    assert overlapping.startswith("Indistinguishable") and "<" not in overlapping
    chained = ranking_sentence(*ranking_of({"A": -0.4, "B": 0.1, "C": 0.3}, {("A", "C")}))
    assert chained.startswith("Indistinguishable") and "1 of 3 pairs differ" in chained
    grouped = ranking_sentence(*ranking_of({"A": -0.4, "B": 0.1, "C": 0.3}, {("A", "B"), ("A", "C")}))
    assert grouped.endswith("A (−0.40)  <  B (+0.10) ≈ C (+0.30).")


def test_the_report_states_the_interval_method_and_the_rules(report):
    page = report["report"].read_text(encoding="utf-8")
    assert "t intervals over articles" in page
    assert 'data-testid="ranking">Indistinguishable' in page  # 2 + 1 articles cannot be told apart
    assert "fewer than 3 claims are listed without an interval" in page and "+1.00 [–]" in page
    assert "then the larger margin over the second most likely stance, then the longer claim" in page


def _chromium() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def test_report_renders_in_headless_chromium(report, tmp_path):
    if _chromium() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed, and CI=true needs this test to run (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    result = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=2000", "--dump-dom", report["report"].resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    for testid in CHART_IDS:
        assert re.search(rf'data-testid="{testid}">\s*<svg\b', dom), testid
    assert re.search(r'<table data-testid="sources-table">', dom)
    for source in SOURCES:
        assert f'<tr data-source="{html.escape(source)}">' in dom
    page_errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not page_errors, page_errors
