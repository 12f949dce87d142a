"""Checkpoints are committed parts: the staged input of a UDF step plus one Parquet file per finished batch.

Layout under `<root>/staging/<step>-<input>-<code>/`: `input.parquet` (the step's input, each row numbered by
`_dc_unit`), `meta.json` (how many units), `parts/part-<start>-<end>.parquet`, each renamed into place only when
complete, so a part either exists whole or not at all, and `finished` once every unit is done.

The folder name is three keys: `step` (the UDF's parameters), `input` (the rows it reads) and `code` (its code and
everything the code sees). A finished checkpoint is reused only by the same code. An unfinished one (a run that
failed or was killed) is continued by the next run of the same step and input even when the code changed, so fixing
a bug in a UDF does not throw away the rows already done.

On a Data Memory whose data path is object storage, the folder is also mirrored there (`memory/staging.py`): every
committed file is uploaded right after its local commit, and `pull()` brings what other machines committed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..memory.staging import RemoteStaging
from ..memory.store import disk_full_error, is_disk_full

UNIT = "_dc_unit"  # row number (map, gen, batch_map) or group number (agg) in the staged input
_KEYS, _ERRORS = "dc_unit_keys", "dc_errors"  # part metadata
_PART = re.compile(r"part-(\d{12})-(\d{12})\.parquet")


class Checkpoint:
    """The staging folder of one UDF step, keyed by everything that would change its results."""

    def __init__(self, directory: Path, remote: RemoteStaging | None = None) -> None:
        self.directory = directory
        self.remote = remote
        self.step_key, self.input_key, self.code_key = (directory.name.split("-") + ["", "", ""])[:3]
        self.input_path = directory / "input.parquet"
        self.parts_dir = directory / "parts"
        self._use: IO[str] | None = None
        self._compute: IO[str] | None = None

    # ----------------------------------------------------------------- input
    def has_input(self) -> bool:
        return (self.directory / "meta.json").exists() and self.input_path.exists()

    def staging_input_path(self) -> Path:
        """Where to write the input before `seal_input` renames it into place."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f".input-{os.getpid()}.parquet"

    def seal_input(self, written: Path, units: int) -> None:
        """Make `written` the input, unless another machine sealed one meanwhile: its parts are numbered by it."""
        self.pull()
        if self.has_input():
            written.unlink()
            return
        os.replace(written, self.input_path)
        _atomic_write_text(self.directory / "meta.json", json.dumps({"units": units}))
        self._share(self.input_path, self.directory / "meta.json")

    def pull(self) -> None:
        """Bring the input (unless sealed here) and the parts other machines committed to the remote copy."""
        if self.remote is not None:
            self.remote.download(self.directory, skip=("input.parquet", "meta.json") if self.has_input() else (),
                                 last="finished", requires="meta.json")

    @property
    def units(self) -> int:
        return int(json.loads((self.directory / "meta.json").read_text())["units"])

    # ----------------------------------------------------------------- parts
    def done_ranges(self) -> list[tuple[int, int]]:
        """The unit ranges [start, end) already committed, sorted."""
        if not self.parts_dir.exists():
            return []
        found = (_PART.fullmatch(p.name) for p in self.parts_dir.iterdir())
        return sorted((int(m.group(1)), int(m.group(2))) for m in found if m)

    def missing_ranges(self, batch_size: int) -> list[tuple[int, int]]:
        """The batches still to run: gaps between committed parts, cut to `batch_size` units."""
        todo: list[tuple[int, int]] = []
        cursor = 0
        for start, end in [*self.done_ranges(), (self.units, self.units)]:
            while cursor < start:
                todo.append((cursor, min(cursor + batch_size, start)))
                cursor = todo[-1][1]
            cursor = max(cursor, end)
        return todo

    def done_units(self) -> int:
        return sum(end - start for start, end in self.done_ranges())

    def commit_part(self, table: pa.Table, start: int, end: int, keys: Sequence[tuple[int, str]] = (),
                    errors: Sequence[dict[str, Any]] = ()) -> Path:
        """Write a finished batch (units [start, end)); the rename makes it visible only once complete.

        `keys` are (unit, input key) of the units that succeeded, for reuse by later runs over other inputs;
        `errors` are the units skipped because the UDF failed on them (`settings(on_error="skip")`).
        """
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        final = self.parts_dir / f"part-{start:012d}-{end:012d}.parquet"
        fd, partial = tempfile.mkstemp(dir=self.parts_dir, prefix=".part-", suffix=".parquet")
        os.close(fd)
        metadata = {_KEYS: json.dumps(list(keys)), _ERRORS: json.dumps(list(errors))}
        try:
            pq.write_table(table.replace_schema_metadata(metadata), partial)
            os.replace(partial, final)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(final) from exc
            raise
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        try:
            self._share(final)
        except BaseException:
            final.unlink(missing_ok=True)  # not shared: a later run computes it again
            raise
        return final

    def part_paths(self) -> list[Path]:
        return [self.parts_dir / f"part-{s:012d}-{e:012d}.parquet" for s, e in self.done_ranges()]

    @staticmethod
    def part_units(path: Path) -> list[tuple[int, str]]:
        """(unit, input key) of each unit a part holds the results of."""
        return [(int(u), str(k)) for u, k in json.loads(_part_metadata(path).get(_KEYS, "[]"))]

    def errors(self) -> list[dict[str, Any]]:
        """The units skipped because the UDF failed on them, in input order."""
        return [error for path in self.part_paths() for error in json.loads(_part_metadata(path).get(_ERRORS, "[]"))]

    def same_code_elsewhere(self) -> list[Checkpoint]:
        """Checkpoints of the same step and code over other inputs: their units can be reused by input key."""
        pattern = f"{self.step_key}-*-{self.code_key}"
        return [Checkpoint(d) for d in self.directory.parent.glob(pattern) if d != self.directory]

    @classmethod
    def for_step(cls, staging_dir: Path, *, step: str, input: str, code: str,  # noqa: A002
                 remote: RemoteStaging | None = None) -> Checkpoint:
        """The checkpoint of a step (parameters), over an input (rows), run by some code; keys are hex digests."""
        return cls(staging_dir / f"{step}-{input}-{code}", remote)

    def is_finished(self) -> bool:
        return (self.directory / "finished").exists()

    def mark_finished(self) -> None:
        """Every unit is done: from now on only the same code may reuse these parts."""
        if not self.is_finished():
            _atomic_write_text(self.directory / "finished", self.code_key)
            self._share(self.directory / "finished")

    def unfinished_predecessor(self) -> Checkpoint | None:
        """The unfinished checkpoint of the same step and input under other code (a failed run whose UDF the
        user has since edited) with the most units done, if any."""
        siblings = [Checkpoint(d) for d in self.directory.parent.glob(f"{self.step_key}-{self.input_key}-*")
                    if d != self.directory]
        candidates = [c for c in siblings if c.has_input() and not c.is_finished() and c.done_ranges()]
        return max(candidates, key=Checkpoint.done_units, default=None)

    def adopt(self, previous: Checkpoint) -> int:
        """Take over `previous`'s input and committed parts (as hard links, copies where links are impossible),
        then remove it unless another process uses it; returns how many units were done."""
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        for source in [previous.input_path, previous.directory / "meta.json", *previous.part_paths()]:
            folder = self.parts_dir if source.parent == previous.parts_dir else self.directory
            _link_or_copy(source, folder / source.name)
        self._share(self.input_path, self.directory / "meta.json", *self.part_paths())
        _remove_unless_used(previous.directory)
        return self.done_units()

    def _share(self, *files: Path) -> None:
        """Upload committed files to the remote copy, in order, if there is one."""
        if self.remote is not None:
            for file in files:
                self.remote.upload(self.directory, file)

    # ----------------------------------------------------------------- locks
    # `.lock`: shared by every process using the checkpoint, exclusive (without waiting) to remove it.
    # `.compute.lock`: exclusive while batches run, so two processes never compute the same parts.

    def hold(self) -> None:
        """Mark the checkpoint in use by this process until `release()`, so nobody removes it meanwhile."""
        if self._use is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._use = open(self.directory / ".lock", "a+")  # noqa: SIM115 - held across calls
            fcntl.flock(self._use, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._use is not None:
            fcntl.flock(self._use, fcntl.LOCK_UN)
            self._use.close()
            self._use = None

    def try_remove(self, *, remote: bool = False) -> bool:
        """Delete the checkpoint unless another process is using it (and its remote copy with it, if `remote`:
        a save has used its parts); returns whether it was deleted."""
        self.release()
        removed = _remove_unless_used(self.directory)
        if removed and remote and self.remote is not None:
            self.remote.remove(self.directory.name)
        return removed

    @contextmanager
    def computing(self) -> Iterator[None]:
        """Held while batches run: a second process running the same chain waits, then finds the parts done."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".compute.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._compute = handle
            try:
                yield
            finally:
                self._compute = None
                fcntl.flock(handle, fcntl.LOCK_UN)

    def drop_inherited_locks(self) -> None:
        """In a forked worker: close the lock files inherited from the parent without unlocking them, so the
        locks end with the parent (a worker outliving it must not keep the next run waiting)."""
        for handle in (self._compute, self._use):
            if handle is not None:
                handle.close()
        self._compute = self._use = None


def remove_abandoned(staging_dir: Path, older_than: float, remote: RemoteStaging | None = None) -> int:
    """Delete checkpoint folders untouched for `older_than` seconds and not locked by a run (and remote copies
    untouched as long); returns how many checkpoints."""
    removed: set[str] = set()
    if staging_dir.exists():
        cutoff = time.time() - older_than
        removed = {d.name for d in staging_dir.iterdir()
                   if d.is_dir() and _last_touched(d) <= cutoff and _remove_unless_used(d)}
    if remote is not None:
        removed |= remote.remove_untouched(older_than)
    return len(removed)


def _remove_unless_used(directory: Path) -> bool:
    if not directory.exists():
        return False
    with open(directory / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a process is using it; a later save or gc() removes it
        shutil.rmtree(directory, ignore_errors=True)
        return True


def _last_touched(directory: Path) -> float:
    return max((p.stat().st_mtime for p in directory.rglob("*")), default=directory.stat().st_mtime)


def _part_metadata(path: Path) -> dict[str, str]:
    metadata = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in metadata.items()}


def _link_or_copy(source: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        os.link(source, partial)
    except OSError:
        shutil.copyfile(source, partial)
    os.replace(partial, target)


def _atomic_write_text(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    os.replace(partial, path)
