"""The single-machine commands over many inputs: ``classify`` (a JSONL file of claims) and ``compare``
(articles to result files), streaming in fixed groups with checkpoints and ``--resume``."""

from __future__ import annotations

import array
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate, islice
from pathlib import Path

import numpy as np
import pandas as pd

from ..aggregate import build_tables
from ..classifiers.base import StanceClassifier
from .. import errors
from ..errors import RESUME_NEEDS_OUT, InputError, UsageError
from ..io import JSONL_SUFFIXES, jsonl_lines, read_jsonl_lines, read_text, split_inputs, text_problem
from ..outputs import DRILL_DOWN_LIMIT, error_record, jsonl_line, rounded_probs, write_results
from ..pipeline import classify_articles, predict_proba
from ..schema import CLAIM_COLUMNS, LABELS
from .checkpoint import Checkpoint, Counts, group_size, input_record, model_identity
from .partitions import DOC_GROUP, file_size, groups, partition_groups, plan_partitions
from .progress import RunProgress

#: Claims (JSONL lines) per checkpointed group in ``classify``; STANCEKIT_LINE_GROUP overrides it.
LINE_GROUP = 512


def classify_jsonl(path: str | os.PathLike, classifier: StanceClassifier, *, out: Path | None = None,
                   resume: bool = False, max_mb: float | None = None,
                   on_error: Callable[[str], None] = lambda msg: None,
                   on_warning: Callable[[str], None] = lambda msg: None, model: str | os.PathLike | None = None,
                   progress: bool = False, counts: Counts | None = None) -> Counts:
    """Classify every ``text`` of a JSONL file, one output line per non-blank input line.

    A line that cannot be used becomes an error record in the output and a message to
    ``on_error``. With ``out``, work is checkpointed and ``resume`` continues an interrupted run
    over the same file and model (``model``: what ``load_classifier`` was given; see
    checkpoint.model_identity). ``counts`` is filled in as the run goes, so a caller still has
    the figures when the run stops early. Raises InputError when the file itself cannot be read.
    """
    path = Path(path)
    if resume and out is None:
        raise UsageError(RESUME_NEEDS_OUT)
    text = _read_jsonl_input(path, max_mb, on_warning)
    lines = list(jsonl_lines(text))
    checkpoint = None
    if out is not None:
        key = {"inputs": [input_record(path)], "model": model_identity(model, classifier)}
        checkpoint = Checkpoint(_partial_dir(Path(out)), ["out.jsonl"], resume, key=key,
                                group=group_size("STANCEKIT_LINE_GROUP", LINE_GROUP))
    counts = counts if counts is not None else Counts()
    counts.skipped = checkpoint.done if checkpoint else 0
    counts.failed_before = checkpoint.failed_before if checkpoint else 0
    size = checkpoint.group if checkpoint else group_size("STANCEKIT_LINE_GROUP", LINE_GROUP)
    with RunProgress(len(lines), unit="claims", enabled=progress, initial=counts.skipped, articles=False) as bar:
        _classify_groups(path, classifier, groups(iter(lines), size, counts.skipped), checkpoint, counts,
                         bar.messages(on_error), bar)
    if checkpoint:
        checkpoint.close()
        checkpoint.progress_path.unlink(missing_ok=True)
        os.replace(checkpoint.paths["out.jsonl"], out)
        checkpoint.discard()
    return counts


def _classify_groups(path: Path, classifier, line_groups, checkpoint: Checkpoint | None, counts: Counts,
                     on_error, bar: RunProgress) -> None:
    """Classify each group of lines and write it (to the checkpoint, or to stdout without one)."""
    sink = checkpoint.handles["out.jsonl"] if checkpoint else None
    to_stdout = bar.messages(lambda text: print(text, end="", flush=True))  # above the bar on a terminal
    for first, group in line_groups:
        records, texts = _parse_lines(path, group, on_error)
        proba = predict_proba(classifier, texts)
        k = 0
        chunk = []
        for record in records:
            if isinstance(record, InputError):
                counts.failed += 1
                record = error_record(record)
            else:
                p = proba[k]
                k += 1
                record["stance"] = LABELS[int(p.argmax())]
                record["probs"] = rounded_probs(p)
                counts.processed += 1
            chunk.append(jsonl_line(record))
        if sink is None:
            to_stdout("".join(chunk))
        else:
            sink.write("".join(chunk))
            checkpoint.commit(first + len(group), counts.failed_before + counts.failed)
        bar.advance(len(group), claims=len(texts))


def _read_jsonl_input(path: Path, max_mb: float | None, on_warning) -> str:
    if path.is_dir():
        raise InputError(path, "is a folder; classify reads one .jsonl file")
    if not path.exists():
        raise InputError(path, errors.NO_SUCH_PATH)
    if path.suffix.lower() not in JSONL_SUFFIXES:
        raise InputError(path, errors.UNKNOWN_FILE_TYPE.format(
            suffix=path.suffix or "(none)",
            expected="classify reads a .jsonl file with one JSON object with a 'text' field per line"))
    try:
        text, warnings = read_text(path, max_mb=max_mb)
    except OSError as exc:
        raise InputError(path, errors.CANNOT_READ.format(reason=exc.strerror or exc)) from None
    for note in warnings:
        on_warning(f"{path}: {note}")
    return text


def _parse_lines(path: Path, group: list[tuple[int, str]], on_error) -> tuple[list, list[str]]:
    """Records (dicts, or InputError for a line that cannot be used) and the texts to classify."""
    records, texts = [], []
    for lineno, record in read_jsonl_lines(path, group):
        if isinstance(record, dict) and (problem := text_problem(record)):
            record = InputError(path, problem, lineno)
        if isinstance(record, InputError):
            on_error(str(record))
        else:
            texts.append(record["text"])
        records.append(record)
    return records, texts


def _partial_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


@dataclass
class CompareResult:
    processed: int
    failed: int
    tables: dict | None
    skipped: int = 0
    failed_before: int = 0


def compare_paths(paths, classifier: StanceClassifier, *, out: Path, resume: bool = False, max_mb=None,
                  on_error=lambda msg: None, on_warning=lambda msg: None,
                  model: str | os.PathLike | None = None, progress: bool = False,
                  counts: Counts | None = None) -> CompareResult:
    """Stream articles through segment -> classify in groups, checkpointing, then aggregate and write.

    Documents that cannot be read go to OUT/errors.jsonl (always written, empty when none).
    ``resume`` continues an interrupted run over the very same input files and model (``model``:
    what ``load_classifier`` was given); ``counts`` is filled in as the run goes.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    partitions = plan_partitions(list(paths))
    key = {"inputs": [input_record(item) for part in partitions for item in part],
           "model": model_identity(model, classifier)}
    checkpoint = Checkpoint(Path(out) / ".partial", ["claims.jsonl", "docs.jsonl", "errors.jsonl"], resume,
                            group=group_size("STANCEKIT_DOC_GROUP", DOC_GROUP), key=key)
    counts = counts if counts is not None else Counts()
    counts.skipped, counts.failed_before = checkpoint.done, checkpoint.failed_before
    ends = list(accumulate(sum(file_size(item) for item in part) for part in partitions))
    with RunProgress(max(ends[-1], 1), unit="bytes", enabled=progress) as bar:
        on_error, on_warning = bar.messages(on_error), bar.messages(on_warning)
        for first, group, part in partition_groups(partitions, checkpoint.group, checkpoint.done, max_mb):
            bar.move_to(max(bar.position, ends[part - 1] if part else 0))  # earlier partitions are done
            articles, errors = split_inputs(group, on_error, on_warning)
            share = min(sum(len(a.text) for a in articles), ends[part] - bar.position)  # bytes, roughly
            rows, documents = classify_articles(articles, classifier, on_batch=bar.per_batch(share))
            _append(checkpoint, {"errors.jsonl": map(error_record, errors), "claims.jsonl": rows,
                                 "docs.jsonl": documents})
            counts.processed += len(articles)
            counts.failed += len(errors)
            checkpoint.commit(first + len(group), counts.failed_before + counts.failed)
            bar.advance(0 if rows else share, articles=len(group))
    checkpoint.close()
    tables = _write_outputs(Path(out), checkpoint)
    checkpoint.discard()
    return CompareResult(counts.processed, counts.failed, tables, counts.skipped, counts.failed_before)


def _append(checkpoint: Checkpoint, records: dict) -> None:
    """Append one group's records to the checkpoint's partial files ({file name: records})."""
    for name, items in records.items():
        checkpoint.handles[name].write("".join(jsonl_line(item) for item in items))


def _write_outputs(out: Path, checkpoint: Checkpoint) -> dict | None:
    """Aggregate from a compact claims table (no texts), then stream the claims from the partial file
    into the result files, so memory stays flat however many articles were compared."""
    claims = _compact_claims(checkpoint.paths["claims.jsonl"])
    tables = build_tables(claims) if len(claims) else None
    n_articles = claims["doc_id"].nunique()
    del claims  # the report needs only the tables: free the claims table before drawing it
    with open(checkpoint.paths["docs.jsonl"], encoding="utf-8") as handle:
        documents = [json.loads(line) for line in islice(handle, DRILL_DOWN_LIMIT)]
    with open(checkpoint.paths["claims.jsonl"], encoding="utf-8") as claims_file, \
            open(checkpoint.paths["errors.jsonl"], encoding="utf-8") as errors_file:
        write_results(out, tables, (json.loads(line) for line in claims_file), documents, n_articles=n_articles,
                      errors=(json.loads(line) for line in errors_file if line.strip()))
    return tables


def _compact_claims(path: Path) -> pd.DataFrame:
    """Every claim without its text, gathered in typed arrays (strings as category codes) so the
    table costs a few bytes per claim however many articles were compared."""
    strings = ("doc_id", "source", "speaker", "stance")
    numbers = {"seg_id": "l", "start": "l", "end": "l", "p_favor": "d", "p_against": "d", "p_none": "d"}
    codes = {name: array.array("l") for name in strings}
    values = {name: array.array(kind) for name, kind in numbers.items()}
    vocab: dict[str, dict] = {name: {} for name in strings}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            for name in strings:
                codes[name].append(vocab[name].setdefault(row[name], len(vocab[name])))
            for name in numbers:
                values[name].append(row[name])
    columns = {}
    for name in CLAIM_COLUMNS:
        if name in strings:
            columns[name] = _categorical(codes[name], list(vocab[name]))
        elif name in numbers:
            columns[name] = np.frombuffer(values[name], dtype=np.int64 if numbers[name] == "l" else np.float64)
    frame = pd.DataFrame(columns)
    for name in strings:  # plain strings (None for no speaker), as the aggregates expect
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame.insert(CLAIM_COLUMNS.index("text"), "text", "")
    return frame[list(CLAIM_COLUMNS)]


def _categorical(codes, categories: list) -> pd.Categorical:
    """A Categorical from integer codes into ``categories``, where a None category means missing."""
    kept = [c for c in categories if c is not None]
    position = {c: i for i, c in enumerate(kept)}
    remap = np.array([-1 if c is None else position[c] for c in categories], dtype=np.int64)
    index = np.frombuffer(codes, dtype=np.int64) if len(codes) else np.zeros(0, dtype=np.int64)
    return pd.Categorical.from_codes(remap[index], categories=kept)
