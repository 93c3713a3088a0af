"""Writing results safely: atomic files (temporary file, then rename) and error records."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .errors import InputError


class AtomicWriter:
    """A text sink that appears at ``path`` only when complete; ``None`` writes to stdout."""

    def __init__(self, path: str | os.PathLike | None, *, append_from: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else None
        self._append_from = append_from
        self._handle = None
        self._tmp = None

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        if self._append_from is not None:
            self._handle.write(Path(self._append_from).read_text(encoding="utf-8"))
        return self._handle

    def __exit__(self, exc_type, exc, tb):
        if self._handle is None:
            return False
        self._handle.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            os.unlink(self._tmp)
        return False


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    with AtomicWriter(path) as handle:
        handle.write(text)


def error_record(err: InputError) -> dict:
    """The output line that stands for a document that could not be read."""
    record = {"path": err.path, "error": err.problem}
    if err.line is not None:
        record["line"] = err.line
    return record
