"""Labeled data as Hugging Face ``datasets``: gold seed claims, the real-text dev set, the training
corpus and any labeled JSONL, offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import errors
from .errors import InputError
from .io import jsonl_lines, read_jsonl_lines
from .schema import LABELS

_CHECKOUT = Path(__file__).resolve().parents[1]
_PACKAGED = Path(__file__).resolve().parent / "_data"
#: The folder holding the shipped ``models/`` and ``seeds/``: the package's own copy in an installed
#: wheel (stancekit/_data), the repository checkout otherwise (an editable install reads them in place).
REPO = _PACKAGED if (_PACKAGED / "models").is_dir() else _CHECKOUT
MODELS_DIR = REPO / "models"
SEEDS_DIR = REPO / "seeds"
SEED_LABELS = SEEDS_DIR / "labels.jsonl"
TRAINING_CORPUS = SEEDS_DIR / "train" / "corpus.jsonl"
#: The real-text development set (78 articles) lives in the shared folder beside the repository;
#: STANCEKIT_DEVSET points elsewhere.
DEVSET_DIR = Path(os.environ.get("STANCEKIT_DEVSET", _CHECKOUT.parent / "shared" / "devset"))
#: Names ``load_named`` understands besides a path.
NAMED_SETS = ("seeds", "devset")


def cache_dir() -> Path:
    """Where stancekit keeps files it builds or measures once per machine (ONNX graphs, the backend
    choice): $STANCEKIT_CACHE, else $XDG_CACHE_HOME/stancekit, else ~/.cache/stancekit."""
    if os.environ.get("STANCEKIT_CACHE"):
        return Path(os.environ["STANCEKIT_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stancekit"


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Records of a JSON Lines file (lines end at "\\n" only); a line that is not a JSON object raises
    InputError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, errors.NO_SUCH_PATH)
    records = []
    for _, record in read_jsonl_lines(path, jsonl_lines(path.read_text(encoding="utf-8"))):
        if isinstance(record, InputError):
            raise record
        records.append(record)
    return records


def load_seeds(path: str | os.PathLike | None = None, *, claims_only: bool = True):
    """Gold-labeled seed segments as a ``datasets.Dataset`` (columns doc_id, source, seg_id, text, ...)."""
    from datasets import Dataset

    records = read_jsonl(path or SEED_LABELS)
    if claims_only:
        records = [r for r in records if r["is_claim"]]
    return Dataset.from_list(records)


def load_devset(path: str | os.PathLike | None = None):
    """The real-text dev set's claims as a ``datasets.Dataset`` (doc_id, source, seg_id, text, stance,
    speaker, start, end) with each article's ``leaning`` (favor / against / balanced) added."""
    from datasets import Dataset

    folder = Path(path or DEVSET_DIR)
    claims = folder / "claims.jsonl"
    if not claims.is_file():
        raise InputError(folder, "the real-text dev set is not here (expected claims.jsonl; set "
                                 "STANCEKIT_DEVSET to its folder)")
    sources = folder / "sources.json"
    leaning = ({doc: meta.get("leaning") for doc, meta in json.loads(sources.read_text(encoding="utf-8")).items()}
               if sources.is_file() else {})
    records = [{**r, "leaning": leaning.get(r["doc_id"])} for r in read_jsonl(claims) if r["is_claim"]]
    return Dataset.from_list(records)


def load_named(name: str):
    """'seeds', 'devset', or the path of a labeled JSONL file, as a Dataset of gold claims."""
    if name == "seeds":
        return load_seeds()
    if name == "devset":
        return load_devset()
    return load_labeled(name)


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
