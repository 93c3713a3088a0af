"""The ``stancekit`` command: thin subcommands over the library's functions.

Input problems are reported one line each (file, line, problem) and never stop the other inputs;
every run over documents ends with a summary line on stderr ("N processed, N skipped, N failed"),
also when it stops on an error. The exit status is 2 when any input, argument or model was bad,
1 for an unexpected error (a bug), 130 when interrupted (Ctrl-C), 0 otherwise. Tracebacks are
shown only with ``stancekit --debug``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import errors
from .errors import RESUME_NEEDS_OUT, InputError, StancekitError, UsageError
from .atomic import AtomicWriter
from .classifiers import load_classifier
from .classifiers.backends import BACKENDS
from .io import iter_articles, warning_lines
from .outputs import error_record, jsonl_line
from .runs.checkpoint import Counts


class _Command(click.Group):
    """Turns errors into one-line messages (tracebacks only with --debug).

    Exit status 2 for stancekit's own errors (bad input, arguments or model) and for files that
    cannot be read or written; 1 for anything unexpected, which is a bug worth reporting; 130 for
    Ctrl-C, with a line on how to continue. A run over documents still ends with its summary line.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            tally = ctx.meta.get(_Tally.KEY)
            click.echo(tally.interrupted if tally is not None else errors.INTERRUPTED_PLAIN, err=True)
            _Tally.summary(tally)
            ctx.exit(130)
        except Exception as err:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {_one_line(err)}", err=True)
            _Tally.summary(ctx.meta.get(_Tally.KEY))
            ctx.exit(2 if isinstance(err, (StancekitError, OSError)) else 1)


def _one_line(err: Exception) -> str:
    if isinstance(err, StancekitError):
        text = str(err)
    elif isinstance(err, OSError):
        text = f"{err.filename}: {err.strerror or err}" if err.filename is not None else str(err.strerror or err)
    else:
        text = f"unexpected {type(err).__name__}: {err} (run 'stancekit --debug ...' for the traceback)"
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.version_option(package_name="stancekit")
def cli(debug: bool) -> None:
    """Compare how news sources stand on local cooperation with federal immigration enforcement.

    Articles (.txt, .html, .jsonl or folders of them) are split into claims, each claim gets a stance
    (favor / against / none) and the sources are compared side by side.

    \b
    Start here:   stancekit compare seeds/
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), help="Write JSON Lines here instead of stdout.")
@click.option("--claims-only", is_flag=True, help="Leave out boilerplate segments (is_claim = false).")
@click.option("--max-mb", type=float, default=None, help="Largest input file in MB (default 20).")
def segment(paths: tuple[Path, ...], out: Path | None, claims_only: bool, max_mb: float | None) -> None:
    """Split articles into sentences with offsets, claim flags and speakers.

    One JSON line per segment: doc_id, source, seg_id, start, end, text, is_claim, speaker.
    Offsets index the article text (for HTML, the extracted main text).
    """
    from .segment import segment as split

    tally = _Tally()
    with AtomicWriter(out) as sink:
        for item in iter_articles(paths, max_mb=max_mb):
            if tally.skip_error(item, sink):
                continue
            for seg in split(item.text):
                if claims_only and not seg.is_claim:
                    continue
                sink.write(jsonl_line({"doc_id": item.doc_id, "source": item.source, **seg.to_dict()}))
            tally.processed += 1
    tally.finish()


_MODEL_HELP = "Classifier: 'transformer' (default, shipped), 'tfidf', 'similarity', a model folder, or module:attr."
_backend_option = click.option(
    "--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
    help="Inference backend of a transformer model: 'auto' takes the fastest that keeps fp32's labels on this "
         "CPU (measured once, then cached); fp32, bf16, int8 run torch; onnx-fp32, onnx-int8 run ONNX Runtime.")
_QUIET_HELP = "No progress bar (it is shown only when stderr is a terminal)."


@cli.command()
@click.argument("input_path", type=click.Path(path_type=Path))
@click.option("--model", default=None, help=_MODEL_HELP)
@click.option("--out", "out", type=click.Path(path_type=Path), help="Output JSONL (default: stdout).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run into the same --out file.")
@click.option("--max-mb", type=float, default=None, help="Largest input file in MB (default 20).")
@_backend_option
@click.option("--quiet", "-q", is_flag=True, help=_QUIET_HELP)
def classify(input_path: Path, model: str | None, out: Path | None, resume: bool, max_mb: float | None,
             backend: str, quiet: bool) -> None:
    """Add stance and probabilities to every line of a JSONL file of claims.

    Each input line needs a "text" field; it is written back unchanged with "stance"
    (favor / against / none) and "probs" ({label: probability}) added. A line that cannot be
    read becomes an error record ({"path", "line", "error"}), so output lines match the
    non-blank input lines.
    """
    from .runs.local import classify_jsonl

    tally = _Tally(interrupted=errors.INTERRUPTED if out is not None else errors.INTERRUPTED_UNSAVED)
    if resume and out is None:
        raise UsageError(RESUME_NEEDS_OUT)
    classifier = load_classifier(model, backend=backend)
    try:
        classify_jsonl(input_path, classifier, out=out, resume=resume, max_mb=max_mb, on_error=_echo_error,
                       on_warning=_echo_warning, model=model or "default", progress=not quiet, counts=tally)
    except InputError as err:  # the file itself: nothing to write, one line and the summary
        if click.get_current_context().find_root().params.get("debug"):
            raise
        _echo_error(str(err))
        tally.failed = 1
    tally.finish()


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("stancekit-out"), show_default=True,
              help="Folder for sources.csv, claims.jsonl and report.html.")
@click.option("--model", default=None, help=_MODEL_HELP)
@click.option("--resume", is_flag=True, help="Continue an interrupted run into the same --out folder.")
@click.option("--max-mb", type=float, default=None, help="Largest input file in MB (default 20).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="'dask' runs on a Dask cluster (pip install 'stancekit[dask]'), with the same outputs.")
@click.option("--workers", type=int, default=2, show_default=True,
              help="With --engine dask: worker processes of the local cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: a running cluster's scheduler (tcp://host:8786) instead of a local one.")
@_backend_option
@click.option("--quiet", "-q", is_flag=True, help=_QUIET_HELP)
def compare(paths: tuple[Path, ...], out: Path, model: str | None, resume: bool, max_mb: float | None,
            engine: str, workers: int, scheduler: str | None, backend: str, quiet: bool) -> None:
    """Compare sources side by side: stance shares, net stance with intervals, evidence.

    Prints the table and writes OUT/sources.csv, OUT/claims.jsonl and OUT/report.html
    (self-contained: open it in any browser, offline), and OUT/errors.jsonl with one record per
    document that could not be read. An interrupted run continues with --resume. PATHS may be
    files, folders or quoted glob patterns ('shards/*.jsonl').
    """
    from .report import print_table

    tally = _Tally(interrupted=errors.INTERRUPTED)
    if engine == "dask":
        from .runs.dask import compare_on_dask

        load_classifier(model, backend=backend)  # a bad model fails here, in one line, before a cluster starts
        result = compare_on_dask(paths, model, out=out, workers=workers, scheduler=scheduler, resume=resume,
                                 max_mb=max_mb, progress=not quiet, backend=backend, on_error=_echo_error,
                                 on_warning=_echo_warning, counts=tally)
    else:
        from .runs.local import compare_paths

        if scheduler:
            raise UsageError("--scheduler needs --engine dask")
        result = compare_paths(paths, load_classifier(model, backend=backend), out=out, resume=resume,
                               max_mb=max_mb, on_error=_echo_error, on_warning=_echo_warning,
                               model=model or "default", progress=not quiet, counts=tally)
    if result.tables is not None:
        print_table(result.tables["by_source"])
        click.echo(f"wrote {out / 'sources.csv'}, {out / 'claims.jsonl'}, {out / 'report.html'}", err=True)
    elif tally.processed + tally.skipped - tally.failed_before:
        _echo_warning(errors.NO_CLAIMS)
    if tally.failed or tally.failed_before:
        click.echo(f"wrote {out / 'errors.jsonl'} (one record per document that could not be read)", err=True)
    tally.finish()


@cli.command()
@click.option("--classifier", "name", default="transformer", show_default=True,
              help="transformer, tfidf, similarity, majority, a model folder, or module:attr.")
@click.option("--data", default="seeds", show_default=True,
              help="'seeds' (the gold seed claims), 'devset' (the real-text dev set, 78 articles) or a labeled "
                   "JSONL file (text, stance, optional doc_id/source).")
@click.option("--cv", "folds", type=int, is_flag=False, flag_value=6, default=None, metavar="K",
              help="Retrain with article-level K-fold cross-validation (K = 6 when given alone); each fold trains "
                   "on the training corpus plus the other folds' articles.")
@click.option("--loso", is_flag=True, help="Leave one article out: --cv with one fold per article.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds and the bootstrap.")
@click.option("--predictions", "predictions_path", type=click.Path(path_type=Path),
              help="With --cv/--loso: write the pooled predictions (doc_id, seg_id, text, gold, pred, probs, fold).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write metrics as JSON.")
@click.option("--markdown", "markdown_path", type=click.Path(path_type=Path), help="Write metrics as markdown.")
@_backend_option
def evaluate(name: str, data: str, folds: int | None, loso: bool, seed: int, predictions_path: Path | None,
             json_path: Path | None, markdown_path: Path | None, backend: str) -> None:
    """Score a classifier against gold labels (macro-F1, F_avg, per class, accuracy, ECE, 95% CIs).

    Without --cv the classifier is used as it is; with --cv or --loso it is retrained in every fold,
    so no claim is scored by a model that saw its article.
    """
    from .classifiers import make_trainable
    from .data import load_named
    from .evaluate import cross_validate, write_evaluation
    from .evaluate import evaluate as run_evaluation
    from .report import print_evaluation

    gold = load_named(data)
    if loso or folds is not None:
        if "doc_id" not in gold.column_names:
            raise UsageError(f"{data}: cross-validation needs a doc_id per record to keep articles apart")
        k = len(set(gold["doc_id"])) if loso else folds
        params = {"progress": True} if name == "transformer" else {}
        result = cross_validate(lambda: make_trainable(name, **params), gold, k=k, seed=seed,
                                name=f"{name} ({'leave-one-article-out' if loso else f'{k}-fold CV'} on {data})")
    else:
        if predictions_path:
            raise UsageError("--predictions writes cross-validated predictions; add --cv or --loso")
        classifier = load_classifier(name, backend=backend)
        _warn_if_trained_on(name, data)
        result = run_evaluation(classifier, gold, name=f"{name} on {data}", seed=seed)
    print_evaluation(result)
    write_evaluation(result, json_path, markdown_path)
    if predictions_path:
        result.write_predictions(predictions_path)


def _warn_if_trained_on(name: str, data: str) -> None:
    """Say so when a saved model's training config includes the articles it is being scored on."""
    from .classifiers.registry import DEFAULT_MODEL, TFIDF_MODEL

    folder = {"transformer": DEFAULT_MODEL, "tfidf": TFIDF_MODEL}.get(name, Path(name))
    config_path = folder / "train_config.json"
    if data not in ("seeds", "devset") or not config_path.is_file():
        return
    config = json.loads(config_path.read_text(encoding="utf-8"))
    stages = [config] + [{**config, **stage} for stage in config.get("then", [])]
    if any(stage.get(f"use_{data}", data == "seeds") for stage in stages):
        _echo_warning(f"{name} was trained on the {data} articles, so these figures are not held out; "
                      "use --cv or --loso for held-out figures")


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), required=True,
              help="JSON training config (see models/stance-minilm/train_config.json).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Folder for the trained model.")
def train(config_path: Path, out: Path) -> None:
    """Train a classifier (the fine-tuned MiniLM or a baseline) and save a loadable model folder."""
    import logging

    from .train import TrainConfig
    from .train import train as run_training

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    run_training(TrainConfig.from_file(config_path), out)
    click.echo(f"saved model to {out}", err=True)


def _echo_error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _echo_warning(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


class _Tally(Counts):
    """Counts documents processed, skipped and failed, reports each failure on one line, sets the exit status.

    skipped: finished by an interrupted earlier run and not redone (--resume). The exit status is 2
    when any document failed, in this run or in the run it resumes. The command's tally is kept in
    the click context, so a run that stops on an error still ends with its summary line;
    ``interrupted`` is the line for Ctrl-C.
    """

    KEY = "stancekit.tally"

    def __init__(self, *, interrupted: str = errors.INTERRUPTED_PLAIN) -> None:
        super().__init__()
        self.interrupted = interrupted
        click.get_current_context().meta[self.KEY] = self

    def skip_error(self, item, sink=None) -> bool:
        if isinstance(item, InputError):
            self.failed += 1
            _echo_error(str(item))
            if sink is not None:
                sink.write(jsonl_line(error_record(item)))
            return True
        for line in warning_lines(item):
            _echo_warning(line)
        return False

    def finish(self) -> None:
        if self.failed_before:
            _echo_warning(f"{self.failed_before} of the {self.skipped} documents finished before --resume "
                          "could not be read; their error records are in the output")
        self.summary(self)
        if self.failed or self.failed_before:
            sys.exit(2)

    @staticmethod
    def summary(tally: _Tally | None) -> None:
        """The summary line, when a run over documents was started (``tally`` is not None)."""
        if tally is not None:
            click.echo(f"{tally.processed} processed, {tally.skipped} skipped, {tally.failed} failed", err=True)


def main() -> None:
    """Console-script entry point."""
    try:
        cli(standalone_mode=True)
    except UsageError as err:  # pragma: no cover - raised outside click's context
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
