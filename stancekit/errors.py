"""Exception types and the texts users see: one line each, naming the file and the problem."""

from __future__ import annotations


class StancekitError(Exception):
    """Base class: every error stancekit raises on purpose."""


class InputError(StancekitError):
    """An input file or record that cannot be read; the message names the file (and line)."""

    def __init__(self, path: str, problem: str, line: int | None = None):
        self.path, self.problem, self.line = str(path), problem, line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class ModelError(StancekitError):
    """A classifier that cannot be found, loaded or verified."""


class UsageError(StancekitError):
    """A command-line or API argument that does not make sense."""
