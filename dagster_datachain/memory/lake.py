"""A shared Data Memory on DuckLake: the catalog in PostgreSQL, SQLite or a DuckDB file, the rows as Parquet
under a data path (a local or shared folder, or `s3://bucket/prefix/`).

Every process opens its own in-memory DuckDB with the lake attached as `dm`; DuckLake gives each transaction a
snapshot and refuses a commit that conflicts with one committed meanwhile (`is_conflict`). Credentials (the
catalog's password, the bucket's keys) live only in this process: the S3 keys as a temporary DuckDB SECRET, the
password inside the attach string; neither is written to the catalog, and messages mask both.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataMemoryConfigError
from ..storage.secrets import mask_secrets, remember_secrets
from . import extensions
from .sql import literal

ALIAS = "dm"
_ATTACH_ATTEMPTS = 5
"""The name the lake is attached under in every connection."""


@dataclass(frozen=True)
class LakeConfig:
    """Where a DuckLake lives: a catalog URL and a data path, plus S3 options (fsspec names) for the data path."""

    catalog: str
    data_path: str
    storage_options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def kind(self) -> str:
        """postgres, sqlite or duckdb: the database that holds the catalog."""
        scheme = urllib.parse.urlsplit(self.catalog).scheme
        if scheme in ("postgresql", "postgres"):
            return "postgres"
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("", "file") or Path(self.catalog).suffix == ".ducklake":
            return "duckdb"
        raise DataMemoryConfigError(f"unsupported Data Memory catalog {self.shown_catalog!r}: use "
                                    "postgresql://user@host:port/db, sqlite:///file.sqlite or a file.ducklake path")

    @property
    def shown_catalog(self) -> str:
        """The catalog URL with any password masked (for messages, repr and metadata)."""
        return mask_secrets(self.catalog)

    @property
    def is_remote_data(self) -> bool:
        return "://" in self.data_path and not self.data_path.startswith("file://")

    def attach_target(self) -> str:
        """The ATTACH string: `ducklake:postgres:<libpq URI>`, `ducklake:sqlite:<file>` or `ducklake:<file>`."""
        kind = self.kind
        if kind == "postgres":
            password = urllib.parse.urlsplit(self.catalog).password
            if password:
                remember_secrets({"password": password})
            return f"ducklake:postgres:{self.catalog}"
        path = self.catalog.removeprefix("sqlite://").removeprefix("file://")
        return f"ducklake:{kind + ':' if kind == 'sqlite' else ''}{Path(path).expanduser().resolve()}"

    def local_data_path(self) -> Path | None:
        return None if self.is_remote_data else Path(self.data_path.removeprefix("file://")).expanduser().resolve()

    def stored_data_path(self) -> str:
        """The data path as DuckLake stores it: absolute, ending in '/'."""
        local = self.local_data_path()
        return f"{local}/" if local is not None else self.data_path.rstrip("/") + "/"


class Lake:
    """Connections to one DuckLake: a per-process DuckDB with the lake attached; each block gets its own cursor."""

    def __init__(self, config: LakeConfig, settings: dict[str, Any] | None = None) -> None:
        self.config = config
        self.settings = settings or {}  # DuckDB settings for the connection, e.g. its memory_limit
        self._base: duckdb.DuckDBPyConnection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the lake (its own transaction), with `dm` as the default database."""
        cursor = self._opened().cursor()
        try:
            cursor.execute(f"USE {ALIAS}")
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute("SET enable_progress_bar = false")  # slow S3 reads would draw bars on stdout
            yield cursor
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._base is not None and self._pid == os.getpid():
                self._base.close()
            self._base = None

    def _opened(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._base is None or self._pid != os.getpid():  # a forked child attaches on its own
                self._base, self._pid = self._attach(), os.getpid()
            return self._base

    def _attach(self) -> duckdb.DuckDBPyConnection:
        """Load the extensions, check the data path, then attach (which creates the catalog on first use)."""
        config = self.config
        con = duckdb.connect(config=self.settings)
        try:
            scanner = {"postgres": ["postgres_scanner"], "sqlite": ["sqlite_scanner"]}.get(config.kind, [])
            extensions.load(con, "ducklake", *scanner, *(["httpfs"] if config.is_remote_data else []))
            if config.is_remote_data:
                _s3_secret(con, config)
                _check_bucket(con, config)
            else:
                _check_writable(config.local_data_path())  # type: ignore[arg-type]
            # rows always go to Parquet: DuckLake 1.5.5 cannot read back a TIMESTAMPTZ inside a STRUCT it
            # inlined into the catalog ("Failed to read inlined data")
            attach = (f"ATTACH {literal(config.attach_target())} AS {ALIAS} "
                      f"(DATA_PATH {literal(config.stored_data_path())}, DATA_INLINING_ROW_LIMIT 0)")
            attempt = 1
            while True:
                try:
                    con.execute(attach)
                    return con
                except duckdb.Error as exc:
                    # processes creating a new catalog at once: one wins, the others find its tables on retry
                    racing = "already exists" in str(exc) or "duplicate key" in str(exc)
                    if not racing or attempt == _ATTACH_ATTEMPTS:
                        raise DataMemoryConfigError(f"cannot open the Data Memory catalog {config.shown_catalog}: "
                                                    f"{_catalog_problem(exc)}") from None
                time.sleep(0.1 * (1 + random.random()))
                attempt += 1
        except BaseException:
            con.close()
            raise


ROW_GROUP_ROWS = 16384
"""Rows per Parquet row group in a new lake (DuckLake's default, 122,880, leaves 100k rows of vectors to one
thread: a cosine top-3 over 100k x 512 took twice as long)."""


CATALOG_INLINED_ROWS = 1000
"""The catalog tables' one-row inserts stay inside the catalog database instead of becoming a Parquet file each
(rows tables never are: see `_attach`)."""


def tune(con: duckdb.DuckDBPyConnection, catalog_tables: list[str]) -> None:
    """Set the lake's Parquet and inlining options once, when it has none yet (in the catalog's first
    transaction)."""
    current = con.execute(f"SELECT count(*) FROM {ALIAS}.options() WHERE option_name = 'parquet_row_group_size'")
    if current.fetchall()[0][0]:
        return
    con.execute(f"CALL {ALIAS}.set_option('parquet_row_group_size', ?)", [ROW_GROUP_ROWS])
    for table in catalog_tables:
        con.execute(f"CALL {ALIAS}.set_option('data_inlining_row_limit', ?, table_name => ?)",
                    [CATALOG_INLINED_ROWS, table])


def is_conflict(exc: BaseException) -> bool:
    """Whether DuckLake refused a commit because another transaction changed the same table meanwhile (or, with
    a SQLite catalog, held its lock)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and ("conflict" in text or "database is locked" in text)


def _catalog_problem(exc: duckdb.Error) -> str:
    text = mask_secrets(str(exc))
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return "the catalog database refused the user name or password (set it in the URL or $PGPASSWORD)"
    if "connection refused" in lowered or "could not connect" in lowered or "could not translate" in lowered:
        return f"the catalog database cannot be reached ({text.splitlines()[0]})"
    if "does not exist" in lowered:
        return f"the catalog database does not exist ({text.splitlines()[0]})"
    return text


def _check_writable(path: Path) -> None:
    """Refuse a local data path that cannot be written, without creating anything: probe its nearest existing
    folder with a temporary file."""
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise DataMemoryConfigError(f"the Data Memory data path {path} cannot be created: {existing} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise DataMemoryConfigError(f"the Data Memory data path {path} is not writable ({exc.strerror})") from None


_S3_OPTIONS = {  # DuckDB S3 secret parameter -> (fsspec option, environment variable)
    "KEY_ID": ("key", "AWS_ACCESS_KEY_ID"),
    "SECRET": ("secret", "AWS_SECRET_ACCESS_KEY"),
    "SESSION_TOKEN": ("token", "AWS_SESSION_TOKEN"),
    "REGION": ("region_name", "AWS_REGION"),
}


def _s3_secret(con: duckdb.DuckDBPyConnection, config: LakeConfig) -> None:
    """A temporary (in-memory, never persisted) S3 secret scoped to the data path's bucket, from fsspec-style
    options over the AWS_* environment variables."""
    if not config.data_path.startswith("s3://"):
        raise DataMemoryConfigError(f"unsupported Data Memory data path {config.data_path!r}: use a local folder "
                                    "or s3://bucket/prefix/ (S3-compatible stores through endpoint_url)")
    options = dict(config.storage_options)
    options.update(options.pop("client_kwargs", None) or {})
    remember_secrets(options)
    values: dict[str, str] = {}
    for parameter, (option, variable) in _S3_OPTIONS.items():
        value = options.get(option) or os.environ.get(variable) or (
            os.environ.get("AWS_DEFAULT_REGION") if parameter == "REGION" else None)
        if value:
            values[parameter] = str(value)
    remember_secrets({"secret": values.get("SECRET", ""), "token": values.get("SESSION_TOKEN", "")})
    endpoint = options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get(
        "AWS_ENDPOINT_URL")
    if endpoint:
        parts = urllib.parse.urlsplit(str(endpoint))
        values.update(ENDPOINT=parts.netloc or parts.path, USE_SSL=str(parts.scheme == "https").lower(),
                      URL_STYLE="path")
    bucket = urllib.parse.urlsplit(config.data_path).netloc
    settings = ", ".join(f"{k} {literal(v) if k != 'USE_SSL' else v}" for k, v in values.items())
    con.execute(f"CREATE OR REPLACE TEMPORARY SECRET dc_data_path (TYPE s3, {settings}{', ' if settings else ''}"
                f"SCOPE {literal('s3://' + bucket)})")


def _check_bucket(con: duckdb.DuckDBPyConnection, config: LakeConfig) -> None:
    """Refuse a data path whose bucket is missing or refuses our keys, before the catalog is touched."""
    try:
        con.execute("SELECT count(*) FROM glob(?)", [config.stored_data_path() + "*"]).fetchall()
    except duckdb.Error as exc:
        text = mask_secrets(str(exc))
        why = "the bucket does not exist" if "NoSuchBucket" in text or "404" in text else (
            "the bucket refused the credentials" if "403" in text or "AccessDenied" in text else text.splitlines()[0])
        raise DataMemoryConfigError(f"the Data Memory data path {config.data_path} cannot be used: {why}") from None
