"""The command line, `dagster-datachain` (short alias `dcn`): storage, datasets, the Knowledge Base, the skill.

One module per command group: `storage` (ls, du), `copy` (cp), `datasets` (datasets, show, schema, rm, diff, gc),
`query` (query, with its `--where` parser in `where`), `run` (run a script), `kb` (kb build, skill).

Exit codes: 0 success, 1 error (a one-line message, no traceback), 2 wrong usage.

Example:
    $ dagster-datachain ls s3://bucket/images/ --anon
    $ dagster-datachain query pets_images --where 'info.width > 400' --select file.path
    $ dagster-datachain run stage.py -- --limit 10
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from ..errors import DataChainError
from ..memory.config import CATALOG_ENV_VAR, DATA_PATH_ENV_VAR, ROOT_ENV_VAR
from ..memory.store import Memory, get_memory
from ..storage.secrets import MaskSecrets, mask_secrets
from . import copy, datasets, kb, query, run, storage
from .common import PROG, Commands
from .where import parse_where

__all__ = ["PROG", "build_parser", "main", "parse_where"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command, as the console scripts `dagster-datachain` and `dcn` do.

    Args:
        argv: the command line without the program name; `sys.argv[1:]` when None.

    Returns:
        The exit code: 0 success, 1 error (its one-line message printed to stderr, secrets masked), 130 when
        interrupted. Wrong usage exits with 2 through argparse (`SystemExit`).

    Example:
        >>> main(["--root", ".datachain", "datasets"])
        0
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s",
                        stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # client libraries log URLs too
        handler.addFilter(MaskSecrets())
    try:
        storage.register_options(args)
        if args.catalog or args.data_path:
            memory = Memory(args.root, catalog=args.catalog, data_path=args.data_path)
        else:
            memory = get_memory(args.root)
        if args.needs_memory and not memory.exists():  # looking must not create one
            raise DataChainError(f"no Data Memory at {memory.root} ({_root_origin(args.root)}); nothing was created: "
                                 f"save a dataset first, or point --root or ${ROOT_ENV_VAR} at a Data Memory")
        return args.command(args, memory) or 0
    except (DataChainError, OSError) as exc:  # a user's or an environment's error, not a bug: no traceback
        print(f"{PROG}: error: {mask_secrets(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """Every command with its options; `--help` works on each.

    Returns:
        The parser; each command sets `command` (the function that runs it) and `needs_memory` (whether it
        reads an existing Data Memory) on the parsed namespace.
    """
    parser = argparse.ArgumentParser(prog=PROG, description="Files, datasets and the Knowledge Base of Data Memory.")
    parser.add_argument("--root", help=f"Data Memory directory (default: ${ROOT_ENV_VAR}, else .datachain)")
    parser.add_argument("--catalog", help=f"a shared Data Memory on DuckLake: postgresql://user@host:port/db, "
                        f"sqlite:///file or file.ducklake (default: ${CATALOG_ENV_VAR}; password: $PGPASSWORD)")
    parser.add_argument("--data-path", help=f"the lake's rows: a folder or s3://bucket/prefix/ (default: "
                        f"${DATA_PATH_ENV_VAR}; S3 keys: AWS_* variables)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    parser.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                        help="storage option for the buckets in this command, e.g. -o endpoint_url=http://host:9000 "
                        "(repeatable; JSON values such as true or 5 are parsed)")
    parser.set_defaults(needs_memory=False)
    commands = Commands(parser)
    for group in (storage, copy, datasets, query, run, kb):
        group.register(commands)
    return parser


def _root_origin(root: str | None) -> str:
    """Where the Data Memory path came from, for messages."""
    if root is not None:
        return "--root"
    return f"${ROOT_ENV_VAR}" if os.environ.get(ROOT_ENV_VAR) else "the default, in the working folder"
