"""Results for people: the terminal tables and one offline report.html, rendered from tables already built.

Nothing here aggregates (``aggregate.build_tables`` makes the tables) or writes files
(``outputs.write_results`` does). The HTML comes from the jinja2 template templates/report.html.j2,
which escapes every value it is given; its charts are plain SVG drawn by templates/charts.svg.j2. It
is byte-identical across runs on the same tables: numbers are formatted to fixed precision.
report.html is self-contained: inline CSS and SVG, no scripts, no network.
"""

from __future__ import annotations

import functools
import math

import pandas as pd

from .aggregate import ARTICLE_SD, EVIDENCE_RULE, MIN_SPEAKER_CLAIMS
from .schema import LABELS, TARGET

#: One color per label, used by the charts and the drill-down highlights.
COLORS: dict[str, str] = {"favor": "#2b8cbe", "against": "#d7301f", "none": "#bdbdbd"}

_TOP_SPEAKERS = 15
_MAX_HEATMAP = 30     # sources drawn in the divergence heat map (all are in the pairwise table)
_MAX_ANNOTATED = 12   # heat maps larger than this are drawn without per-cell numbers


def print_table(by_source_table: pd.DataFrame, console=None) -> None:
    """Print the side-by-side comparison of sources as a rich table."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Stance by source", caption="Net stance = favor - against, 95% interval over articles")
    table.add_column("Source", min_width=10)
    for name in ("Docs", "Claims", "Favor", "Against", "None"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Net [95% CI]", justify="right")
    table.add_column("Conf.", justify="right", no_wrap=True)
    for row in by_source_table.itertuples(index=False):
        table.add_row(escape(str(row.source)), str(row.n_docs), str(row.n_claims), _pct(row.favor),
                      _pct(row.against), _pct(row.none), _net(row.net_stance, row.ci_low, row.ci_high),
                      f"{row.mean_confidence:.2f}")
    (console or Console()).print(table)


def print_evaluation(evaluation, console=None) -> None:
    """Print an Evaluation: every metric with its 95% interval, then the confusion matrix."""
    from rich.console import Console
    from rich.table import Table

    metrics = Table()
    for name, justify in (("Metric", "left"), ("Value", "right"), ("95% CI", "right")):
        metrics.add_column(name, justify=justify, no_wrap=True)
    for key, value in evaluation.metrics.items():
        low, high = evaluation.intervals[key]
        metrics.add_row(key, f"{value:.3f}", f"[{low:.3f}, {high:.3f}]")
    confusion = Table(title="Confusion matrix (rows gold, columns predicted)")
    confusion.add_column("gold")
    for label in LABELS:
        confusion.add_column(label, justify="right")
    for label, row in zip(LABELS, evaluation.confusion):
        confusion.add_row(label, *(str(c) for c in row))
    console = console or Console()
    console.print(evaluation.title, markup=False, soft_wrap=True)
    console.print(metrics)
    console.print(evaluation.interval_note, soft_wrap=True)
    console.print(confusion)


def render_html(articles: list[dict], tables: dict, *, n_articles: int, n_claims: int) -> str:
    """The whole report as one self-contained HTML document (``articles`` for the drill-down,
    ``n_articles`` and ``n_claims`` for the header: those with claims, and all claims)."""
    anchors, table, weighted = _anchors(articles), tables["by_source"], tables["by_source_weighted"]
    return _template().render(
        question=TARGET,
        counts=f"{len(table)} sources · {n_articles} articles · {n_claims} claims",
        nav=[("overview", "Table"), ("shares", "Shares"), ("net", "Net stance"), ("divergence", "Divergence"),
             ("voices", "Voices"), ("evidence", "Evidence"), ("articles", "Articles")],
        sources=_sources_table(table, weighted),
        charts={"shares": _chart("chart-shares", _shares_chart(table)),
                "net": _chart("chart-net", _net_chart(table, weighted)),
                "divergence": _chart("chart-divergence", _divergence_chart(tables["divergence"]))},
        ranking=ranking_sentence(tables["ranking"], tables["pairwise"]),
        pairs=_pairwise_table(tables["pairwise"]),
        voices={"head": ["Source", "Voice", *_STAT_HEAD],
                "rows": [{"cells": [row.source, row.voice, *_stat_cells(row)]}
                         for row in tables["by_voice"].itertuples(index=False)]},
        speakers=_speakers_table(tables["by_speaker"]),
        evidence_note=("The claims the classifier was most sure of, per source and stance: "
                       f"{EVIDENCE_RULE}. Click a location to open the article at that claim."),
        evidence=_evidence(tables["evidence"], anchors),
        labels=LABELS,
        articles=[_article(article, anchors[article["doc_id"]])
                  for article in sorted(articles, key=lambda a: (a["source"], a["doc_id"]))],
    )


def ranking_sentence(ranking_table: pd.DataFrame, pairwise_table: pd.DataFrame) -> str:
    """The sources in order from most against to most in favor, as far as the intervals support an order."""
    if len(ranking_table) < 2:
        return ""
    groups = [" ≈ ".join(f"{row.source} ({_signed(row.net_stance)})" for row in group.itertuples(index=False))
              for _, group in ranking_table.groupby("rank", sort=True)]
    if len(groups) == 1:
        apart = int(pairwise_table["separated"].sum())
        detail = (f"{apart} of {len(pairwise_table)} pairs differ (see the table below), but not in a way that "
                  "orders the sources into groups." if apart else
                  "no pair's 95% interval of the difference in net stance excludes 0.")
        return f"Indistinguishable: the sources cannot be ranked; {detail}"
    return ("From most against to most in favor, ordered only where the 95% intervals of the differences "
            f"exclude 0 (≈ joins sources that cannot be told apart): {'  <  '.join(groups)}.")


@functools.cache
def _template():
    """The report template, loaded once from the package's templates/ with autoescape on."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("stancekit", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template("report.html.j2")


def _chart(testid: str, geometry: dict | None) -> dict:
    """A chart's id, what templates/charts.svg.j2 draws it from (None: no claims) and its caption."""
    return {"testid": testid, "geometry": geometry, "caption": _CAPTIONS[testid]}


_CAPTIONS = {
    "chart-shares": "Share of each source's claims predicted favor, against or none (each bar sums to 100%).",
    "chart-net": "Net stance = share favor minus share against (-1 all against, +1 all in favor). Whiskers are "
                 f"95% intervals: t intervals over articles that add how much a source's articles differ (prior SD "
                 f"{ARTICLE_SD:.2f}) to the claims' own noise; in simulated sources of 2-10 articles they hold the "
                 "true value 94-97% of the time (90% if the articles differ strongly, 99% if they barely differ).",
    "chart-divergence": "Jensen-Shannon divergence between the sources' favor/against/none distributions "
                        "(0 = identical, 1 = no overlap).",
}


def _sources_table(table: pd.DataFrame, weighted: pd.DataFrame) -> dict:
    """The side-by-side table, one row per source (with the probability-weighted net stance too)."""
    weighted_net = dict(zip(weighted["source"], weighted["net_stance"]))
    rows = [{"source": row.source,
             "cells": [row.source, row.n_docs, row.n_claims, _pct(row.favor), _pct(row.against), _pct(row.none),
                       _net(row.net_stance, row.ci_low, row.ci_high), _signed(weighted_net.get(row.source)),
                       f"{row.mean_confidence:.2f}"]}
            for row in table.itertuples(index=False)]
    return {"head": ["Source", "Docs", "Claims", "Favor", "Against", "None", "Net stance [95% CI]", "Weighted net",
                     "Confidence"],
            "rows": rows,
            "note": ("Shares count each claim's predicted stance; weighted net uses the mean probabilities instead, "
                     "so uncertain claims count as uncertain. Confidence is the mean top probability.")}


def _pairwise_table(table: pd.DataFrame) -> dict:
    """Differences in net stance for every pair of sources, with intervals, whether they separate, and JSD."""
    rows = [{"cells": [row.source_a, row.source_b, _net(row.diff, row.ci_low, row.ci_high),
                       "yes" if row.separated else "no", f"{row.jsd:.3f}"]}
            for row in table.itertuples(index=False)]
    return {"head": ["Source A", "Source B", "Net A − net B [95% CI]", "Told apart", "JSD"], "rows": rows,
            "note": "Told apart: the 95% interval of the difference excludes 0 (Welch t interval)."}


_STAT_HEAD = ["Claims", "Favor", "Against", "None", "Net stance [95% CI]"]


def _stat_cells(row) -> list:
    """Claims, shares and net stance with its interval, formatted for a table row."""
    return [row.n_claims, _pct(row.favor), _pct(row.against), _pct(row.none),
            _net(row.net_stance, row.ci_low, row.ci_high)]


def _speakers_table(table: pd.DataFrame) -> dict:
    """The most-quoted speakers and where they are quoted."""
    rows = [{"cells": [row.speaker, row.sources, *_stat_cells(row)]}
            for row in table.head(_TOP_SPEAKERS).itertuples(index=False)]
    return {"head": ["Speaker", "Quoted by", *_STAT_HEAD], "rows": rows,
            "note": f"Speakers with fewer than {MIN_SPEAKER_CLAIMS} claims are listed without an interval."}


def _evidence(table: pd.DataFrame, anchors: dict[str, str]) -> list[dict]:
    """Per source, the most confident claims for each stance, linked to where they stand in the article."""
    return [{"name": source,
             "columns": [{"label": label, "claims": [_evidence_item(row, anchors)
                                                    for row in group[group["stance"] == label].itertuples(index=False)]}
                         for label in LABELS]}
            for source, group in table.groupby("source", sort=True)]


def _evidence_item(row, anchors: dict[str, str]) -> dict:
    """One evidence claim: its text, probability, speaker and location (a link into the drill-down)."""
    target = anchors.get(row.doc_id)
    return {"text": row.text, "probability": f"{row.probability:.2f}", "speaker": none_if_missing(row.speaker),
            "where": f"{row.doc_id} [{int(row.start)}:{int(row.end)}]",
            "href": f"#{target}-s{int(row.seg_id)}" if target else None}


def _article(article: dict, anchor: str) -> dict:
    """One article for the drill-down: title, source, claim count and its text in marked pieces."""
    return {"anchor": anchor, "source": article["source"], "title": article.get("title") or article["doc_id"],
            "where": " · ".join([article["source"], *([article["doc_id"]] if article.get("title") else [])]),
            "n_claims": sum(1 for seg in article["segments"] if seg.get("is_claim")),
            "pieces": _pieces(article, anchor)}


def _pieces(article: dict, anchor: str) -> list[dict]:
    """The article text in pieces: plain text, claims (with stance, id and probabilities) and other segments."""
    text, pos, out = article["text"], 0, []
    for seg in sorted(article["segments"], key=lambda s: (s["start"], s["end"])):
        start, end = max(seg["start"], pos), min(seg["end"], len(text))
        if end <= start:
            continue
        out.append({"text": text[pos:start]})
        if seg.get("is_claim") and seg.get("stance"):
            out.append({"text": text[start:end], "claim": True, "stance": seg["stance"],
                        "id": f"{anchor}-s{seg['seg_id']}", "title": _claim_title(seg)})
        else:
            out.append({"text": text[start:end], "segment": True})
        pos = end
    out.append({"text": text[pos:]})
    return out


def _claim_title(seg: dict) -> str:
    """A claim's hover text: its probabilities and speaker."""
    probs = " · ".join(f"{label} {float(seg.get(f'p_{label}') or 0.0):.2f}" for label in LABELS)
    return f"{probs} — speaker: {none_if_missing(seg.get('speaker')) or 'author'}"


# ---------------------------------------------------------------- charts
# templates/charts.svg.j2 draws each chart as inline SVG from the geometry computed here: plain
# shapes and text, so the report needs no plotting library (importing matplotlib and laying out its
# figures took half of a cold `compare` of the seeds).

_WIDTH, _LEFT, _RIGHT = 760, 210, 740  # chart width; the plot spans x = _LEFT to _RIGHT, names to its left
_ROW, _TOP, _BOTTOM = 26, 34, 40       # row height; room for the legend above and the axis below
_NAME_CHARS = 32                       # longer names are shortened (the full name is the hover text)
#: ColorBrewer's sequential "Purples", light to dark, for divergences from 0 to 1.
_PURPLES = ("#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f", "#3f007d")


def _shares_chart(table: pd.DataFrame) -> dict | None:
    """Stacked horizontal bars of favor / against / none shares, one bar per source."""
    if table.empty:
        return None
    chart, x = _rows_chart(table), _scale(0.0, 1.0)
    for row, source in zip(chart["rows"], table.itertuples(index=False)):
        start, row["segments"] = 0.0, []
        for label in LABELS:
            share = float(getattr(source, label))
            row["segments"].append({"label": label, "x": x(start), "width": round(x(start + share) - x(start), 1),
                                    "color": COLORS[label], "share": _pct(share), "show": share >= 0.08,
                                    "text_color": "#222222" if label == "none" else "#ffffff"})
            start += share
    chart["ticks"] = [{"x": x(v), "text": _pct(v)} for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
    chart["legend"] = [{"x": _LEFT + 90 * i, "color": COLORS[label], "text": label} for i, label in enumerate(LABELS)]
    return chart


def _net_chart(table: pd.DataFrame, weighted: pd.DataFrame) -> dict | None:
    """Net stance per source as dots with 95% interval whiskers, the probability-weighted net stance as
    diamonds, and a vertical line at 0."""
    if table.empty:
        return None
    chart, x = _rows_chart(table), _scale(-1.05, 1.05)
    weighted_net = dict(zip(weighted["source"], weighted["net_stance"]))
    for row, source in zip(chart["rows"], table.itertuples(index=False)):
        interval = not (math.isnan(source.ci_low) or math.isnan(source.ci_high))
        other = weighted_net.get(source.source, float("nan"))
        row.update(x=x(source.net_stance), label=_net(source.net_stance, source.ci_low, source.ci_high),
                   low=x(source.ci_low) if interval else None, high=x(source.ci_high) if interval else None,
                   diamond=None if math.isnan(other) else _diamond(x(other), row["y"]), weighted=_signed(other))
    chart["ticks"] = [{"x": x(v), "text": _signed(v)} for v in (-1.0, -0.5, 0.0, 0.5, 1.0)]
    chart["zero"] = x(0.0)
    chart["axis_label"] = "← against · net stance · in favor →"
    chart["legend"] = [{"x": _LEFT, "shape": "dot", "text": "net stance (95% CI)"},
                       {"x": _LEFT + 160, "shape": "diamond", "points": _diamond(_LEFT + 165, 14),
                        "text": "probability-weighted"}]
    return chart


def _divergence_chart(matrix: pd.DataFrame) -> dict | None:
    """Heat map of the pairwise Jensen-Shannon divergence matrix, each cell annotated with its value
    (up to _MAX_ANNOTATED sources), with a color scale from 0 to 1."""
    if matrix.empty:
        return None
    matrix = matrix.iloc[:_MAX_HEATMAP, :_MAX_HEATMAP]  # beyond this a heat map is unreadable
    n, cell = len(matrix), max(12, min(48, 440 // len(matrix)))
    columns = [{"x": _LEFT + j * cell + cell / 2, **_name(name, 20)} for j, name in enumerate(matrix.columns)]
    top = 16 + 4 * max(len(column["name"]) for column in columns)  # room for the slanted column names
    rows = [{"y": top + i * cell + cell / 2, **_name(name)} for i, name in enumerate(matrix.index)]
    cells = [{"x": _LEFT + j * cell, "y": top + i * cell, "color": _purple(value), "text": f"{value:.2f}",
              "text_color": "#ffffff" if value > 0.5 else "#222222",
              "title": f"{matrix.index[i]} vs {matrix.columns[j]}: {value:.2f}"}
             for i, j, value in ((i, j, float(matrix.iat[i, j])) for i in range(n) for j in range(n))]
    return {"width": _LEFT + n * cell + 60, "height": top + n * cell + 20, "top": top, "left": _LEFT,
            "cell": cell, "rows": rows, "columns": columns, "cells": cells, "annotate": n <= _MAX_ANNOTATED,
            "scale_x": _LEFT + n * cell + 16, "scale_height": n * cell,
            "scale_stops": [{"offset": round(i / (len(_PURPLES) - 1), 3), "color": color}
                            for i, color in enumerate(_PURPLES)],
            "scale_ticks": [{"y": round(top + n * cell * (1 - v), 1), "text": f"{v:.1f}"} for v in (0.0, 0.5, 1.0)]}


def _rows_chart(table: pd.DataFrame) -> dict:
    """The frame of a chart with one row per source (in the table's order) over a horizontal axis."""
    rows = [{"y": _TOP + 10 + i * _ROW + _ROW / 2, **_name(source)} for i, source in enumerate(table["source"])]
    plot_bottom = _TOP + 10 + len(rows) * _ROW
    return {"width": _WIDTH, "height": plot_bottom + _BOTTOM, "left": _LEFT, "right": _RIGHT,
            "plot_top": _TOP, "plot_bottom": plot_bottom, "rows": rows, "axis_label": None}


def _scale(low: float, high: float):
    """Data values from ``low`` to ``high`` to x coordinates on the plot, rounded to 0.1 px."""
    return lambda value: round(_LEFT + (float(value) - low) / (high - low) * (_RIGHT - _LEFT), 1)


def _name(name, limit: int = _NAME_CHARS) -> dict:
    """A source or speaker name as drawn (shortened past ``limit`` characters) and in full."""
    full = str(name)
    return {"name": full if len(full) <= limit else full[:limit - 1].rstrip() + "…", "full": full}


def _diamond(x: float, y: float, r: float = 5.0) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in ((x, y - r), (x + r, y), (x, y + r), (x - r, y)))


def _purple(value: float) -> str:
    """The color of a divergence in [0, 1] on the Purples scale, interpolated between its steps."""
    position = min(max(value, 0.0), 1.0) * (len(_PURPLES) - 1)
    i = min(int(position), len(_PURPLES) - 2)
    low, high = (bytes.fromhex(_PURPLES[k][1:]) for k in (i, i + 1))
    return "#" + "".join(f"{round(a + (b - a) * (position - i)):02x}" for a, b in zip(low, high))


# ---------------------------------------------------------------- small helpers

def _anchors(articles: list[dict]) -> dict[str, str]:
    """A stable HTML id for each article, by its position in doc_id order."""
    return {doc_id: f"doc-{i}" for i, doc_id in enumerate(sorted({a["doc_id"] for a in articles}))}


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _signed(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value, 2) + 0.0:+.2f}".replace("-", "−")


def _net(value: float, low: float, high: float) -> str:
    if math.isnan(low):  # a speaker with too few claims: no interval
        return f"{_signed(value)} [–]"
    return f"{_signed(value)} [{_signed(low)}, {_signed(high)}]"


def none_if_missing(value):
    """None for a missing value (None, NaN or pandas NA), else the value itself."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
