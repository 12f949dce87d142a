"""The one place that decides where Data Memory lives (argument > environment variable > default) and how its
DuckDB connections are configured.

The default is the local DuckDB file under `.datachain/`; a catalog URL (with a data path) switches to a shared
DuckLake (see `lake.py`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import DataChainParamsError, DataMemoryConfigError
from .lake import LakeConfig

ROOT_ENV_VAR = "DATACHAIN_ROOT_DIR"
CATALOG_ENV_VAR = "DATACHAIN_CATALOG"
DATA_PATH_ENV_VAR = "DATACHAIN_DATA_PATH"
DEFAULT_ROOT = ".datachain"


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute Data Memory directory (on a lake: where this process keeps its cache).

    Example:
        >>> resolve_root("/tmp/dm")
        PosixPath('/tmp/dm')
    """
    chosen = root if root is not None else os.environ.get(ROOT_ENV_VAR) or DEFAULT_ROOT
    return Path(chosen).expanduser().resolve()


def resolve_lake(catalog: str | None = None, data_path: str | None = None,
                 storage_options: dict[str, Any] | None = None) -> LakeConfig | None:
    """The DuckLake to use (arguments > $DATACHAIN_CATALOG / $DATACHAIN_DATA_PATH), or None for the local file.

    A catalog in a file (SQLite, `.ducklake`) keeps its rows beside it in `<file>.files/` unless a data path
    is given; a PostgreSQL catalog needs one.

    Example:
        >>> resolve_lake("sqlite:////tmp/team.sqlite").data_path
        '/tmp/team.sqlite.files/'
    """
    catalog = catalog or os.environ.get(CATALOG_ENV_VAR) or None
    data_path = data_path or os.environ.get(DATA_PATH_ENV_VAR) or None
    if catalog is None:
        if data_path is not None:
            raise DataMemoryConfigError(f"a Data Memory data path ({data_path}) needs a catalog: pass catalog= "
                                        f"or set ${CATALOG_ENV_VAR}")
        return None
    config = LakeConfig(catalog, data_path or "", storage_options or {})
    config.kind  # noqa: B018 - refuses an unsupported catalog now, not at the first connection
    if data_path is None:
        if config.kind == "postgres":
            raise DataMemoryConfigError(f"the Data Memory catalog {config.shown_catalog} needs a data path for its "
                                        f"rows: pass data_path= or set ${DATA_PATH_ENV_VAR}")
        file = config.attach_target().rpartition(":")[2]
        config = LakeConfig(catalog, f"{file}.files/", storage_options or {})
    return config


MEMORY_LIMIT_ENV_VAR = "DATACHAIN_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "256MB"
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
