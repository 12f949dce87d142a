"""Commands on the datasets of a Data Memory: `datasets`, `show`, `schema`, `rm`, `diff` and `gc`."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..chain.maintenance import gc as collect_garbage
from ..chain.readers import delete_dataset, read_dataset
from ..errors import DataChainError
from ..kb.render import utc
from ..memory.catalog import get_version, list_versions
from ..memory.changes import count_changes, version_changes
from ..memory.names import split_reference
from ..memory.store import Memory
from .common import PROG, Commands, print_table

_MARKS = {"added": "+", "removed": "-", "changed": "~"}
_LIST_ITEMS = 8
"""Lists longer than this (embeddings) are printed as their first items and their length."""


def register(commands: Commands) -> None:
    """Add `datasets`, `show`, `schema`, `rm`, `diff` and `gc`."""
    commands.add("datasets", datasets, "List datasets with their latest version, versions and rows.", memory=True)

    sub = commands.add("show", show, "Print rows of a dataset version, like chain.show().", memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")
    sub.add_argument("--limit", type=int, default=20, help="rows to print (default 20)")

    sub = commands.add("schema", schema, "Print the columns and types of a dataset version.", memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")

    sub = commands.add("rm", rm, "Delete one version of a dataset (NAME@VERSION) or all of them (NAME).", memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")

    sub = commands.add("diff", diff, "Rows added, changed (same file, other values) and removed between two versions "
                       "of one dataset (long lists, such as embeddings, shortened).", memory=True)
    sub.add_argument("old", metavar="NAME@A")
    sub.add_argument("new", metavar="NAME@B")
    sub.add_argument("--limit", type=int, default=20, help="changed rows to print (default 20; 0: counts only)")

    sub = commands.add("gc", gc, "Remove checkpoints of abandoned runs and tables nothing refers to.", memory=True)
    sub.add_argument("--older-than", type=float, default=0.0, metavar="HOURS",
                     help="only checkpoints untouched this long (default 0)")


def datasets(args: argparse.Namespace, memory: Memory) -> None:
    """Print one line per dataset: latest version, rows, when it was saved, and all its versions."""
    with memory.connect() as con:
        records = list_versions(con)
    by_name: dict[str, list[str]] = {}
    for record in records:
        by_name.setdefault(record.name, []).append(record.version)
    latest = {record.name: record for record in records}
    rows = [("NAME", "LATEST", "ROWS", "UPDATED", "VERSIONS")]
    rows += [(name, r.version, f"{r.row_count:,}", utc(r.created_at), ", ".join(by_name[name]))
             for name, r in sorted(latest.items())]
    print_table(rows)


def show(args: argparse.Namespace, memory: Memory) -> None:
    """Print the first `args.limit` rows of `NAME[@VERSION]`."""
    read_dataset(args.dataset, memory=memory).show(args.limit)


def schema(args: argparse.Namespace, memory: Memory) -> None:
    """Print the columns and types of `NAME[@VERSION]`."""
    read_dataset(args.dataset, memory=memory).print_schema()


def rm(args: argparse.Namespace, memory: Memory) -> None:
    """Delete `NAME@VERSION`, or every version of `NAME`."""
    with _reported_here(delete_dataset):
        deleted = delete_dataset(args.dataset, force="@" not in args.dataset, memory=memory)
    print(f"Deleted {deleted} version(s) of {split_reference(args.dataset)[0]}")


def diff(args: argparse.Namespace, memory: Memory) -> None:
    """Print the change counts between two versions of one dataset, then up to `args.limit` changed rows as
    JSON lines marked `+`, `-` or `~`.

    Raises:
        DataChainError: the two references name different datasets, or a version does not exist.
    """
    (old_name, old_version), (new_name, new_version) = split_reference(args.old), split_reference(args.new)
    if old_name != new_name:
        raise DataChainError(f"{old_name} and {new_name} are different datasets: diff compares two versions of one "
                             f"dataset, e.g. {PROG} diff {new_name}@A {new_name}@B")
    with memory.connect() as con:
        old, new = get_version(con, old_name, old_version), get_version(con, new_name, new_version)
        counts = count_changes(con, old, new)
        rows = version_changes(con, old, new).limit(max(args.limit, 0)).fetchall()
    print(f"{old.reference} -> {new.reference}: {counts.added:,} added, {counts.changed:,} changed, "
          f"{counts.removed:,} removed")
    for change, row in rows:
        print(_MARKS[change], json.dumps(_shortened(json.loads(row)), separators=(",", ":"), ensure_ascii=False))


def gc(args: argparse.Namespace, memory: Memory) -> None:
    """Remove abandoned checkpoints (untouched for `args.older_than` hours) and orphan tables."""
    with _reported_here(collect_garbage):
        report = collect_garbage(args.older_than, memory=memory)
    print(f"Removed {report.checkpoints} checkpoint(s) and {len(report.tables)} orphan table(s)")


def _shortened(value: Any) -> Any:
    """A JSON value with every long list cut to its first items plus a note of how many values it has."""
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_shortened(item) for item in value[:_LIST_ITEMS]]
        return items + [f"... {len(value)} values"] if len(value) > _LIST_ITEMS else items
    return value


@contextmanager
def _reported_here(function: Callable[..., Any]) -> Iterator[None]:
    """Hold back the INFO report `function`'s module logs, while the command prints that same report itself."""
    library_logger = logging.getLogger(function.__module__)
    level = library_logger.level
    library_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        library_logger.setLevel(level)
