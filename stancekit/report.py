"""Results for people: the terminal tables and one offline report.html, rendered from tables already built.

Nothing here aggregates (``aggregate.build_tables`` makes the tables) or writes files
(``outputs.write_results`` does). The HTML is byte-identical across runs on the same tables:
floats are formatted to fixed precision and matplotlib's SVG output is made deterministic (fixed
hash salt, no date). report.html is self-contained: inline CSS and SVG, no scripts, no network.
"""

from __future__ import annotations

import html
import io
import math
import re
import textwrap
from collections.abc import Iterable

import pandas as pd

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

    table = Table(title="Stance by source", caption="Net stance = favor - against, 95% bootstrap interval")
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
    body = "\n".join([
        _header(table, n_articles, n_claims),
        _section("overview", "Side by side", _sources_table(table, weighted)),
        _section("shares", "Stance shares", _chart("chart-shares", _shares_svg(table))),
        _section("net", "Net stance",
                 _chart("chart-net", _net_svg(table, weighted)) + _ranking_line(tables["ranking"])),
        _section("divergence", "How different are the sources?",
                 _chart("chart-divergence", _divergence_svg(tables["divergence"]))
                 + _pairwise_table(tables["pairwise"])),
        _section("voices", "Whose voice?",
                 _voices_table(tables["by_voice"]) + _speakers_table(tables["by_speaker"])),
        _section("evidence", "Evidence", _evidence(tables["evidence"], anchors)),
        _section("articles", "Articles", _articles(articles, anchors)),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>stancekit report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            f"{body}\n</main>\n</body>\n</html>\n")


# ---------------------------------------------------------------- sections

def _header(table: pd.DataFrame, n_articles: int, n_claims: int) -> str:
    """Title, the question every stance is about, and the size of the analysis."""
    counts = f"{len(table)} sources · {n_articles} articles · {n_claims} claims"
    nav = " ".join(f'<a href="#{key}">{_e(name)}</a>' for key, name in (
        ("overview", "Table"), ("shares", "Shares"), ("net", "Net stance"), ("divergence", "Divergence"),
        ("voices", "Voices"), ("evidence", "Evidence"), ("articles", "Articles")))
    return (f'<header>\n<h1>Stance by source</h1>\n<p class="question">Question: {_e(TARGET)}</p>\n'
            f'<p class="meta">{_e(counts)}</p>\n<nav>{nav}</nav>\n</header>')


def _section(key: str, title: str, content: str) -> str:
    """A titled section that the navigation bar can link to."""
    return f'<section id="{key}">\n<h2>{_e(title)}</h2>\n{content}\n</section>'


def _chart(testid: str, svg: str) -> str:
    """A chart container holding inline SVG and one line saying what the chart shows."""
    return (f'<figure class="chart" data-testid="{testid}">\n{svg}\n'
            f'<figcaption>{_e(_CAPTIONS[testid])}</figcaption>\n</figure>')


_CAPTIONS = {
    "chart-shares": "Share of each source's claims predicted favor, against or none (each bar sums to 100%).",
    "chart-net": "Net stance = share favor minus share against (-1 all against, +1 all in favor). Whiskers are "
                 "95% bootstrap intervals (resampling articles; claims when a source has only one article).",
    "chart-divergence": "Jensen-Shannon divergence between the sources' favor/against/none distributions "
                        "(0 = identical, 1 = no overlap).",
}


def _sources_table(table: pd.DataFrame, weighted: pd.DataFrame) -> str:
    """The side-by-side table, one row per source (with the probability-weighted net stance too)."""
    weighted_net = dict(zip(weighted["source"], weighted["net_stance"]))
    head = _row(["Source", "Docs", "Claims", "Favor", "Against", "None", "Net stance [95% CI]",
                 "Weighted net", "Confidence"], cell="th")
    rows = [_row([row.source, row.n_docs, row.n_claims, _pct(row.favor), _pct(row.against), _pct(row.none),
                  _net(row.net_stance, row.ci_low, row.ci_high), _signed(weighted_net.get(row.source)),
                  f"{row.mean_confidence:.2f}"], attrs=f' data-source="{_e(row.source)}"')
            for row in table.itertuples(index=False)]
    note = ("Shares count each claim's predicted stance; weighted net uses the mean probabilities instead, "
            "so uncertain claims count as uncertain. Confidence is the mean top probability.")
    return _table(head, rows, testid="sources-table") + f'\n<p class="note">{_e(note)}</p>'


def _ranking_line(table: pd.DataFrame) -> str:
    """Sources in order from most against to most in favor."""
    if table.empty:
        return ""
    order = " → ".join(f"{row.source} ({_signed(row.net_stance)})" for row in table.itertuples(index=False))
    return f'<p class="note">From most against to most in favor: {_e(order)}</p>'


def _pairwise_table(table: pd.DataFrame) -> str:
    """Differences in net stance for every pair of sources, with intervals and divergence."""
    if table.empty:
        return '<p class="note">Only one source: nothing to compare.</p>'
    head = _row(["Source A", "Source B", "Net A − net B [95% CI]", "JSD"], cell="th", text=2)
    rows = [_row([row.source_a, row.source_b, _net(row.diff, row.ci_low, row.ci_high), f"{row.jsd:.3f}"], text=2)
            for row in table.itertuples(index=False)]
    return _table(head, rows, testid="pairwise-table")


_STAT_HEAD = ["Claims", "Favor", "Against", "None", "Net stance [95% CI]"]


def _stat_cells(row) -> list:
    """Claims, shares and net stance with its interval, formatted for a table row."""
    return [row.n_claims, _pct(row.favor), _pct(row.against), _pct(row.none),
            _net(row.net_stance, row.ci_low, row.ci_high)]


def _voices_table(table: pd.DataFrame) -> str:
    """Stance of each source's own voice (author) against the people it quotes."""
    head = _row(["Source", "Voice", *_STAT_HEAD], cell="th", text=2)
    rows = [_row([row.source, row.voice, *_stat_cells(row)], text=2) for row in table.itertuples(index=False)]
    return "<h3>Author vs quoted</h3>\n" + _table(head, rows, testid="voices-table")


def _speakers_table(table: pd.DataFrame) -> str:
    """The most-quoted speakers and where they are quoted."""
    if table.empty:
        return '<h3>Top speakers</h3>\n<p class="note">No quoted speakers were found.</p>'
    head = _row(["Speaker", "Quoted by", *_STAT_HEAD], cell="th", text=2)
    rows = [_row([row.speaker, row.sources, *_stat_cells(row)], text=2)
            for row in table.head(_TOP_SPEAKERS).itertuples(index=False)]
    return "<h3>Top speakers</h3>\n" + _table(head, rows, testid="speakers-table")


def _evidence(table: pd.DataFrame, anchors: dict[str, str]) -> str:
    """Per source, the most confident claims for each stance, linked to where they stand in the article."""
    parts = ['<p class="note">The claims the classifier was most sure of, per source and stance; '
             "click a location to open the article at that claim.</p>"]
    for source, group in table.groupby("source", sort=True):
        columns = []
        for label in LABELS:
            rows = group[group["stance"] == label].itertuples(index=False)
            items = "".join(_evidence_item(row, anchors) for row in rows)
            listing = f"<ol>{items}</ol>" if items else '<p class="note">none</p>'
            columns.append(f'<div class="evidence-col {label}"><h4>{label}</h4>{listing}</div>')
        parts.append(f'<div class="evidence-source" data-source="{_e(source)}">\n<h3>{_e(source)}</h3>\n'
                     f'<div class="evidence-grid">{"".join(columns)}</div>\n</div>')
    return "\n".join(parts)


def _evidence_item(row, anchors: dict[str, str]) -> str:
    """One evidence claim: its text, probability, speaker and location (a link into the drill-down)."""
    speaker = none_if_missing(row.speaker)
    who = f" · {_e(speaker)}" if speaker else ""
    where = _e(f"{row.doc_id} [{int(row.start)}:{int(row.end)}]")
    target = anchors.get(row.doc_id)
    link = f'<a href="#{target}-s{int(row.seg_id)}">{where}</a>' if target else where
    return (f'<li><span class="quote">{_e(row.text)}</span>'
            f'<span class="meta">p = {row.probability:.2f}{who} · {link}</span></li>')


def _articles(articles: list[dict], anchors: dict[str, str]) -> str:
    """Every article, collapsed, with its claims highlighted by stance."""
    legend = " ".join(f'<span class="claim {label}">{label}</span>' for label in LABELS)
    parts = [f'<p class="note">Claims are highlighted by predicted stance ({legend}); '
             "hover one for its probabilities. Greyed text is not a claim.</p>"]
    for article in sorted(articles, key=lambda a: (a["source"], a["doc_id"])):
        parts.append(_article(article, anchors[article["doc_id"]]))
    return "\n".join(parts)


def _article(article: dict, anchor: str) -> str:
    """One article as a <details> element: title and source in the summary, marked-up text inside."""
    n_claims = sum(1 for seg in article["segments"] if seg.get("is_claim"))
    title = article.get("title") or article["doc_id"]
    where = " · ".join([article["source"], *([article["doc_id"]] if article.get("title") else [])])
    return (f'<details id="{anchor}" data-source="{_e(article["source"])}">'
            f'<summary><strong>{_e(title)}</strong> <span class="meta">{_e(where)} · {n_claims} claims</span>'
            f'</summary>\n<div class="article-text">{_marked_text(article, anchor)}</div>\n</details>')


def _marked_text(article: dict, anchor: str) -> str:
    """The article text, escaped, with claims wrapped in stance spans and other segments greyed."""
    text, pos, out = article["text"], 0, []
    for seg in sorted(article["segments"], key=lambda s: (s["start"], s["end"])):
        start, end = max(seg["start"], pos), min(seg["end"], len(text))
        if end <= start:
            continue
        piece = text[start:end]
        out.append(_e(text[pos:start]))
        if seg.get("is_claim") and seg.get("stance"):
            out.append(_claim_span(seg, piece, f"{anchor}-s{seg['seg_id']}"))
        else:
            out.append(f'<span class="seg">{_e(piece)}</span>')
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)


def _claim_span(seg: dict, text: str, span_id: str) -> str:
    """A claim in a span classed by its stance, whose title shows the probabilities on hover."""
    probs = " · ".join(f"{label} {float(seg.get(f'p_{label}') or 0.0):.2f}" for label in LABELS)
    speaker = none_if_missing(seg.get("speaker")) or "author"
    title = _e(f"{probs} — speaker: {speaker}")
    return f'<span id="{span_id}" class="claim {seg["stance"]}" title="{title}">{_e(text)}</span>'


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

def _table(head: str, rows: Iterable[str], *, testid: str) -> str:
    """An HTML table with a header row and body rows."""
    return (f'<div class="table-wrap"><table data-testid="{testid}">\n<thead>{head}</thead>\n'
            f'<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table></div>')


def _row(cells: list, *, cell: str = "td", attrs: str = "", text: int = 1) -> str:
    """One table row, every cell escaped; the first ``text`` cells are left-aligned text, the rest numbers."""
    opened = [f'{cell} class="t"' if i < text else cell for i, _ in enumerate(cells)]
    return f"<tr{attrs}>" + "".join(f"<{tag}>{_e(c)}</{cell}>" for tag, c in zip(opened, cells)) + "</tr>"


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
    return f"{_signed(value)} [{_signed(low)}, {_signed(high)}]"


def none_if_missing(value):
    """None for a missing value (None, NaN or pandas NA), else the value itself."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _e(value) -> str:
    return html.escape(str(value), quote=True)


_CSS = """
:root { --ink: #222; --muted: #6b6b6b; --line: #e3e3e3; --bg: #fafafa;
  --favor: #2b8cbe; --against: #d7301f; --none: #bdbdbd; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 64px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
.question { margin: 0; font-size: 17px; }
.meta, .note, figcaption { color: var(--muted); font-size: 13px; }
nav { margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 6px 14px; }
nav a, a { color: var(--favor); text-decoration: none; }
nav a:hover, a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin: 20px 0; }
h2 { margin: 0 0 12px; font-size: 20px; }
h3 { margin: 18px 0 8px; font-size: 16px; }
h4 { margin: 0 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th.t, td.t { text-align: left; }
thead th { border-bottom: 2px solid #ccc; font-weight: 600; }
tbody tr:nth-child(even) { background: #f6f6f6; }
tbody tr:hover { background: #eef5fa; }
figure.chart { margin: 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { margin-top: 6px; text-align: center; }
.evidence-source { border-top: 1px solid var(--line); }
.evidence-grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
.evidence-col { border-top: 4px solid var(--none); padding-top: 6px; }
.evidence-col.favor { border-color: var(--favor); }
.evidence-col.against { border-color: var(--against); }
.evidence-col ol { margin: 0; padding-left: 20px; font-size: 14px; }
.evidence-col li { margin-bottom: 10px; }
.quote { display: block; }
.evidence-col .meta { display: block; }
details { border-top: 1px solid var(--line); padding: 8px 0; }
summary { cursor: pointer; }
.article-text { white-space: pre-wrap; margin-top: 10px; line-height: 1.7; font-size: 15px; }
.seg { color: #9e9e9e; }
.claim { border-radius: 3px; padding: 1px 2px; cursor: help; }
.claim.favor { background: rgba(43, 140, 190, .18); box-shadow: inset 0 -2px var(--favor); }
.claim.against { background: rgba(215, 48, 31, .15); box-shadow: inset 0 -2px var(--against); }
.claim.none { background: rgba(189, 189, 189, .18); box-shadow: inset 0 -2px var(--none); }
.claim:target { outline: 2px solid #333; }
@media (max-width: 720px) { .evidence-grid { grid-template-columns: 1fr; } }
"""
