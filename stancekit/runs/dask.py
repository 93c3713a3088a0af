"""``compare`` on a Dask cluster, for corpora beyond one machine, with the same outputs.

The driver lists the input files and cuts them into the partitions the single-machine run uses
(``runs.partitions.plan_partitions``). Each worker loads the model once, then reads, segments and
classifies whole partitions in the same groups of documents, and writes each partition's claims
to OUT/.partial-dask/ as Parquet. A partition's record appears only when all its files are
written, so a task lost with its worker is simply run again, without duplicates, and ``resume``
skips finished partitions. The per-source tables come from Dask's group-by over the claims: each
group is summarised by the functions of aggregate.py with its claims in input order, so figures
and intervals equal the single-machine run's.

Inputs and OUT must be on a filesystem that every worker can read and write: local disk in local
mode, a shared mount on a cluster.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..aggregate import build_tables, key_fields
from ..atomic import write_text_atomic
from ..classifiers import load_classifier
from ..errors import StancekitError, UsageError
from ..io import jsonl_lines, split_inputs
from ..outputs import DRILL_DOWN_LIMIT, error_record, jsonl_line, write_results
from ..pipeline import classify_articles
from ..schema import CLAIM_COLUMNS
from .checkpoint import Counts, group_size, input_record, model_identity, refuse_other_run
from .local import CompareResult
from .partitions import DOC_GROUP, file_size, partition_groups, plan_partitions
from .progress import RunProgress

#: Staging folder inside OUT for the partitions' files while a run is in progress.
STAGING = ".partial-dask"
#: Claim columns the group-by needs (texts stay in the Parquet files until claims.jsonl is written).
_COMPACT = [c for c in CLAIM_COLUMNS if c != "text"] + ["order"]

_MODELS: dict[tuple, object] = {}  # per worker process: each model is loaded once


def compare_on_dask(paths, model: str | None = None, *, out: str | os.PathLike, workers: int = 2,
                    scheduler: str | None = None, model_threads: int | None = None, resume: bool = False,
                    max_mb: float | None = None, progress: bool = False, backend: str = "auto",
                    on_error: Callable[[str], None] = lambda msg: None,
                    on_warning: Callable[[str], None] = lambda msg: None,
                    counts: Counts | None = None) -> CompareResult:
    """Run ``compare`` over ``paths`` on Dask and write the same files into ``out``.

    ``scheduler`` is the address of a running Dask cluster (``tcp://host:8786``); without it a
    local cluster of ``workers`` processes is started and stopped. ``model`` is what
    ``load_classifier`` takes (a name, a model folder, or module:attr); each worker loads it once.
    ``model_threads`` is the inference threads (torch or ONNX Runtime) per worker: by default the
    cores shared out among the local workers, or the runtime's own default on a running cluster.
    ``backend`` is the transformer's inference backend on every worker. ``resume`` continues an
    interrupted run over the very same input files, model and backend; ``counts`` is filled in as
    partitions finish.
    """
    if importlib.util.find_spec("distributed") is None:
        raise UsageError("--engine dask needs Dask: pip install 'stancekit[dask]'")
    if scheduler is None and workers < 1:
        raise UsageError(f"--workers must be at least 1; got {workers}")
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out = Path(out)
    partitions = plan_partitions(paths)
    group = group_size("STANCEKIT_DOC_GROUP", DOC_GROUP)
    key = {"inputs": [input_record(item) for part in partitions for item in part],
           "model": {**model_identity(model or "default"), "backend": backend}, "group": group,
           "partitions": len(partitions)}
    staging = _open_staging(out / STAGING, key, resume)
    threads = model_threads or (None if scheduler else max(1, (os.cpu_count() or 1) // workers))
    counts = counts if counts is not None else Counts()
    with _dask_client(scheduler, workers) as client:
        records = _run_partitions(client, partitions, staging, (model, backend), group, max_mb, threads,
                                  progress, on_error, on_warning, counts)
        claim_files = [_file(staging, "claims", i, "parquet") for i, r in enumerate(records) if r["claims"]]
        tables = _write_outputs(out, staging, records, claim_files)
    shutil.rmtree(staging)
    return CompareResult(counts.processed, counts.failed, tables, counts.skipped, counts.failed_before)


# ------------------------------------------------------------------------------------------- workers
def _run_partitions(client, partitions, staging: Path, model, group, max_mb, threads, progress,
                    on_error, on_warning, counts: Counts) -> list[dict]:
    """Every partition's record, in order: those an earlier run finished, then this run's as they
    finish, counted into ``counts``."""
    from dask.distributed import KilledWorker, as_completed

    records = {i: json.loads(path.read_text(encoding="utf-8")) for i in range(len(partitions))
               if (path := _file(staging, "part", i, "json")).exists()}
    counts.skipped = sum(r["processed"] + r["failed"] for r in records.values())
    counts.failed_before = sum(r["failed"] for r in records.values())
    todo = [i for i in range(len(partitions)) if i not in records]
    futures = [client.submit(run_partition, i, partitions[i], staging, model, group, max_mb, threads,
                             key=f"stancekit-partition-{i}-{staging}", pure=False) for i in todo]
    sizes = [sum(file_size(item) for item in part) for part in partitions]
    with RunProgress(max(sum(sizes), 1), unit="bytes", enabled=progress,
                     initial=sum(sizes[i] for i in records)) as bar:
        on_error, on_warning = bar.messages(on_error), bar.messages(on_warning)
        for future in as_completed(futures):
            try:
                record = future.result()
            except KilledWorker:
                index = todo[futures.index(future)]
                raise StancekitError(
                    f"partition {index} (from {partitions[index][0].path}) killed its Dask worker every time "
                    "it ran; finished partitions are kept: fix or remove its files and rerun with --resume") from None
            for kind, message in record["messages"]:
                (on_error if kind == "error" else on_warning)(message)
            records[record["index"]] = record
            counts.processed += record["processed"]
            counts.failed += record["failed"]
            bar.advance(sizes[record["index"]], articles=record["processed"] + record["failed"],
                        claims=record["claims"])
    return [records[index] for index in range(len(partitions))]


def run_partition(index: int, partition: list, staging: Path, model: tuple[str | None, str], group: int,
                  max_mb: float | None, threads: int | None) -> dict:
    """Read, segment and classify one partition (``model`` = (name, backend)) on a worker; write
    its files, then its record."""
    classifier = _worker_model(*model, threads)
    rows, documents, errors, messages, processed = [], [], [], [], 0
    for _, items, _ in partition_groups([partition], group, 0, max_mb):
        articles, failed = split_inputs(items, lambda msg: messages.append(("error", msg)),
                                        lambda msg: messages.append(("warning", msg)))
        errors += [jsonl_line(error_record(err)) for err in failed]
        claim_rows, docs = classify_articles(articles, classifier)
        rows += claim_rows
        documents += docs[:DRILL_DOWN_LIMIT - len(documents)]
        processed += len(articles)
    if rows:
        frame = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
        frame["speaker"] = frame["speaker"].astype("string")
        frame["order"] = (np.int64(index) << 32) + np.arange(len(frame), dtype=np.int64)
        tmp = _file(staging, "claims", index, f"parquet.{os.getpid()}.tmp")  # unique if a task runs twice
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, _file(staging, "claims", index, "parquet"))
    write_text_atomic(_file(staging, "docs", index, "jsonl"), "".join(jsonl_line(d) for d in documents))
    write_text_atomic(_file(staging, "errors", index, "jsonl"), "".join(errors))
    record = {"index": index, "processed": processed, "failed": len(errors), "claims": len(rows),
              "messages": messages}
    write_text_atomic(_file(staging, "part", index, "json"), json.dumps(record, ensure_ascii=False))
    return record


def _worker_model(model: str | None, backend: str, threads: int | None):
    """The classifier for ``model`` in this worker process, loaded on first use."""
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)  # read by ONNX Runtime sessions and by torch at import
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
    name = (model or "default", backend)
    if name not in _MODELS:
        _MODELS[name] = load_classifier(model, backend=backend)
    return _MODELS[name]


# --------------------------------------------------------------------------------------- aggregation
class DaskGroupBy:
    """build_tables' group-by for a Dask DataFrame of claims with an ``order`` column (each claim's
    position in the single-machine run): groups are summarised on the workers, each with its rows in
    that order and its position in sorted key order, exactly as aggregate.PandasGroupBy sees them."""

    def add_columns(self, claims, derive):
        return claims.map_partitions(derive)

    def summarise(self, claims, keys: list[str], summarise) -> list[tuple[Hashable, object]]:
        found = claims[keys].dropna().drop_duplicates().compute()
        ordered = sorted(found.itertuples(index=False, name=None))
        if len(keys) == 1:
            ordered = [key for (key,) in ordered]
        position = {key: i for i, key in enumerate(ordered)}

        def run(group: pd.DataFrame) -> _GroupResult:
            key = group.name
            group = group.assign(**key_fields(keys, key))  # pandas leaves the keys out of the group
            return _GroupResult(summarise(group.sort_values("order", kind="mergesort"), position[key]))

        results = claims.groupby(keys if len(keys) > 1 else keys[0], dropna=True).apply(
            run, meta=("result", "object")).compute()
        return [(key, results[key].value) for key in ordered]

    def count_articles(self, claims) -> int:
        return int(claims["doc_id"].nunique().compute())


class _GroupResult:
    """Carries one group's result through Dask's group-by untouched (pandas would unpack a dict)."""

    def __init__(self, value):
        self.value = value


# --------------------------------------------------------------------------------------------- files
def _write_outputs(out: Path, staging: Path, records: list[dict], claim_files: list[Path]) -> dict | None:
    """The result files, from the partitions' claims, documents and errors."""
    tables, n_articles = None, 0
    if claim_files:
        import dask.dataframe as dd

        claims = dd.read_parquet([str(f) for f in claim_files], columns=_COMPACT).assign(text="")
        group_by = DaskGroupBy()
        tables = build_tables(claims, group_by=group_by)
        n_articles = group_by.count_articles(claims)
    rows = (row for path in claim_files for row in pd.read_parquet(path).to_dict("records"))
    errors = (json.loads(line) for i in range(len(records))
              for _, line in jsonl_lines(_file(staging, "errors", i, "jsonl").read_text(encoding="utf-8")))
    write_results(out, tables, rows, list(_first_documents(staging, len(records))), n_articles=n_articles,
                  errors=errors)
    return tables


def _first_documents(staging: Path, n_partitions: int) -> Iterator[dict]:
    """The drill-down records of the first DRILL_DOWN_LIMIT articles, in input order."""
    count = 0
    for index in range(n_partitions):
        with open(_file(staging, "docs", index, "jsonl"), encoding="utf-8") as handle:
            for line in handle:
                if count == DRILL_DOWN_LIMIT:
                    return
                yield json.loads(line)
                count += 1


def _file(staging: Path, kind: str, index: int, suffix: str) -> Path:
    return staging / f"{kind}-{index:06d}.{suffix}"


def _open_staging(staging: Path, key: dict, resume: bool) -> Path:
    """The staging folder, emptied unless ``resume`` continues a run over the same inputs and model."""
    key_path = staging / "run.json"
    if resume and key_path.exists():
        refuse_other_run(json.loads(key_path.read_text(encoding="utf-8")), key, staging)
        return staging
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    write_text_atomic(key_path, json.dumps(key))
    return staging


@contextmanager
def _dask_client(scheduler: str | None, workers: int):
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers`` processes."""
    from dask.distributed import Client

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


@contextmanager
def local_cluster(workers: int):
    """A Dask cluster of ``workers`` processes on this machine, one task at a time each."""
    import dask
    from dask.distributed import LocalCluster

    # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which turns off glibc's adaptive mmap threshold:
    # every large tensor is then mapped and unmapped again, and inference ran 1.5x slower here.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=logging.CRITICAL) as cluster:  # failures reach the driver as errors
        yield cluster
