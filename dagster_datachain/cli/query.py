"""`query`: filter, sort and print a dataset without writing code (never runs a file)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..chain.readers import read_dataset
from ..errors import DataChainError
from ..memory.store import Memory
from .common import PROG, Commands
from .where import parse_where


def register(commands: Commands) -> None:
    """Add `query`."""
    sub = commands.add("query", query, "Filter, sort and print a dataset without code (never runs a file).",
                       memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")
    sub.add_argument("--where", type=parse_where, help="conditions: COLUMN OP VALUE [and ...], e.g. 'info.width>400'")
    sub.add_argument("--select", nargs="+", metavar="COLUMN", help="columns to print (dotted names)")
    sub.add_argument("--order-by", metavar="COLUMN", help="sort by this column")
    sub.add_argument("--desc", action="store_true", help="sort descending")
    sub.add_argument("--limit", type=int, default=20, help="rows to print (default 20)")


def query(args: argparse.Namespace, memory: Memory) -> None:
    """Print `NAME[@VERSION]` filtered, sorted and selected; a script runs only through `run`, never because a
    file has the dataset's name.

    Raises:
        DataChainError: no such dataset (naming `run` when a file of that name exists) or an unknown column.
    """
    try:
        chain = read_dataset(args.dataset, memory=memory)
    except DataChainError as exc:
        if Path(args.dataset).is_file():
            raise DataChainError(f"{exc} (to run the file {args.dataset} as a script: {PROG} run {args.dataset})") \
                from exc
        raise
    if args.where is not None:
        chain = chain.filter(args.where)
    if args.order_by:
        chain = chain.order_by(args.order_by, descending=args.desc)
    if args.select:
        chain = chain.select(*args.select)
    chain.show(args.limit)
