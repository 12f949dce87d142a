"""The one place that decides where Data Memory lives (argument > environment variable > `.datachain/`) and how
its DuckDB connections are configured."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import DataChainParamsError

ROOT_ENV_VAR = "DATACHAIN_ROOT_DIR"
DEFAULT_ROOT = ".datachain"


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute Data Memory directory.

    Example:
        >>> resolve_root("/tmp/dm")
        PosixPath('/tmp/dm')
    """
    chosen = root if root is not None else os.environ.get(ROOT_ENV_VAR) or DEFAULT_ROOT
    return Path(chosen).expanduser().resolve()


MEMORY_LIMIT_ENV_VAR = "DATACHAIN_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "512MB"
"""DuckDB's buffer pool for Data Memory connections. DuckDB's own default (80% of RAM) lets a large save keep
gigabytes of written blocks cached; with a bound it evicts them and spills big sorts and joins to disk instead, so a
process's memory stays flat as datasets grow. Raise it (e.g. `DATACHAIN_MEMORY_LIMIT=4GB`) for heavy analytics."""


_SIZE = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B|bytes)?\s*", re.IGNORECASE)


def connection_config() -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB settings for every Data Memory connection, passed to `duckdb.connect(config=...)`."""
    limit = os.environ.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_MEMORY_LIMIT
    if not _SIZE.fullmatch(limit):
        raise DataChainParamsError(f"{MEMORY_LIMIT_ENV_VAR}={limit!r} is not a size, e.g. 512MB or 4GB")
    return {"memory_limit": limit}
