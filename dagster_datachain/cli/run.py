"""`run`: run a Python script as `python SCRIPT.py` would, with this Data Memory as the default."""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from pathlib import Path

from ..errors import DataChainError
from ..memory.config import CATALOG_ENV_VAR, DATA_PATH_ENV_VAR, ROOT_ENV_VAR
from ..memory.store import Memory
from .common import Commands


def register(commands: Commands) -> None:
    """Add `run`."""
    sub = commands.add("run", run, "Run a Python script as `python SCRIPT` would, with this Data Memory as the "
                       "default.")
    sub.add_argument("script", metavar="SCRIPT.py")
    sub.add_argument("script_args", nargs="*", metavar="ARG", help="arguments for the script (after --)")


def run(args: argparse.Namespace, memory: Memory) -> int:
    """Run `args.script` with `args.script_args` as its `sys.argv[1:]`.

    Returns:
        The script's exit code: its `SystemExit` code, 1 when it raised (its traceback printed), else 0.

    Raises:
        DataChainError: there is no such script, or the script raised one (printed as a one-line error).
    """
    path = Path(args.script)
    if not path.is_file():
        raise DataChainError(f"no such script: {args.script}")
    os.environ[ROOT_ENV_VAR] = str(memory.root)
    if memory.lake_config is not None:  # a lake: the script's default Data Memory is the same lake
        os.environ[CATALOG_ENV_VAR] = memory.lake_config.catalog
        os.environ[DATA_PATH_ENV_VAR] = memory.lake_config.data_path
    sys.argv = [str(path), *args.script_args]
    sys.path.insert(0, str(path.resolve().parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
    except DataChainError:
        raise
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # the user's own bug: its traceback is what they need
        traceback.print_exc()
        return 1
    return 0
