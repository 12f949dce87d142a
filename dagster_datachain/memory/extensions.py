"""DuckDB extensions, loaded offline from their PyPI wheels (`duckdb-extension-<name>`), never downloaded.

Each wheel holds `duckdb_extension_<name>/extensions/v<duckdb version>/<name>.duckdb_extension`; DuckDB only
loads a file built for its own version, so a missing wheel or a version mismatch is named in the error with the
`pip install` line that fixes it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

from ..errors import DataMemoryConfigError

PACKAGES = {"ducklake": "ducklake", "httpfs": "httpfs", "postgres_scanner": "postgres-scanner",
            "sqlite_scanner": "sqlite-scanner", "vss": "vss", "fts": "fts"}
"""Extension name -> the suffix of its PyPI package `duckdb-extension-<suffix>`."""


def extension_file(name: str) -> Path:
    """The extension file for the running DuckDB; DataMemoryConfigError naming the package when there is none."""
    package = f"duckdb-extension-{PACKAGES[name]}"
    install = f"pip install '{package}=={duckdb.__version__}'"
    spec = importlib.util.find_spec(f"duckdb_extension_{name.replace('-', '_')}")
    if spec is None or not spec.submodule_search_locations:
        raise DataMemoryConfigError(f"the DuckDB extension {name!r} is not installed: {install} "
                                    "(or the project's [team] extra)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    path = folder / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        built = sorted(p.name for p in folder.glob("v*")) if folder.is_dir() else []
        raise DataMemoryConfigError(
            f"the DuckDB extension {name!r} is installed for DuckDB {', '.join(built) or 'another version'}, but "
            f"this is DuckDB {duckdb.__version__}: {install}")
    return path


def load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load extensions into `con`'s database from their wheels (nothing is fetched over the network)."""
    con.execute("SET autoinstall_known_extensions = false")
    loaded = {r[0] for r in con.execute(
        "SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()}
    for name in names:
        if name in loaded:
            continue
        path = extension_file(name)
        try:
            con.load_extension(str(path))
        except duckdb.Error as exc:
            raise DataMemoryConfigError(f"the DuckDB extension {name!r} ({path}) cannot be loaded by DuckDB "
                                        f"{duckdb.__version__}: {exc}") from None
