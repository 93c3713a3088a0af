"""Files that appear whole or not at all: write to a temporary file, then rename it over the target."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


class AtomicWriter:
    """A text sink that appears at ``path`` only when complete; ``None`` writes to stdout.

    The text goes to a temporary file in the same folder, which is flushed to disk, given the
    permissions a newly created file gets (``0o666`` less the umask; ``mkstemp`` makes it ``0o600``)
    and renamed over ``path``. If the block raises, the temporary file is removed and ``path``
    is left as it was.
    """

    def __init__(self, path: str | os.PathLike | None, *, append_from: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else None
        self._append_from = append_from
        self._handle = None
        self._tmp = None

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        if self._append_from is not None:
            self._handle.write(Path(self._append_from).read_text(encoding="utf-8"))
        return self._handle

    def __exit__(self, exc_type, exc, tb):
        if self._handle is None:
            return False
        handle, self._handle = self._handle, None
        try:
            if exc_type is None:
                handle.flush()
                os.fsync(handle.fileno())
                os.chmod(self._tmp, 0o666 & ~_umask())
                handle.close()
                os.replace(self._tmp, self.path)
                return False
        except BaseException:
            handle.close()
            Path(self._tmp).unlink(missing_ok=True)
            raise
        handle.close()
        Path(self._tmp).unlink(missing_ok=True)
        return False


def _umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    with AtomicWriter(path) as handle:
        handle.write(text)

