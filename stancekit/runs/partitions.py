"""Partitions: runs of whole input files, the unit of work that a single-machine run and a Dask run share.

Groups of documents never span two partitions, so both runs classify the very same batches
(bf16 probabilities shift slightly with the batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from ..errors import InputError
from ..io import InputFile, iter_inputs, read_inputs
from .checkpoint import group_size

#: Documents per checkpointed group in ``compare``; STANCEKIT_DOC_GROUP overrides it.
DOC_GROUP = 32
#: A partition is a run of whole input files, up to this many bytes or files. It is the unit of work
#: of ``compare --engine dask``, and groups never span two partitions, so a single-machine run and a
#: cluster run classify the very same batches (bf16 probabilities shift slightly with the batch).
PARTITION_BYTES = 4 << 20
PARTITION_FILES = 256


def groups(items: Iterator, size: int, start: int) -> Iterator[tuple[int, list]]:
    """(index of first item, items) for consecutive groups, skipping the first ``start`` items."""
    for _ in islice(items, start):
        pass
    index = start
    while group := list(islice(items, size)):
        yield index, group
        index += len(group)


def plan_partitions(paths) -> list[list[InputFile | InputError]]:
    """The input files under ``paths``, in reading order, cut into partitions (see PARTITION_BYTES)."""
    limit = group_size("STANCEKIT_PARTITION_KB", PARTITION_BYTES >> 10) << 10
    partitions, current, size = [], [], 0
    for item in iter_inputs(paths):
        weight = file_size(item)
        if current and (size + weight > limit or len(current) >= PARTITION_FILES):
            partitions.append(current)
            current, size = [], 0
        current.append(item)
        size += weight
    if current:
        partitions.append(current)
    return partitions


def partition_groups(partitions: list, size: int, start: int = 0,
                     max_mb=None) -> Iterator[tuple[int, list, int]]:
    """(index of first item, items, index of their partition) for groups of up to ``size`` items that
    never span two partitions, skipping the first ``start`` items (those an interrupted run finished)."""
    index = 0
    for number, partition in enumerate(partitions):
        items = read_inputs(partition, max_mb=max_mb)
        while group := list(islice(items, size)):
            if index >= start:
                yield index, group, number
            index += len(group)


def file_size(item: InputFile | InputError) -> int:
    """The size in bytes of an input file (0 for an error or a file that cannot be read)."""
    try:
        return item.path.stat().st_size if isinstance(item, InputFile) else 0
    except OSError:
        return 0
