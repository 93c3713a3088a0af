"""Checkpoints: partial output files plus a progress record, so an interrupted run can ``--resume``.

Work is done in groups of a fixed size counted from the start of the input, and each finished
group is flushed to a partial file with a progress record. A resumed run skips the finished
groups, so batches (and therefore results) are the same as in an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import errors
from ..errors import InputError, UsageError
from ..io import InputFile


@dataclass
class Counts:
    """What a batch run did with its inputs; processed + skipped + failed = every input document."""

    processed: int = 0
    #: Finished by an interrupted earlier run and not redone (``--resume``).
    skipped: int = 0
    #: Could not be read in this run; each is an error record in the output.
    failed: int = 0
    #: Of the skipped documents, those that were error records.
    failed_before: int = 0


class Checkpoint:
    """Partial output files plus a progress record (items consumed, bytes of each file).

    The record also keeps the group size and a key describing the inputs (each file's size, time
    and SHA-256) and the model (its files' checksums), so a resumed run cuts the same groups and
    refuses, naming what changed, to continue a run over something else.
    """

    def __init__(self, folder: Path, names: Iterable[str], resume: bool, *, group: int,
                 key: dict | None = None):
        self.folder = folder
        self.paths = {name: folder / name for name in names}
        self.progress_path = folder / "progress.json"
        self.key = key
        state = self._read() if resume else None
        if state is not None and key is not None:
            refuse_other_run(state.get("key"), key, folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.done = state["items"] if state else 0
        self.failed_before = state.get("failed", 0) if state else 0
        self.group = state.get("group", group) if state else group
        for name, path in self.paths.items():
            size = state["sizes"].get(name, 0) if state else 0
            with open(path, "ab") as handle:
                handle.truncate(size)
        self.handles = {name: open(path, "a", encoding="utf-8") for name, path in self.paths.items()}

    def _read(self) -> dict | None:
        """The progress record, or None when there is none or the partial files do not match it."""
        try:
            state = json.loads(self.progress_path.read_text(encoding="utf-8"))
            sizes = state["sizes"]
            if not isinstance(state["items"], int) or any(
                    (path.stat().st_size if path.exists() else 0) < sizes.get(name, 0)
                    for name, path in self.paths.items()):
                return None  # files shorter than recorded: start over rather than pad them
            return state
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def commit(self, items: int, failed: int = 0) -> None:
        """Make everything written so far durable and record that ``items`` inputs are done,
        ``failed`` of them as error records."""
        sizes = {}
        for name, handle in self.handles.items():
            handle.flush()
            os.fsync(handle.fileno())
            sizes[name] = handle.tell()
        self.done = items
        tmp = self.progress_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"items": items, "failed": failed, "group": self.group, "key": self.key,
                                   "sizes": sizes}), encoding="utf-8")
        os.replace(tmp, self.progress_path)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()

    def discard(self) -> None:
        self.close()
        for path in [self.progress_path, *self.paths.values()]:
            path.unlink(missing_ok=True)
        try:
            self.folder.rmdir()
        except OSError:
            pass


def group_size(variable: str, default: int) -> int:
    """The group size for a new run: ``default``, or the environment variable when set (for tests)."""
    raw = os.environ.get(variable)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{variable}={raw!r}: expected a whole number of at least 1")
    return value


def input_record(item: InputFile | InputError | Path) -> dict:
    """What identifies one input in a checkpoint's key: its path, size, modification time and SHA-256
    (streamed, so large files cost one read), or its path and why it could not be listed."""
    if isinstance(item, InputError):
        return {"path": str(Path(item.path).resolve()), "error": item.problem}
    path, meta = (item.path, item.meta) if isinstance(item, InputFile) else (item, {})
    record = {"path": str(path.resolve()), **({"meta": meta} if meta else {})}
    try:
        stat = path.stat()
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return {**record, "error": exc.strerror or str(exc)}
    return {**record, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}


def model_identity(spec: str | os.PathLike | None, classifier=None) -> dict:
    """What identifies a model in a checkpoint's key: the checksums of its files when it comes from a
    model folder or file (the shipped models included), else its name or class; plus its backend."""
    from ..classifiers.registry import DEFAULT_MODEL, NAMES, TFIDF_MODEL

    folders = {"default": DEFAULT_MODEL, "transformer": DEFAULT_MODEL, "tfidf": TFIDF_MODEL}
    source = folders.get(spec) or (Path(spec) if spec is not None and spec not in NAMES else None)
    if source is not None and source.exists():
        identity = {"files": _model_files(source)}
    elif spec is not None:
        identity = {"name": str(spec)}
    else:
        kind = type(classifier)
        identity = {"class": f"{kind.__module__}.{kind.__qualname__}"}
    backend = getattr(classifier, "backend", None)
    return {**identity, **({"backend": backend} if isinstance(backend, str) else {})}


def _model_files(source: Path) -> dict[str, str]:
    """{file name: SHA-256} of a model: its checksums.json (checked when the model loaded), or every file."""
    from ..classifiers.transformer import CHECKSUMS

    if (source / CHECKSUMS).is_file():
        return json.loads((source / CHECKSUMS).read_text(encoding="utf-8"))
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]
    return {p.name: input_record(p).get("sha256", "") for p in files}


def refuse_other_run(recorded: dict | None, key: dict, folder: Path) -> None:
    """Raise a one-line UsageError naming what differs between an interrupted run's key and this run's."""
    if recorded == key:
        return
    if not isinstance(recorded, dict) or set(recorded) != set(key):
        raise UsageError(errors.RESUME_OTHER_RUN.format(folder=folder))
    if recorded.get("model") != key.get("model"):
        raise UsageError(errors.RESUME_MODEL_DIFFERS)
    old = {r["path"]: r for r in recorded.get("inputs", [])}
    new = {r["path"]: r for r in key.get("inputs", [])}
    for path in new:
        if path not in old:
            raise UsageError(errors.RESUME_INPUT_NEW.format(path=path))
    for path in old:
        if path not in new:
            raise UsageError(errors.RESUME_INPUT_GONE.format(path=path))
        if old[path] != new[path]:
            raise UsageError(errors.RESUME_INPUT_CHANGED.format(path=path))
    if list(old) != list(new):
        raise UsageError(errors.RESUME_INPUT_ORDER)
    raise UsageError(errors.RESUME_OTHER_RUN.format(folder=folder))
