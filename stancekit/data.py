"""Labeled data as Hugging Face ``datasets``: the gold seed claims and the training corpus, offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import InputError
from .schema import LABELS

REPO = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO / "seeds"
SEED_LABELS = SEEDS_DIR / "labels.jsonl"
TRAINING_CORPUS = SEEDS_DIR / "train" / "corpus.jsonl"


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Records of a JSON Lines file; a bad line raises InputError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    records = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError as exc:
                raise InputError(path, f"malformed JSON: {exc}", lineno) from None
    return records


def load_seeds(path: str | os.PathLike | None = None, *, claims_only: bool = True):
    """Gold-labeled seed segments as a ``datasets.Dataset`` (columns doc_id, source, seg_id, text, ...)."""
    from datasets import Dataset

    records = read_jsonl(path or SEED_LABELS)
    if claims_only:
        records = [r for r in records if r["is_claim"]]
    return Dataset.from_list(records)


def load_training(path: str | os.PathLike | None = None):
    """The in-domain training corpus (text, stance, register, quoted, speaker, doc) as a Dataset."""
    from datasets import Dataset

    return Dataset.from_list(read_jsonl(path or TRAINING_CORPUS))


def load_labeled(path: str | os.PathLike):
    """A user's labeled JSONL (``text`` and ``stance`` per line, optional ``doc_id``/``source``) as a Dataset."""
    from datasets import Dataset

    records = read_jsonl(path)
    for lineno, record in enumerate(records, 1):
        if not isinstance(record.get("text"), str) or record.get("stance") not in LABELS:
            raise InputError(path, f"record {lineno} needs a string 'text' and 'stance' in {LABELS}")
        record.setdefault("doc_id", Path(path).stem)
        record.setdefault("source", record["doc_id"])
    return Dataset.from_list(records)
