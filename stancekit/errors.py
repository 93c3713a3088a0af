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


# Messages shown to users, kept here so each is written once. Fill them with str.format; an
# InputError adds the file (and line) in front of its problem.

# Models
UNKNOWN_MODEL = "unknown model {name!r}: use {names}, a model folder, a .skops file, or module:attr"
NOT_A_MODEL_FOLDER = "{path}: not a model folder (no {config}); use a folder saved by 'stancekit train'"
BAD_MODULE_ATTR = "bad classifier {spec!r}: expected module:attr, for example mypackage.models:MyClassifier"
NOT_VALID_JSON = "{path}: not valid JSON"
MODEL_FILE_MISSING = "{path}: missing; the model folder is incomplete"
LABELS_DIFFER = "{path}: labels {found} differ from {expected}"
UNKNOWN_BACKEND = "unknown backend {backend!r}; choose one of {choices}"
ONNX_UNREADABLE = "{path}: not a readable ONNX model ({reason}); delete the file to rebuild it"
BUILDING_ONNX = "building the {precision} ONNX model once, into {path} ..."
MEASURING_BACKENDS = ("choosing the fastest backend that keeps fp32's labels on this CPU "
                      "(once per CPU, a minute or more; cached in {path}) ...")

# Inputs
NO_ARTICLES = "no articles found in {paths}: expected .txt, .html, .htm or .jsonl files"
NO_SUCH_PATH = "no such file or folder"
CANNOT_READ = "cannot read file: {reason}"
UNKNOWN_FILE_TYPE = "unknown file type {suffix!r}; {expected}"
MALFORMED_JSON = "malformed JSON: {reason} (column {column})"
NESTED_TOO_DEEPLY = "malformed JSON: nested too deeply"
NOT_AN_OBJECT = "expected a JSON object, got {kind}"
NO_TEXT_FIELD = "record has no 'text' field"
TEXT_NOT_A_STRING = "'text' must be a string, got {kind}"
TEXT_EMPTY = "'text' is empty"
NO_CLAIMS = "no claims found in the articles; sources.csv, claims.jsonl and report.html were not written"

# Runs
RESUME_NEEDS_OUT = "--resume continues an interrupted run into its --out file; give --out"
_AFRESH = "run again without --resume to start afresh"
RESUME_OTHER_RUN = ("--resume: {folder} holds an interrupted run over other inputs or with another model; "
                    + _AFRESH)
RESUME_INPUT_CHANGED = "--resume: input {path} changed since the interrupted run; " + _AFRESH
RESUME_INPUT_NEW = "--resume: input {path} is new since the interrupted run; " + _AFRESH
RESUME_INPUT_GONE = "--resume: input {path} is gone since the interrupted run; " + _AFRESH
RESUME_INPUT_ORDER = "--resume: the inputs come in another order than in the interrupted run; " + _AFRESH
RESUME_MODEL_DIFFERS = "--resume: the model differs from the interrupted run's; " + _AFRESH
INTERRUPTED = "interrupted; finished work is kept: run the same command again with --resume to continue"
INTERRUPTED_UNSAVED = "interrupted; give --out to make a run that --resume can continue"
INTERRUPTED_PLAIN = "interrupted"
