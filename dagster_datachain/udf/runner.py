"""Running a UDF over its staged input in batches, committing each finished batch as a checkpoint part."""

from __future__ import annotations

import contextvars
import logging
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm
from duckdb import col

from ..errors import UDFError
from ..memory.schema import Schema, to_arrow_type
from ..storage.file import File
from .checkpoint import UNIT, Checkpoint
from .settings import Settings
from .signature import UDF

logger = logging.getLogger(__name__)

SetupFactories = dict[str, Callable[[], Any]]


def run_udf(udf: UDF, checkpoint: Checkpoint, input_schema: Schema, settings: Settings,
            setup: SetupFactories) -> list[Path]:
    """Run every uncommitted batch of `udf` over the checkpoint's input; return all part paths.

    Batches run in this process, or in `settings.parallel` forked worker processes; either way each finished
    batch is committed as a part before it counts as done, so a crash loses at most the batches in flight.
    """
    with checkpoint.computing():
        total, done = checkpoint.units, checkpoint.done_units()
        unit = "groups" if udf.kind == "agg" else "rows"
        if done:
            logger.info("UDF '%s': Continuing from checkpoint (%s of %s %s done)", udf.name, done, total, unit)
        todo = checkpoint.missing_ranges(settings.batch_size)
        if todo:
            _run_batches(_Job(udf, checkpoint, input_schema, settings, setup), todo,
                         Progress(f"UDF '{udf.name}'", total, done, unit), settings.parallel or 1)
    return checkpoint.part_paths()


def _run_batches(job: _Job, todo: list[tuple[int, int]], progress: Progress, parallel: int) -> None:
    workers = min(parallel, len(todo))
    try:
        if workers > 1:
            _run_parallel(job, todo, workers, progress)
        else:
            for start, end in todo:
                progress.advance(job.process(start, end))
    finally:
        job.close()
        progress.close()


class _Job:
    """Everything needed to run one batch range, built lazily so a forked worker builds its own."""

    def __init__(self, udf: UDF, checkpoint: Checkpoint, input_schema: Schema, settings: Settings,
                 setup: SetupFactories) -> None:
        self.udf, self.checkpoint, self.input_schema = udf, checkpoint, input_schema
        self.settings, self.setup = settings, setup
        self._runner: _BatchRunner | None = None
        self._reader: duckdb.DuckDBPyConnection | None = None

    def process(self, start: int, end: int) -> int:
        """Run units [start, end) and commit them as one part; returns how many units were done."""
        if self._runner is None:
            setup_values = {name: self.setup[name]() for name in self.udf.setup_args}
            self._runner = _BatchRunner(self.udf, self.input_schema, self.settings, setup_values)
            self._reader = duckdb.connect()
        assert self._reader is not None
        source = self._reader.read_parquet(str(self.checkpoint.input_path))
        batch = source.filter((col(UNIT) >= start) & (col(UNIT) < end)).sort(col(UNIT)).to_arrow_table()
        self.checkpoint.commit_part(self._runner.run(batch), start, end)
        return end - start

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
        if self._reader is not None:
            self._reader.close()


_worker_job: _Job | None = None  # the job a forked worker inherits from its parent


def _work(start: int, end: int) -> int:
    assert _worker_job is not None
    return _worker_job.process(start, end)


def _run_parallel(job: _Job, todo: list[tuple[int, int]], workers: int, progress: Progress) -> None:
    """Fan batches out to forked processes; the first failure stops all workers and is raised as is."""
    global _worker_job
    _worker_job = job
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        futures = [pool.submit(_work, start, end) for start, end in todo]
        for future in as_completed(futures):
            progress.advance(future.result())
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):  # stop batches in flight now
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _worker_job = None


class _BatchRunner:
    """Turns one input batch (Arrow) into one output batch (Arrow) by calling the user's function."""

    def __init__(self, udf: UDF, input_schema: Schema, settings: Settings, setup_values: dict[str, Any]) -> None:
        self.udf = udf
        self.setup_values = setup_values
        self.converters = [p.converter() for p in udf.params]
        self.label_column = _file_column(input_schema)
        self.out_types = {name: to_arrow_type(spec) for name, spec in udf.output.items()}
        self.prefetch = settings.prefetch
        self.cache = settings.cache
        self.pool = ThreadPoolExecutor(max_workers=min(settings.prefetch, 32)) if settings.prefetch else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def run(self, batch: pa.Table) -> pa.Table:
        columns = [[convert(v) for v in _column(batch, p.column).to_pylist()] for p, convert in
                   zip(self.udf.params, self.converters, strict=True)]
        labels = self._labels(batch)
        units = batch.column(UNIT).to_pylist()
        if self.udf.kind == "map":
            outputs = [self._call(args, label) for args, label in self._prefetched(columns, labels)]
            return self._with_outputs(batch, [self.udf.output_row(o, lab) for o, lab in zip(outputs, labels)])
        if self.udf.kind == "batch_map":
            results = list(self._call(columns, f"batch {units[0]}..{units[-1]}"))
            if len(results) != batch.num_rows:
                raise UDFError(f"UDF '{self.udf.name}' returned {len(results)} results for a batch of "
                               f"{batch.num_rows} rows; batch_map must return one per row", udf=self.udf.name)
            return self._with_outputs(batch, [self.udf.output_row(o, lab) for o, lab in zip(results, labels)])
        return self._generated(columns, labels, units)

    def _generated(self, columns: list[list[Any]], labels: list[str], units: list[int]) -> pa.Table:
        rows: list[dict[str, Any]] = []
        out_units: list[int] = []
        if self.udf.kind == "gen":
            calls = ((args, label, unit) for (args, label), unit in zip(self._prefetched(columns, labels), units))
        else:  # agg: one call per group, each argument a list of the group's values
            calls = ((tuple(c[i:j] for c in columns), labels[i], units[i]) for i, j in _groups(units))
        for args, label, unit in calls:
            for item in self._call(args, label, generate=True):
                rows.append(self.udf.output_row(item, label))
                out_units.append(unit)
        arrays = {n: pa.array([r[n] for r in rows], type=t) for n, t in self.out_types.items()}
        return pa.table({**arrays, UNIT: pa.array(out_units, type=pa.int64())})

    def _with_outputs(self, batch: pa.Table, rows: list[dict[str, Any]]) -> pa.Table:
        for name, arrow_type in self.out_types.items():
            array = pa.array([r[name] for r in rows], type=arrow_type)
            if name in batch.column_names:
                batch = batch.set_column(batch.column_names.index(name), name, array)
            else:
                batch = batch.append_column(name, array)
        return batch

    def _call(self, args: Any, label: str, *, generate: bool = False) -> Any:
        try:
            result = self.udf.func(*args, **self.setup_values)
            return list(result) if generate else result
        except UDFError:
            raise
        except Exception as exc:  # user code, or a file it read (StorageError): name the UDF and the row
            raise UDFError(f"UDF '{self.udf.name}' failed on input row {label}: {type(exc).__name__}: {exc}",
                           udf=self.udf.name, row=label) from exc

    def _labels(self, batch: pa.Table) -> list[str]:
        if self.label_column is not None:
            return [str(p) for p in pc.struct_field(batch.column(self.label_column), "path").to_pylist()]
        return [f"#{u}" for u in batch.column(UNIT).to_pylist()]

    def _prefetched(self, columns: list[list[Any]], labels: list[str]) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Yield each row's arguments; with prefetch, remote files of the next rows are read on threads meanwhile."""
        rows = list(zip(*columns)) if columns else [()] * len(labels)
        remote = [[v for v in row if isinstance(v, File) and not v.is_local] for row in rows]
        if self.cache:
            for files in remote:
                for file in files:
                    file.use_cache()
        if self.pool is None or not any(remote):
            yield from zip(rows, labels)
            return
        pending: dict[int, list[Future[None]]] = {}
        for i in range(min(self.prefetch, len(rows))):
            pending[i] = [self.pool.submit(contextvars.copy_context().run, f.prefetch) for f in remote[i]]
        for i, row in enumerate(rows):
            ahead = i + self.prefetch
            if ahead < len(rows):
                pending[ahead] = [self.pool.submit(contextvars.copy_context().run, f.prefetch) for f in remote[ahead]]
            for future in pending.pop(i, []):
                future.exception()  # wait; a failed prefetch leaves the file to be read (and fail) in the UDF
            yield row, labels[i]
            for file in remote[i]:
                file.release()


def _column(batch: pa.Table, column: str) -> pa.ChunkedArray:
    if column in batch.column_names:
        return batch.column(column)
    head, *rest = column.split(".")
    array = batch.column(head)
    for part in rest:
        array = pc.struct_field(array, part)
    return array


def _groups(units: list[int]) -> Iterator[tuple[int, int]]:
    start = 0
    for i in range(1, len(units) + 1):
        if i == len(units) or units[i] != units[start]:
            yield start, i
            start = i


def _file_column(schema: Schema) -> str | None:
    for name, spec in schema.items():
        if spec.kind == "model" and {"source", "path"} <= set(spec.fields):
            return name
    return None


class Progress:
    """Progress of long work: a bar on a terminal, otherwise a log line every few seconds, then a summary."""

    def __init__(self, label: str, total: int, done: int = 0, unit: str = "rows", every: float = 5.0) -> None:
        self.label, self.total, self.done, self.unit, self.every = label, total, done, unit, every
        self.started = self.last = time.monotonic()
        self.first = done
        self.bar = tqdm(total=total, initial=done, desc=label, unit=f" {unit}", leave=False) if _on_tty() else None

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            logger.info("%s: %s/%s %s (%.0f%%), %.0f %s/s", self.label, self.done, self.total, self.unit,
                        100 * self.done / max(self.total, 1), self._rate(now), self.unit)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        logger.info("%s: processed %s %s in %.1fs", self.label, self.done - self.first, self.unit,
                    time.monotonic() - self.started)

    def _rate(self, now: float) -> float:
        return (self.done - self.first) / max(now - self.started, 1e-9)


def _on_tty() -> bool:
    return sys.stderr.isatty()
