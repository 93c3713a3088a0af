"""The result files of a comparison: sources.csv, claims.jsonl, report.html and errors.jsonl.

``write_results`` is the one writer behind ``Analysis.write``, ``compare`` and ``compare --engine
dask``. Claims stream through it once: each becomes a claims.jsonl line, and the texts of the
evidence claims are picked up as they pass, so a run never holds every claim's text in memory.
Every file is written atomically, with floats at fixed precision, so reruns give the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .aggregate import TABLE_KEYS
from .atomic import AtomicWriter, write_text_atomic  # write_text_atomic is also imported from here
from .errors import InputError, UsageError
from .report import none_if_missing, render_html
from .schema import LABELS

#: Articles shown in the report's drill-down by ``compare``; every claim is still in claims.jsonl.
DRILL_DOWN_LIMIT = 200

#: The result files by name, as write_results returns them.
RESULT_FILES = {"sources": "sources.csv", "claims": "claims.jsonl", "report": "report.html",
                "errors": "errors.jsonl"}


def write_results(out_dir: str | os.PathLike, tables: dict | None, claims: Iterable[dict], documents: list[dict],
                  *, n_articles: int, errors: Iterable[dict] | None = None) -> dict[str, Path]:
    """Write the result files into ``out_dir``; return their paths by name (see RESULT_FILES).

    ``claims`` are claim rows (CLAIM_COLUMNS keys) in input order, read once; ``tables`` come from
    ``aggregate.build_tables`` (their evidence texts may be empty: they are filled in from
    ``claims``, in ``tables`` too); ``documents`` are the articles shown in the report's drill-down.
    Without ``tables`` (no claims) only errors.jsonl is written; without ``errors``, no errors.jsonl.
    """
    out, paths = Path(out_dir), {}
    if tables is not None:
        missing = [key for key in TABLE_KEYS if key not in tables]
        if missing:
            raise UsageError(f"tables is missing {missing}; expected keys {list(TABLE_KEYS)} "
                             "(build_tables(claims) makes them all).")
        evidence = tables["evidence"]
        wanted = {(row.doc_id, int(row.seg_id)) for row in evidence.itertuples(index=False)}
        texts, n_claims = {}, 0
        paths["claims"] = out / RESULT_FILES["claims"]
        with AtomicWriter(paths["claims"]) as sink:
            for row in claims:
                sink.write(claim_line(row))
                n_claims += 1
                if (key := (row["doc_id"], int(row["seg_id"]))) in wanted:
                    texts[key] = row["text"]
        tables["evidence"] = evidence.assign(text=[texts.get((row.doc_id, int(row.seg_id)), row.text)
                                                   for row in evidence.itertuples(index=False)])
        paths["sources"] = out / RESULT_FILES["sources"]
        write_text_atomic(paths["sources"], sources_csv(tables["by_source"]))
        paths["report"] = out / RESULT_FILES["report"]
        write_text_atomic(paths["report"], render_html(documents, tables, n_articles=n_articles, n_claims=n_claims))
    if errors is not None:
        paths["errors"] = out / RESULT_FILES["errors"]
        with AtomicWriter(paths["errors"]) as sink:
            for record in errors:
                sink.write(jsonl_line(record))
    return paths


def sources_csv(by_source_table: pd.DataFrame) -> str:
    """The by_source table as CSV text with floats fixed to 4 decimals (stable bytes across runs)."""
    return _tidy(by_source_table).to_csv(index=False, float_format="%.4f", lineterminator="\n")


def claim_line(row: dict) -> str:
    """The claims.jsonl line of one claim row (CLAIM_COLUMNS keys)."""
    record = {
        "doc_id": row["doc_id"], "source": row["source"], "seg_id": int(row["seg_id"]),
        "start": int(row["start"]), "end": int(row["end"]), "text": row["text"],
        "speaker": none_if_missing(row["speaker"]), "stance": row["stance"],
        "probs": rounded_probs(row[f"p_{label}"] for label in LABELS),
    }
    return jsonl_line(record)


def rounded_probs(probs) -> dict[str, float]:
    """{label: probability} rounded to 4 decimals, as the output files show probabilities.

    >>> rounded_probs([0.123456, 0.5, 0.376544])
    {'favor': 0.1235, 'against': 0.5, 'none': 0.3765}
    """
    return {label: round(float(p), 4) + 0.0 for label, p in zip(LABELS, probs)}


def jsonl_line(record: dict) -> str:
    """One JSON Lines line: the record as JSON (non-ASCII kept as is) and a newline."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def error_record(err: InputError) -> dict:
    """The output line that stands for a document that could not be read."""
    record = {"path": err.path, "error": err.problem}
    if err.line is not None:
        record["line"] = err.line
    return record


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded to 4 decimals with negative zero removed, so printed values are stable."""
    floats = table.select_dtypes("float").columns
    return table.assign(**{c: table[c].round(4) + 0.0 for c in floats})
