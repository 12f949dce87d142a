"""Running a UDF over its staged input in batches, committing each finished batch as a checkpoint part."""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import UDFError
from ..memory.expressions import col
from ..memory.schema import Schema, to_arrow_type
from ..storage.file import File
from .checkpoint import UNIT, Checkpoint
from .reuse import Memo, Span, unit_keys
from .settings import Settings
from .signature import UDF
from .workers import WorkerDied, WorkerPool

logger = logging.getLogger(__name__)

SetupFactories = dict[str, Callable[[], Any]]


def run_udf(udf: UDF, checkpoint: Checkpoint, input_schema: Schema, settings: Settings,
            setup: SetupFactories) -> list[Path]:
    """Run every uncommitted batch of `udf` over the checkpoint's input; return all part paths.

    Batches run in this process, or in `settings.parallel` forked worker processes; either way each finished
    batch is committed as a part before it counts as done, so a crash loses at most the batches in flight.
    """
    try:
        return _run_udf(udf, checkpoint, input_schema, settings, setup)
    except UDFError as exc:  # an exception of user code reaches the caller as itself, with where it happened
        surfaced = exc.user_facing()
        if surfaced is exc:
            raise
        raise surfaced from None


def _run_udf(udf: UDF, checkpoint: Checkpoint, input_schema: Schema, settings: Settings,
             setup: SetupFactories) -> list[Path]:
    with checkpoint.computing():
        total, done = checkpoint.units, checkpoint.done_units()
        unit = "groups" if udf.kind == "agg" else "rows"
        if checkpoint.is_finished():
            logger.info("UDF '%s': reusing its checkpoint (%s %s; same input, parameters and code %s)",
                        udf.name, total, unit, checkpoint.code_key)
        elif done:
            logger.info("UDF '%s': Continuing from checkpoint (%s of %s %s done)", udf.name, done, total, unit)
        todo = checkpoint.missing_ranges(settings.batch_size)
        if todo:
            memo = Memo(checkpoint.same_code_elsewhere(), list(udf.output)) or None
            if memo is not None:
                logger.info("UDF '%s': %s %s done by earlier runs of the same code over other inputs; those whose "
                            "input is unchanged are reused", udf.name, len(memo.index), unit)
            job = _Job(udf, checkpoint, input_schema, settings, setup, memo)
            _run_batches(job, todo, Progress(f"UDF '{udf.name}'", total, done, unit), settings.parallel or 1)
        checkpoint.mark_finished()
        errors = checkpoint.errors()
        if errors:
            logger.warning("UDF '%s': %s of %s %s failed and were left out (on_error='skip'), e.g. %s: %s; save() "
                           "records them all in dataset '<name>__errors'", udf.name, len(errors), total, unit,
                           errors[0]["row"], errors[0]["error"])
    return checkpoint.part_paths()


def _run_batches(job: _Job, todo: list[tuple[int, int]], progress: Progress, parallel: int) -> None:
    workers = min(parallel, len(todo))
    finished = False
    try:
        if workers > 1:
            _run_parallel(job, todo, workers, progress)
        else:
            for start, end in todo:
                progress.advance(job.process(start, end))
        finished = True
    finally:
        job.close()
        progress.close(finished)


class _Job:
    """Everything needed to run one batch range, built lazily so a forked worker builds its own."""

    def __init__(self, udf: UDF, checkpoint: Checkpoint, input_schema: Schema, settings: Settings,
                 setup: SetupFactories, memo: Memo | None) -> None:
        self.udf, self.checkpoint, self.input_schema = udf, checkpoint, input_schema
        self.settings, self.setup, self.memo = settings, setup, memo
        self.mark: Callable[[int], None] = _ignore
        self._runner: _BatchRunner | None = None
        self._reader: duckdb.DuckDBPyConnection | None = None

    def process(self, start: int, end: int) -> int:
        """Run units [start, end) and commit them as one part; returns how many units were done. When the UDF
        fails on a unit, the units before it are committed first, so the next run starts at the failing one."""
        if self._runner is None:
            setup_values = {name: self.setup[name]() for name in self.udf.setup_args}
            if self.udf.instance is not None:  # a class-based UDF: once per process, before its first call
                self.udf.instance.setup()
            self._runner = _BatchRunner(self.udf, self.input_schema, self.settings, setup_values, self.mark,
                                        self.memo)
        result = self._runner.run(self.read(start, end))
        if result.done:
            self.checkpoint.commit_part(result.table, start, start + result.done, result.keys, result.errors)
        if result.failure is not None:
            raise result.failure
        return result.done

    def read(self, start: int, end: int) -> pa.Table:
        """The staged input rows of units [start, end)."""
        if self._reader is None:
            self._reader = duckdb.connect()
        source = self._reader.read_parquet(str(self.checkpoint.input_path))
        return source.filter((col(UNIT) >= start) & (col(UNIT) < end)).sort(col(UNIT)).to_arrow_table()

    def label(self, unit: int) -> str:
        """How messages name a unit: its (first) row's file path, else its number."""
        column = _file_column(self.input_schema)
        rows = self.read(unit, unit + 1)
        if column is None or rows.num_rows == 0:
            return f"#{unit}"
        return str(_field(rows.column(column), "path")[0].as_py())

    def prepare_worker(self, mark: Callable[[int], None]) -> None:
        """In a forked worker: record units in flight with `mark`, and let the parent's locks go with it."""
        self.mark = mark
        self.checkpoint.drop_inherited_locks()

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            if self.udf.instance is not None:
                self.udf.instance.teardown()
        if self._reader is not None:
            self._reader.close()


def _ignore(unit: int) -> None:
    pass


def _run_parallel(job: _Job, todo: list[tuple[int, int]], workers: int, progress: Progress) -> None:
    """Fan batches out to forked processes; the first failure stops all workers and is raised, a worker that died
    as a UDFError naming the UDF and the row it was on."""
    pool = WorkerPool(workers, job.process, job.prepare_worker)
    try:
        pool.run(todo, progress.advance)
    except WorkerDied as died:
        row = job.label(died.unit) if died.unit is not None else None
        where = f"input row {row}" if row is not None else f"the batch of units {died.batch[0]}..{died.batch[1] - 1}"
        raise UDFError(f"UDF '{job.udf.name}': worker process {died.pid} {died.how()} while processing {where}; "
                       "that batch was not committed", udf=job.udf.name, row=row) from None
    finally:
        pool.close()


@dataclass
class BatchResult:
    """What one batch produced: output rows of the units done (from the batch's first unit on), their input
    keys, the units skipped with their errors, and the failure that stopped the batch early, if one did."""

    table: pa.Table
    done: int
    keys: list[tuple[int, str]]
    errors: list[dict[str, Any]]
    failure: UDFError | None = None


class _BatchRunner:
    """Turns one input batch (Arrow) into one output batch (Arrow) by calling the user's function, taking the
    results of units whose inputs an earlier run of the same code already processed from `memo`."""

    def __init__(self, udf: UDF, input_schema: Schema, settings: Settings, setup_values: dict[str, Any],
                 mark: Callable[[int], None], memo: Memo | None) -> None:
        self.udf = udf
        self.mark = mark
        self.memo = memo
        self.skip = settings.on_error == "skip"
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

    def run(self, batch: pa.Table) -> BatchResult:
        raw = [_column(batch, p.column).to_pylist() for p in self.udf.params]
        labels = self._labels(batch)
        units = batch.column(UNIT).to_pylist()
        if self.udf.kind == "batch_map":
            return self._run_whole(batch, raw, labels, units)
        spans = list(_groups(units)) if self.udf.kind == "agg" else [(i, i + 1) for i in range(len(units))]
        keys = unit_keys(self.udf.kind, raw, spans)
        reused = self.memo.lookup(keys) if self.memo else {}
        arguments = self._arguments(raw, labels, [s for n, s in enumerate(spans) if n not in reused])
        done: list[tuple[int, list[dict[str, Any]]]] = []  # (span number, output rows) of the units that succeeded
        errors: list[dict[str, Any]] = []
        for n, (i, _) in enumerate(spans):
            rows = reused.get(n)
            if rows is None:
                try:
                    rows = self._unit(next(arguments), labels[i], units[i])
                except UDFError as exc:
                    if not self.skip:
                        return BatchResult(self._table(batch, spans, done), n, _keys(keys, units, spans, done),
                                           errors, exc)
                    errors.append(self._skipped(exc, units[i], labels[i]))
                    continue
            done.append((n, rows))
        return BatchResult(self._table(batch, spans, done), len(spans), _keys(keys, units, spans, done), errors)

    def _unit(self, args: tuple[Any, ...], label: str, unit: int) -> list[dict[str, Any]]:
        """Call the function on one unit; its output rows (one for map, any number for gen and agg)."""
        if self.udf.kind == "map":
            return [self.udf.output_row(self._call(args, label, unit), label)]
        return [self.udf.output_row(item, label) for item in self._call(args, label, unit, generate=True)]

    def _run_whole(self, batch: pa.Table, raw: list[list[Any]], labels: list[str], units: list[int]) -> BatchResult:
        """batch_map: one call for the whole batch, reused only when the whole batch is unchanged."""
        spans = [(i, i + 1) for i in range(len(units))]
        keys = unit_keys("batch_map", raw, spans)
        reused = self.memo.lookup(keys) if self.memo else {}
        if len(reused) == len(spans):
            done = [(n, reused[n]) for n in range(len(spans))]
            return BatchResult(self._table(batch, spans, done), len(spans), _keys(keys, units, spans, done), [])
        columns = [[convert(v) for v in values] for values, convert in zip(raw, self.converters, strict=True)]
        label = f"batch {units[0]}..{units[-1]}"
        try:
            results = list(self._call(columns, label, units[0]))
            if len(results) != batch.num_rows:
                raise UDFError(f"UDF '{self.udf.name}' returned {len(results)} results for a batch of "
                               f"{batch.num_rows} rows; batch_map must return one per row", udf=self.udf.name)
            done = [(n, [self.udf.output_row(o, labels[n])]) for n, o in enumerate(results)]
        except UDFError as exc:
            if not self.skip:
                return BatchResult(self._table(batch, spans, []), 0, [], [], exc)
            errors = [self._skipped(exc, unit, lab) for unit, lab in zip(units, labels, strict=True)]
            return BatchResult(self._table(batch, spans, []), len(spans), [], errors)
        return BatchResult(self._table(batch, spans, done), len(spans), _keys(keys, units, spans, done), [])

    def _arguments(self, raw: list[list[Any]], labels: list[str], spans: list[Span]) -> Iterator[tuple[Any, ...]]:
        """The function's arguments for each span to compute, in order (remote files prefetched for rows)."""
        if self.udf.kind == "agg":  # one call per group, each argument a list of the group's values
            for i, j in spans:
                pairs = zip(raw, self.converters, strict=True)
                yield tuple([convert(v) for v in values[i:j]] for values, convert in pairs)
            return
        rows = [i for i, _ in spans]
        columns = [[convert(values[i]) for i in rows] for values, convert in zip(raw, self.converters, strict=True)]
        for args, _ in self._prefetched(columns, [labels[i] for i in rows]):
            yield args

    def _table(self, batch: pa.Table, spans: list[Span], done: list[tuple[int, list[dict[str, Any]]]]) -> pa.Table:
        if self.udf.kind in ("map", "batch_map"):
            kept = batch.take(pa.array([spans[n][0] for n, _ in done], type=pa.int64()))
            return self._with_outputs(kept, [rows[0] for _, rows in done])
        units = batch.column(UNIT).to_pylist()
        flat = [(units[spans[n][0]], row) for n, rows in done for row in rows]
        arrays = {name: pa.array([r[name] for _, r in flat], type=t) for name, t in self.out_types.items()}
        return pa.table({**arrays, UNIT: pa.array([u for u, _ in flat], type=pa.int64())})

    def _skipped(self, exc: UDFError, unit: int, label: str) -> dict[str, Any]:
        logger.warning("UDF '%s' skipped input row %s (on_error='skip'): %s", self.udf.name, label, exc)
        return {"udf": self.udf.name, "unit": unit, "row": label, "error": str(exc)}

    def _with_outputs(self, batch: pa.Table, rows: list[dict[str, Any]]) -> pa.Table:
        for name, arrow_type in self.out_types.items():
            array = pa.array([r[name] for r in rows], type=arrow_type)
            if name in batch.column_names:
                batch = batch.set_column(batch.column_names.index(name), name, array)
            else:
                batch = batch.append_column(name, array)
        return batch

    def _call(self, args: Any, label: str, unit: int, *, generate: bool = False) -> Any:
        self.mark(unit)
        try:
            result = self.udf.func(*args, **self.setup_values)
            if generate:  # a generator or aggregator returning None yields no rows, as in DataChain
                return [] if result is None else list(result)
            return result
        except UDFError:
            raise
        except SystemExit as exc:  # sys.exit() in user code ends the UDF, not the program
            raise UDFError(f"UDF '{self.udf.name}' called sys.exit({exc.code!r}) on input row {label}",
                           udf=self.udf.name, row=label) from exc
        except Exception as exc:  # user code, or a file it read (StorageError): name the UDF and the row
            raise UDFError(f"UDF '{self.udf.name}' failed on input row {label}: {type(exc).__name__}: {exc}",
                           udf=self.udf.name, row=label, user_error=exc) from exc

    def _labels(self, batch: pa.Table) -> list[str]:
        if self.label_column is not None:
            return [str(p) for p in _field(batch.column(self.label_column), "path").to_pylist()]
        return [f"#{u}" for u in batch.column(UNIT).to_pylist()]

    def _prefetched(self, columns: list[list[Any]], labels: list[str]) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Yield each row's arguments; with prefetch, remote files of the next rows are read on threads meanwhile."""
        rows = list(zip(*columns, strict=True)) if columns else [()] * len(labels)
        remote = [[v for v in row if isinstance(v, File) and not v.is_local] for row in rows]
        if self.cache:
            for files in remote:
                for file in files:
                    file.use_cache()
        if self.pool is None or not any(remote):
            yield from zip(rows, labels, strict=True)
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


def _keys(keys: list[str | None], units: list[int], spans: list[Span],
          done: list[tuple[int, list[dict[str, Any]]]]) -> list[tuple[int, str]]:
    """(unit, input key) of the units done, for reuse by later runs."""
    return [(units[spans[n][0]], key) for n, _ in done if (key := keys[n]) is not None]


def _column(batch: pa.Table, column: str) -> pa.ChunkedArray:
    if column in batch.column_names:
        return batch.column(column)
    head, *rest = column.split(".")
    array = batch.column(head)
    for part in rest:
        array = _field(array, part)
    return array


def _field(array: pa.Array | pa.ChunkedArray, name: str) -> pa.Array | pa.ChunkedArray:
    """One field of a struct column (pyarrow.compute loads on first use, not with the package)."""
    import pyarrow.compute as pc

    return pc.struct_field(array, name)


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
        self.bar = None
        if _on_tty():
            from tqdm.auto import tqdm  # only a terminal shows a bar

            self.bar = tqdm(total=total, initial=done, desc=label, unit=f" {unit}", leave=False)

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

    def close(self, finished: bool = True) -> None:
        """Remove the bar; log the summary only for work that finished (a failure speaks for itself)."""
        if self.bar is not None:
            self.bar.close()
        if finished:
            logger.info("%s: processed %s %s in %.1fs", self.label, self.done - self.first, self.unit,
                        time.monotonic() - self.started)

    def _rate(self, now: float) -> float:
        return (self.done - self.first) / max(now - self.started, 1e-9)


def _on_tty() -> bool:
    return sys.stderr.isatty()
