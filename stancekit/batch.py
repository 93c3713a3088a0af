"""Long runs over many inputs: streaming in fixed groups, checkpoints, and ``--resume``.

Work is done in groups of a fixed size counted from the start of the input, and each finished
group is flushed to a partial file with a progress record. A resumed run skips the finished
groups, so batches (and therefore results) are the same as in an uninterrupted run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pandas as pd

from .classifiers.base import StanceClassifier
from .errors import InputError
from .io import iter_articles
from .outputs import error_record
from .pipeline import CLAIM_COLUMNS, Analysis, classify_articles, predict_proba
from .schema import LABELS

LINE_GROUP = 512
DOC_GROUP = 32
#: Articles shown in the report's drill-down; every claim is still in claims.jsonl.
DRILL_DOWN_LIMIT = 200


class Checkpoint:
    """Partial output files plus a progress record (items consumed, bytes of each file)."""

    def __init__(self, folder: Path, names: Iterable[str], resume: bool):
        self.folder = folder
        self.paths = {name: folder / name for name in names}
        self.progress_path = folder / "progress.json"
        folder.mkdir(parents=True, exist_ok=True)
        state = self._read() if resume else None
        self.done = state["items"] if state else 0
        for name, path in self.paths.items():
            size = state["sizes"].get(name, 0) if state else 0
            with open(path, "ab") as handle:
                handle.truncate(size)
        self.handles = {name: open(path, "a", encoding="utf-8") for name, path in self.paths.items()}

    def _read(self) -> dict | None:
        try:
            return json.loads(self.progress_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def commit(self, items: int) -> None:
        """Make everything written so far durable and record that ``items`` inputs are done."""
        sizes = {}
        for name, handle in self.handles.items():
            handle.flush()
            os.fsync(handle.fileno())
            sizes[name] = handle.tell()
        self.done = items
        tmp = self.progress_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"items": items, "sizes": sizes}), encoding="utf-8")
        os.replace(tmp, self.progress_path)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()

    def discard(self) -> None:
        self.close()
        for path in [*self.paths.values(), self.progress_path]:
            path.unlink(missing_ok=True)
        try:
            self.folder.rmdir()
        except OSError:
            pass


def _groups(items: Iterator, size: int, start: int) -> Iterator[tuple[int, list]]:
    """(index of first item, items) for consecutive groups, skipping the first ``start`` items."""
    for _ in islice(items, start):
        pass
    index = start
    while group := list(islice(items, size)):
        yield index, group
        index += len(group)


# ------------------------------------------------------------------------------------------ classify
def classify_jsonl(path: Path, classifier: StanceClassifier, *, out: Path | None = None, resume: bool = False,
                   on_error: Callable[[str], None] = lambda msg: None) -> tuple[int, int]:
    """Classify every ``text`` of a JSONL file; returns (lines processed, lines failed)."""
    from .io import read_text

    text, _ = read_text(path)
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    checkpoint = Checkpoint(_partial_dir(out), ["out.jsonl"], resume) if out else None
    sink = checkpoint.handles["out.jsonl"] if checkpoint else None
    processed = failed = 0
    for first, group in _groups(iter(lines), LINE_GROUP, checkpoint.done if checkpoint else 0):
        records, texts = _parse_lines(path, group, on_error)
        proba = predict_proba(classifier, texts)
        k = 0
        for record in records:
            if "error" not in record or "text" in record:
                p = proba[k]
                k += 1
                record["stance"] = LABELS[int(p.argmax())]
                record["probs"] = {label: round(float(x), 4) for label, x in zip(LABELS, p)}
                processed += 1
            else:
                failed += 1
            line = json.dumps(record, ensure_ascii=False) + "\n"
            if sink is None:
                print(line, end="")
            else:
                sink.write(line)
        if checkpoint:
            checkpoint.commit(first + len(group))
    if checkpoint:
        checkpoint.close()
        os.replace(checkpoint.paths["out.jsonl"], out)
        checkpoint.discard()
    return processed, failed


def _parse_lines(path: Path, group: list[tuple[int, str]], on_error) -> tuple[list[dict], list[str]]:
    records, texts = [], []
    for lineno, line in group:
        try:
            record = json.loads(line)
            problem = None
            if not isinstance(record, dict):
                problem = f"expected a JSON object, got {type(record).__name__}"
            elif "text" not in record:
                problem = "record has no 'text' field"
            elif not isinstance(record["text"], str):
                problem = f"'text' must be a string, got {type(record['text']).__name__}"
        except ValueError as exc:
            problem = f"malformed JSON: {exc.msg} (column {exc.colno})"
        if problem:
            err = InputError(path, problem, lineno)
            on_error(str(err))
            records.append(error_record(err))
        else:
            records.append(record)
            texts.append(record["text"])
    return records, texts


def _partial_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


# ------------------------------------------------------------------------------------------- compare
@dataclass
class CompareResult:
    processed: int
    failed: int
    tables: dict | None
    analysis: Analysis | None


def compare_paths(paths, classifier: StanceClassifier, *, out: Path, resume: bool = False, max_mb=None,
                  on_error=lambda msg: None, on_warning=lambda msg: None, seed: int = 0) -> CompareResult:
    """Stream articles through segment -> classify in groups, checkpointing, then aggregate and write."""
    checkpoint = Checkpoint(Path(out) / ".partial", ["claims.jsonl", "docs.jsonl", "errors.jsonl"], resume)
    items = iter_articles(paths, max_mb=max_mb)
    for first, group in _groups(items, DOC_GROUP, checkpoint.done):
        articles = []
        for item in group:
            if isinstance(item, InputError):
                on_error(str(item))
                checkpoint.handles["errors.jsonl"].write(json.dumps(error_record(item), ensure_ascii=False) + "\n")
                continue
            for note in item.meta.get("warnings", []):
                on_warning(f"{item.path}: {note}")
            articles.append(item)
        rows, documents = classify_articles(articles, classifier)
        for row in rows:
            checkpoint.handles["claims.jsonl"].write(json.dumps(row, ensure_ascii=False) + "\n")
        for doc in documents:
            checkpoint.handles["docs.jsonl"].write(json.dumps(doc, ensure_ascii=False) + "\n")
        checkpoint.commit(first + len(group))
    checkpoint.close()
    claims = _read_claims(checkpoint.paths["claims.jsonl"])
    documents = _read_jsonl(checkpoint.paths["docs.jsonl"])
    errors = _read_jsonl(checkpoint.paths["errors.jsonl"])
    analysis = Analysis(claims, documents[:DRILL_DOWN_LIMIT], [], seed)
    tables = analysis.tables() if len(claims) else None
    if tables is not None:
        analysis.write(out, tables)
    from .outputs import write_text_atomic

    write_text_atomic(Path(out) / "errors.jsonl", "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors))
    checkpoint.discard()
    return CompareResult(len(documents), len(errors), tables, analysis)


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _read_claims(path: Path) -> pd.DataFrame:
    return pd.DataFrame(_read_jsonl(path), columns=CLAIM_COLUMNS)
