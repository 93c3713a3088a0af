"""Results for people: the terminal tables and one offline report.html, rendered from tables already built.

Nothing here aggregates (``aggregate.build_tables`` makes the tables) or writes files
(``outputs.write_results`` does). The HTML comes from the jinja2 template templates/report.html.j2,
which escapes every value it is given. It is byte-identical across runs on the same tables:
floats are formatted to fixed precision and matplotlib's SVG output is made deterministic (fixed
hash salt, no date). report.html is self-contained: inline CSS and SVG, no scripts, no network.
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap

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
        charts={"shares": _chart("chart-shares", _shares_svg(table)),
                "net": _chart("chart-net", _net_svg(table, weighted)),
                "divergence": _chart("chart-divergence", _divergence_svg(tables["divergence"]))},
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


def _chart(testid: str, svg: str) -> dict:
    """A chart's id, its inline SVG (drawn by matplotlib, so trusted markup) and its caption."""
    from markupsafe import Markup

    return {"testid": testid, "svg": Markup(svg), "caption": _CAPTIONS[testid]}


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

def _shares_svg(table: pd.DataFrame) -> str:
    """Stacked horizontal bars of favor / against / none shares, one bar per source."""
    if table.empty:
        return '<p class="note">No claims.</p>'
    names = list(table["source"])[::-1]
    fig, ax = _figure(len(names))
    left = [0.0] * len(names)
    for label in LABELS:
        values = list(table[label])[::-1]
        ax.barh(names, values, left=left, color=COLORS[label], label=label, height=0.6, edgecolor="white")
        for i, (x, v) in enumerate(zip(left, values)):
            if v >= 0.08:
                ax.text(x + v / 2, i, f"{v:.0%}", ha="center", va="center", fontsize=8,
                        color="#222222" if label == "none" else "white")
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _svg(fig, "shares")


def _net_svg(table: pd.DataFrame, weighted: pd.DataFrame) -> str:
    """Net stance per source as dots with 95% interval whiskers, and a vertical line at 0."""
    if table.empty:
        return '<p class="note">No claims.</p>'
    names = list(table["source"])[::-1]
    net = list(table["net_stance"])[::-1]
    errors = [[n - lo for n, lo in zip(net, list(table["ci_low"])[::-1])],
              [hi - n for n, hi in zip(net, list(table["ci_high"])[::-1])]]
    fig, ax = _figure(len(names))
    ax.axvline(0, color="#555555", linewidth=1)
    dots = ax.errorbar(net, names, xerr=errors, fmt="o", color="#333333", ecolor="#888888", capsize=3,
                       label="net stance (95% CI)")
    weighted_net = dict(zip(weighted["source"], weighted["net_stance"]))
    (diamonds,) = ax.plot([weighted_net.get(n, float("nan")) for n in names], names, "D", markerfacecolor="none",
                          markeredgecolor="#2b8cbe", label="probability-weighted")
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("← against          net stance          in favor →")
    ax.legend(handles=[dots, diamonds], ncols=2, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _svg(fig, "net")


def _divergence_svg(matrix: pd.DataFrame) -> str:
    """Heat map of the pairwise Jensen-Shannon divergence matrix, each cell annotated with its value."""
    if matrix.empty:
        return '<p class="note">No claims.</p>'
    matrix = matrix.iloc[:_MAX_HEATMAP, :_MAX_HEATMAP]  # beyond this a heat map is unreadable (and slow)
    n = len(matrix)
    fig, ax = _figure(n, width=min(8.0, 3.0 + 1.3 * n), height=1.4 + 0.55 * n)
    image = ax.imshow(matrix.to_numpy(), cmap="Purples", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(n), labels=[_wrap(c) for c in matrix.columns], fontsize=8)
    ax.set_yticks(range(n), labels=list(matrix.index))
    ax.spines[:].set_visible(False)
    ax.tick_params(length=0)
    for i in range(n if n <= _MAX_ANNOTATED else 0):
        for j in range(n):
            value = matrix.iat[i, j]
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=9,
                    color="white" if value > 0.5 else "#222222")
    ax.grid(False)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _svg(fig, "divergence")


def _figure(n_rows: int, *, width: float = 8.0, height: float | None = None):
    """A figure on the Agg canvas (no pyplot state), sized for ``n_rows`` sources."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height or 1.2 + 0.45 * n_rows), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _svg(fig, prefix: str) -> str:
    """Render ``fig`` to inline SVG: deterministic, no XML prolog, metadata or namespace URLs."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r'(\bid="|url\(#|href="#)([^")]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    return svg.replace("<svg ", '<svg role="img" ', 1).strip()


def _wrap(label: str, width: int = 16) -> str:
    """A long tick label broken over lines so that labels don't collide."""
    return textwrap.fill(str(label), width) or str(label)


def _percent_formatter():
    """Axis ticks as whole percentages."""
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


_RC = {
    "svg.hashsalt": "stancekit",
    "font.size": 9,
    "axes.edgecolor": "#888888",
    "axes.labelcolor": "#333333",
    "xtick.color": "#555555",
    "ytick.color": "#555555",
    "legend.fontsize": 8,
}


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
