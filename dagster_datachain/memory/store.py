"""The Data Memory file: where it lives, and short connections that wait politely for other writers.

DuckDB lets one process at a time open a database file. Compute never holds it: every use is a short
`with memory.connect() as con:` block, retried with backoff while another process has the file.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from ..errors import DataMemoryLockedError
from .config import resolve_root

logger = logging.getLogger(__name__)

_CATALOG_DDL = [
    """CREATE TABLE IF NOT EXISTS dc_versions (
        name VARCHAR NOT NULL, version VARCHAR NOT NULL, seq BIGINT NOT NULL,
        major INTEGER, minor INTEGER, patch INTEGER,
        schema_json VARCHAR, row_count BIGINT, created_at TIMESTAMPTZ,
        code_hash VARCHAR, chain_hash VARCHAR, lineage_json VARCHAR, run_id VARCHAR,
        description VARCHAR, table_name VARCHAR, stats_json VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS dc_listings (
        source VARCHAR NOT NULL, prefix VARCHAR NOT NULL, table_name VARCHAR,
        listed_at TIMESTAMPTZ, fingerprint VARCHAR, file_count BIGINT, total_size BIGINT)""",
]


class Memory:
    """One Data Memory: a DuckDB file plus staging and cache folders under a root directory.

    Example:
        >>> memory = Memory("/tmp/example-memory")
        >>> with memory.connect() as con:
        ...     con.execute("SELECT 1").fetchall()
        [(1,)]
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, lock_timeout: float = 300.0,
                 linger: float = 1.0) -> None:
        self.root = resolve_root(root)
        self.lock_timeout = lock_timeout
        self.linger = linger
        self._ready = False
        self._local = threading.local()
        self._guard = threading.Lock()
        self._base: duckdb.DuckDBPyConnection | None = None
        self._base_pid = 0
        self._users = 0
        self._closer: threading.Timer | None = None
        _open_memories.add(self)

    def __repr__(self) -> str:
        return f"Memory({str(self.root)!r})"

    @property
    def db_path(self) -> Path:
        return self.root / "db.duckdb"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the Data Memory file for the length of the block (re-entrant within a thread).

        The database stays open for `linger` seconds after the last block ends, so a burst of operations
        shares a warm cache; then the file is released for other processes.
        """
        current = getattr(self._local, "con", None)
        if current is not None:
            yield current
            return
        con = self._acquire()
        self._local.con = con
        try:
            yield con
        finally:
            self._local.con = None
            con.close()
            self._release()

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        with self._guard:
            if self._closer is not None:
                self._closer.cancel()
                self._closer = None
            if self._base is None or self._base_pid != os.getpid():  # a forked child opens its own
                self._base, self._base_pid = self._open(), os.getpid()
            self._users += 1
            return self._base.cursor()

    def _release(self) -> None:
        with self._guard:
            self._users -= 1
            if self._users or self._base is None:
                return
            if self.linger <= 0 or _exiting or sys.is_finalizing():  # no new thread once the interpreter ends
                self._close_base()
                return
            self._closer = threading.Timer(self.linger, self._close_if_idle)
            self._closer.daemon = True
            self._closer.start()

    def _close_if_idle(self) -> None:
        with self._guard:
            if not self._users:
                self._close_base()

    def _close_base(self) -> None:
        if self._base is not None and self._base_pid == os.getpid():
            self._base.close()
        self._base = None

    def close(self) -> None:
        """Release the database file now (it is also released `linger` seconds after the last use)."""
        with self._guard:
            if self._closer is not None:
                self._closer.cancel()
                self._closer = None
            if not self._users:
                self._close_base()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction: everything in the block commits together or not at all."""
        with self.connect() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.db_path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() > deadline:
                    raise DataMemoryLockedError(
                        f"Data Memory {self.db_path} stayed locked by another process for {self.lock_timeout:.0f}s"
                    ) from exc
                logger.debug("Data Memory is locked by another process; retrying in %.2fs", delay)
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        con.execute("SET TimeZone = 'UTC'")
        if not self._ready:
            for statement in _CATALOG_DDL:
                con.execute(statement)
            self._ready = True
        return con


_default: dict[Path, Memory] = {}
_open_memories: weakref.WeakSet[Memory] = weakref.WeakSet()
_exiting = False


@atexit.register
def _release_all() -> None:
    """Close lingering databases before the interpreter exits (DuckDB's threads must not outlive it); uses that
    end later (a generator finalized at shutdown) close at once instead of lingering."""
    global _exiting
    _exiting = True
    for memory in list(_open_memories):
        memory.close()

_current: ContextVar[Memory | None] = ContextVar("dagster_datachain_memory", default=None)


def get_memory(root: Memory | str | os.PathLike[str] | None = None) -> Memory:
    """The Memory for `root` (argument > `using_memory` > DATACHAIN_ROOT_DIR > `.datachain/`), one per directory."""
    if isinstance(root, Memory):
        return root
    if root is None and _current.get() is not None:
        return _current.get()  # type: ignore[return-value]
    path = resolve_root(root)
    if path not in _default:
        _default[path] = Memory(path)
    return _default[path]


@contextmanager
def using_memory(memory: Memory) -> Iterator[Memory]:
    """Make `memory` the default for readers called inside the block (an orchestrator's configured resource)."""
    token = _current.set(memory)
    try:
        yield memory
    finally:
        _current.reset(token)
