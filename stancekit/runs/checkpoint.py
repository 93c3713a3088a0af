"""Checkpoints: partial output files plus a progress record, so an interrupted run can ``--resume``.

Work is done in groups of a fixed size counted from the start of the input, and each finished
group is flushed to a partial file with a progress record. A resumed run skips the finished
groups, so batches (and therefore results) are the same as in an uninterrupted run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import RESUME_OTHER_RUN, UsageError


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

    The record also keeps the group size and a key describing the inputs and the model, so a
    resumed run cuts the same groups and refuses to continue a run over something else.
    """

    def __init__(self, folder: Path, names: Iterable[str], resume: bool, *, group: int,
                 key: dict | None = None):
        self.folder = folder
        self.paths = {name: folder / name for name in names}
        self.progress_path = folder / "progress.json"
        self.key = key
        state = self._read() if resume else None
        if state is not None and key is not None and state.get("key", key) != key:
            raise UsageError(RESUME_OTHER_RUN.format(folder=folder))
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


def model_key(classifier) -> str:
    """The classifier's class, as recorded in a checkpoint's key."""
    kind = type(classifier)
    return f"{kind.__module__}.{kind.__qualname__}"
