"""The Data Memory file: where it lives, and short connections that take turns with other processes.

DuckDB lets one process at a time open a database file. Compute never holds it: every use is a short
`with memory.connect() as con:` block; a process that finds the file taken waits its turn at a gate file, and
the holder hands the file over as soon as its current block ends.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import logging
import os
import random
import re
import shutil
import struct
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from ..errors import (
    DataMemoryConflictError,
    DataMemoryCorruptError,
    DataMemoryFullError,
    DataMemoryLockedError,
    DataMemoryVersionError,
)
from .config import connection_config, resolve_lake, resolve_root
from .lake import Lake, LakeConfig, is_conflict, tune
from .staging import FOLDER as STAGING_FOLDER
from .staging import RemoteStaging
from .vector_index import CATALOG_DDL as VECTOR_INDEX_DDL

logger = logging.getLogger(__name__)

T = TypeVar("T")

COMMIT_ATTEMPTS = 12
"""Tries of a commit to a lake that conflicts with concurrent commits to the same tables."""

_WATCH_INTERVAL = 0.05
"""Seconds between two looks of a lingering database for processes waiting to open it."""

_CATALOG_DDL = [
    """CREATE TABLE IF NOT EXISTS dc_versions (
        name VARCHAR NOT NULL, version VARCHAR NOT NULL, seq BIGINT NOT NULL,
        major INTEGER, minor INTEGER, patch INTEGER,
        schema_json VARCHAR, row_count BIGINT, created_at TIMESTAMPTZ,
        code_hash VARCHAR, chain_hash VARCHAR, lineage_json VARCHAR, run_id VARCHAR,
        description VARCHAR, table_name VARCHAR, stats_json VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS dc_listings (
        source VARCHAR NOT NULL, prefix VARCHAR NOT NULL, table_name VARCHAR,
        listed_at TIMESTAMPTZ, fingerprint VARCHAR, file_count BIGINT, total_size BIGINT, changed_at TIMESTAMPTZ)""",
    "CREATE TABLE IF NOT EXISTS dc_attrs (name VARCHAR NOT NULL, version VARCHAR NOT NULL, attrs_json VARCHAR)",
    VECTOR_INDEX_DDL,
]


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a Data Memory file written by an earlier release up to the catalog above."""
    listing_columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = 'dc_listings'").fetchall()}
    if "changed_at" not in listing_columns:  # when a listing's content last changed: its last listing is all we know
        con.execute("ALTER TABLE dc_listings ADD COLUMN IF NOT EXISTS changed_at TIMESTAMPTZ")
        con.execute("UPDATE dc_listings SET changed_at = listed_at WHERE changed_at IS NULL")


class Memory:
    """One Data Memory: a DuckDB file plus staging and cache folders under a root directory, or, given a
    `catalog` (and `data_path`), a DuckLake shared by many processes and machines (see `lake.py`).

    Example:
        >>> memory = Memory("/tmp/example-memory")
        >>> with memory.connect() as con:
        ...     con.execute("SELECT 1").fetchall()
        [(1,)]
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, lock_timeout: float = 300.0,
                 linger: float = 1.0, *, catalog: str | None = None, data_path: str | None = None,
                 storage_options: dict[str, Any] | None = None) -> None:
        self.root = resolve_root(root)
        self.lake_config = resolve_lake(catalog, data_path, storage_options)
        self._lake = Lake(self.lake_config, connection_config()) if self.lake_config is not None else None
        self.lock_timeout = lock_timeout
        self.linger = linger
        self._ready = False
        self._local = threading.local()
        self._guard = threading.Lock()
        self._base: duckdb.DuckDBPyConnection | None = None
        self._base_pid = 0
        self._users = 0
        self._idle_since = 0.0
        self._watcher: threading.Thread | None = None
        _open_memories.add(self)

    def __repr__(self) -> str:
        if self.lake_config is not None:
            return f"Memory(catalog={self.lake_config.shown_catalog!r}, data_path={self.lake_config.data_path!r})"
        return f"Memory({str(self.root)!r})"

    @property
    def shared(self) -> bool:
        """True on a DuckLake (many processes and machines commit at once), False for the local file."""
        return self._lake is not None

    @property
    def location(self) -> str:
        """Where the datasets live, for messages and comparisons: the file, or the lake's catalog and data path
        (no password)."""
        if self.lake_config is not None:
            return f"{self.lake_config.shown_catalog} (data {self.lake_config.data_path})"
        return str(self.db_path)

    def exists(self) -> bool:
        """Whether there is a Data Memory to read (a lake always answers yes: it is created on first attach)."""
        return self.shared or self.db_path.exists()

    @property
    def db_path(self) -> Path:
        return self.root / "db.duckdb"

    @property
    def staging_dir(self) -> Path:
        """Checkpoints and staged files: under a lake's local (shared) data path, so other processes see them."""
        local = self.lake_config.local_data_path() if self.lake_config is not None else None
        return local / STAGING_FOLDER if local is not None else self.root / "staging"

    @property
    def remote_staging(self) -> RemoteStaging | None:
        """On a lake whose data path is object storage: the remote copy of the checkpoints, so steps on other
        machines continue them (see `staging.py`)."""
        config = self.lake_config
        if config is None or not config.is_remote_data:
            return None
        return RemoteStaging(config.data_path, config.storage_options)

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def gate_path(self) -> Path:
        """The lock file a process holds while it waits to open the database (see `connect`)."""
        return self.root / "db.gate"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the Data Memory file for the length of the block (re-entrant within a thread).

        The database stays open for `linger` seconds after the last block ends, so a burst of operations
        shares a warm cache, but never while another process waits for it: a process that cannot open the
        file holds the gate file while it retries, and the process holding the database closes it as soon as
        its current block ends. Waiting processes take turns at the gate, so a busy reader never keeps a
        writer out (or the other way round).
        """
        current = getattr(self._local, "con", None)
        if current is not None:
            yield current
            return
        if self._lake is not None:
            with self._lake.connect() as con:
                self._local.con = con
                try:
                    self._ensure_catalog(con)
                    yield con
                finally:
                    self._local.con = None
            return
        con = self._acquire()
        self._local.con = con
        try:
            yield con
        except duckdb.Error as exc:
            if is_disk_full(exc):
                written = re.search(r'file "([^"]+)"', str(exc))
                raise disk_full_error(Path(written.group(1)) if written else self.db_path) from exc
            raise
        finally:
            self._local.con = None
            con.close()
            self._release()

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        with self._guard:
            if self._base is not None and self._base_pid == os.getpid() and not self._users and self._others_wait():
                self._close_base()  # a process waits for the file: it goes first, we queue behind it
            if self._base is None or self._base_pid != os.getpid():  # a forked child opens its own
                self._base, self._base_pid = self._open(), os.getpid()
            self._users += 1
            return self._base.cursor()

    def _release(self) -> None:
        with self._guard:
            self._users -= 1
            if self._users or self._base is None:
                return
            self._idle_since = time.monotonic()
            # no new thread once the interpreter ends (a generator finalized at shutdown must not hang it)
            if self.linger <= 0 or _exiting or sys.is_finalizing() or self._others_wait():
                self._close_base()
            elif self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(target=self._linger, name="data-memory-linger", daemon=True)
                self._watcher.start()

    def _linger(self) -> None:
        """Keep the idle database open for `linger` seconds, closing it early when another process waits."""
        while True:
            time.sleep(_WATCH_INTERVAL)
            with self._guard:
                done = self._users > 0 or self._base is None or self._base_pid != os.getpid()
                if not done and (time.monotonic() - self._idle_since >= self.linger or self._others_wait()):
                    self._close_base()
                    done = True
                if done:
                    self._watcher = None
                    return

    def _others_wait(self) -> bool:
        """True while another process holds the gate, i.e. waits to open the database."""
        try:
            fd = os.open(self.gate_path, os.O_RDONLY)
        except OSError:
            return False  # nobody ever waited here
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # conflicts only with a waiter's exclusive lock
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def _close_base(self) -> None:
        if self._base is not None and self._base_pid == os.getpid():
            self._base.close()
        self._base = None

    def close(self) -> None:
        """Release the database file now (it is also released `linger` seconds after the last use)."""
        if self._lake is not None:
            self._lake.close()
        with self._guard:
            if not self._users:
                self._close_base()

    def commit(self, body: Callable[[duckdb.DuckDBPyConnection], T], what: str) -> T:
        """Run `body` in one transaction; on a lake, run it again (bounded, with growing pauses) when a concurrent
        commit touched the same table. `body` must read what it depends on itself, so a retry sees the other
        commit. `what` names the change for the error raised when every attempt conflicted."""
        attempts = COMMIT_ATTEMPTS if self.shared else 1
        for attempt in range(attempts):
            try:
                with self.transaction() as con:
                    return body(con)
            except duckdb.Error as exc:
                if not self.shared or not is_conflict(exc):
                    raise
                logger.debug("commit of %s conflicted (attempt %s): %s", what, attempt + 1, exc)
                time.sleep(0.05 * 2 ** min(attempt, 5) * (1 + random.random()))
        raise DataMemoryConflictError(
            f"{what}: {attempts} commits to {self.location} in a row conflicted with other processes' commits to "
            "the same dataset; nothing was saved. Run it again, or save fewer versions of it at once")

    def _ensure_catalog(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the catalog tables once (on a lake, other processes may be creating them too)."""
        if self._ready:
            return
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                con.begin()
                for statement in _CATALOG_DDL:
                    con.execute(statement)
                con.commit()
                con.begin()  # a lake sets options only on committed tables
                tune(con, ["dc_versions", "dc_listings", "dc_attrs"])
                con.commit()
                break
            except duckdb.Error as exc:
                with suppress(duckdb.TransactionException):  # a failed commit has already ended the transaction
                    con.rollback()
                if not is_conflict(exc) or attempt == COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (1 + random.random()))
        self._ready = True

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
        con = None
        if not self._others_wait() and not _locked_elsewhere(self.db_path):  # no queue: try at once
            con = self._try_connect()
        if con is None:
            with self._gate(deadline):
                con = self._connect_when_free(deadline)
        self._check_intact(con)
        con.execute("SET TimeZone = 'UTC'")
        if not self._ready:
            for statement in _CATALOG_DDL:
                con.execute(statement)
            _migrate(con)
            self._ready = True
        return con

    def _try_connect(self) -> duckdb.DuckDBPyConnection | None:
        try:
            return duckdb.connect(str(self.db_path), config=connection_config())
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                return None
            if "newer version of DuckDB" in str(exc):
                raise self._too_new() from None
            for sign, why in _DAMAGE_SIGNS.items():
                if sign in str(exc):
                    raise self._damaged(why) from None
            raise
        except (duckdb.SerializationException, duckdb.InternalException) as exc:  # unreadable file contents
            raise self._damaged(str(exc)) from None

    def _check_intact(self, con: duckdb.DuckDBPyConnection) -> None:
        """Refuse a truncated file: DuckDB opens it, then fails on the first read of a lost block, and its
        writes go only to the WAL beside it (a save would look done but never reach the file)."""
        _, _, block_size, _, used, *_ = con.execute("PRAGMA database_size").fetchall()[0]
        if not used:  # a new database, or one still only in its WAL
            return
        needed = _HEADER_BYTES + int(used) * int(block_size)  # every used block lies inside the file
        size = self.db_path.stat().st_size
        if size < needed:
            con.close()
            raise self._damaged(f"it is {size:,} bytes but holds {used} blocks of {block_size:,} bytes (truncated)")

    def _too_new(self) -> DataMemoryVersionError:
        with open(self.db_path, "rb") as file:  # DuckDB's main header: the writer's version at bytes 52-84
            writer = file.read(84)[52:].rstrip(b"\0").decode(errors="replace").lstrip("v") or "a newer version"
        return DataMemoryVersionError(
            f"Data Memory file {self.db_path} was written by DuckDB {writer}; this process runs DuckDB "
            f"{duckdb.__version__}, which cannot read it. Use DuckDB {writer} for this Data Memory, or move the file "
            f"(with its .wal file) aside to start an empty one (DuckDB 2.x reads files DuckDB 1.5.5 wrote, not the "
            f"reverse)"
        )

    def _damaged(self, why: str) -> DataMemoryCorruptError:
        return DataMemoryCorruptError(
            f"Data Memory file {self.db_path} is damaged: {why}. Restore it from a backup, or move it aside "
            f"(with its .wal file) to start an empty Data Memory"
        )

    @contextmanager
    def _gate(self, deadline: float) -> Iterator[None]:
        """Wait for our turn among the processes waiting for the database; holding the gate asks its holder
        to close it."""
        fd = os.open(self.gate_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            self._wait(deadline, lambda: _try_flock(fd))
            yield
        finally:
            os.close(fd)  # releases the lock

    def _connect_when_free(self, deadline: float) -> duckdb.DuckDBPyConnection:
        con = None

        def attempt() -> bool:
            nonlocal con
            con = None if _locked_elsewhere(self.db_path) else self._try_connect()
            return con is not None

        self._wait(deadline, attempt)
        assert con is not None
        return con

    def _wait(self, deadline: float, attempt: Callable[[], bool]) -> None:
        """Call `attempt` every few milliseconds until it succeeds; DataMemoryLockedError after the deadline."""
        delay = 0.002
        while not attempt():
            if time.monotonic() > deadline:
                raise DataMemoryLockedError(
                    f"Data Memory {self.db_path} stayed locked by other processes for {self.lock_timeout:.0f}s"
                )
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.01)


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (ours, the engine's or the OS's) says the disk is full."""
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in str(exc)


def disk_full_error(path: Path) -> DataMemoryFullError:
    """The error for a write of `path` that found its disk full (nothing of the failed write is kept)."""
    try:
        free = f"{shutil.disk_usage(path.parent).free:,} bytes free"
    except OSError:
        free = "disk full"
    error = DataMemoryFullError(f"No space left on device writing {path} ({free}); nothing was saved: "
                                "free space on that disk and run again")
    error.errno = errno.ENOSPC
    return error


_HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers
_DAMAGE_SIGNS = {  # DuckDB's words on opening a damaged file -> ours
    "not a valid DuckDB database file": "it is not a DuckDB database (empty, or overwritten)",
    "Could not read enough bytes": "it is shorter than its contents (truncated)",
    "Corrupt": "its contents are corrupt",
    "checksum": "its contents are corrupt (checksum mismatch)",
}

_FLOCK = struct.Struct("hhqqi4x")  # Linux struct flock: type, whence, start, len, pid
_probes: dict[tuple[int, int, int], int] = {}  # (pid, device, inode) -> descriptor, never closed


def _locked_elsewhere(path: Path) -> bool:
    """True while another process holds DuckDB's lock on `path`: a cheap F_GETLK query that takes no lock
    (a failed `duckdb.connect` costs ~10 ms of CPU). The descriptor stays open: closing one would drop this
    process's own DuckDB locks on the file. Elsewhere than Linux (another struct layout) it answers False,
    and callers simply try to connect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        stat = os.stat(path)
    except OSError:
        return False
    key = (os.getpid(), stat.st_dev, stat.st_ino)
    if key not in _probes:
        try:
            _probes[key] = os.open(path, os.O_RDONLY)
        except OSError:
            return False
    try:
        answer = fcntl.fcntl(_probes[key], fcntl.F_GETLK, _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
    except OSError:
        return False
    return _FLOCK.unpack(answer)[0] != fcntl.F_UNLCK


_default: dict[tuple[Path, LakeConfig | None], Memory] = {}
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


def _after_fork_in_child() -> None:
    """A forked child starts with fresh locks: a thread of the parent may have held one at the fork."""
    for memory in list(_open_memories):
        memory._guard = threading.Lock()
        memory._watcher = None


os.register_at_fork(after_in_child=_after_fork_in_child)

_current: ContextVar[Memory | None] = ContextVar("dagster_datachain_memory", default=None)


def get_memory(root: Memory | str | os.PathLike[str] | None = None) -> Memory:
    """The Memory for `root` (argument > `using_memory` > DATACHAIN_ROOT_DIR > `.datachain/`), one per directory,
    on the lake $DATACHAIN_CATALOG names when it is set."""
    if isinstance(root, Memory):
        return root
    if root is None and _current.get() is not None:
        return _current.get()  # type: ignore[return-value]
    key = (resolve_root(root), resolve_lake())
    if key not in _default:
        _default[key] = Memory(key[0])
    return _default[key]


@contextmanager
def using_memory(memory: Memory) -> Iterator[Memory]:
    """Make `memory` the default for readers called inside the block (an orchestrator's configured resource)."""
    token = _current.set(memory)
    try:
        yield memory
    finally:
        _current.reset(token)
