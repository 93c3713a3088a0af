"""The ``stancekit`` command: thin subcommands over the library's functions.

Input problems are reported one line each (file, line, problem) and never stop the other inputs;
the exit status is 2 when any input or argument was bad, 0 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import InputError, StancekitError, UsageError
from .io import iter_articles
from .outputs import AtomicWriter, error_record


class _Command(click.Group):
    """Turns stancekit's own errors into one-line messages with exit status 2 (tracebacks with --debug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except StancekitError as err:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {err}", err=True)
            ctx.exit(2)


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
                record = {"doc_id": item.doc_id, "source": item.source, **seg.to_dict()}
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            tally.processed += 1
    tally.finish()


class _Tally:
    """Counts documents processed and failed, reports each failure on one line, sets the exit status."""

    def __init__(self) -> None:
        self.processed = self.failed = self.skipped = 0

    def skip_error(self, item, sink=None) -> bool:
        if isinstance(item, InputError):
            self.failed += 1
            click.echo(f"error: {item}", err=True)
            if sink is not None:
                sink.write(json.dumps(error_record(item), ensure_ascii=False) + "\n")
            return True
        for note in item.meta.get("warnings", []):
            click.echo(f"warning: {item.path}: {note}", err=True)
        return False

    def finish(self) -> None:
        click.echo(f"{self.processed} processed, {self.skipped} skipped, {self.failed} failed", err=True)
        if self.failed:
            sys.exit(2)


def main() -> None:
    """Console-script entry point."""
    try:
        cli(standalone_mode=True)
    except UsageError as err:  # pragma: no cover - raised outside click's context
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
