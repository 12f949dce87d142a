"""Running a UDF over its staged input in batches, committing each finished batch as a checkpoint part."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import col

from ..errors import DataChainError, UDFError
from ..memory.schema import Schema, to_arrow_type
from ..storage.file import File
from .checkpoint import UNIT, Checkpoint
from .settings import Settings
from .signature import UDF

logger = logging.getLogger(__name__)

SetupFactories = dict[str, Callable[[], Any]]


def run_udf(udf: UDF, checkpoint: Checkpoint, input_schema: Schema, settings: Settings,
            setup: SetupFactories) -> list[Any]:
    """Run every uncommitted batch of `udf` over the checkpoint's input; return all part paths."""
    total = checkpoint.units
    done = checkpoint.done_units()
    unit = "groups" if udf.kind == "agg" else "rows"
    if done:
        logger.info("UDF '%s': continuing from checkpoint (%s of %s %s done)", udf.name, done, total, unit)
    todo = checkpoint.missing_ranges(settings.batch_size)
    if not todo:
        return checkpoint.part_paths()
    setup_values = {name: setup[name]() for name in udf.setup_args}
    progress = _Progress(udf.name, total, done, unit)
    batch_runner = _BatchRunner(udf, input_schema, settings, setup_values)
    reader = duckdb.connect()
    try:
        source = reader.read_parquet(str(checkpoint.input_path))
        for start, end in todo:
            batch = source.filter((col(UNIT) >= start) & (col(UNIT) < end)).sort(col(UNIT)).to_arrow_table()
            checkpoint.commit_part(batch_runner.run(batch), start, end)
            progress.advance(end - start)
    finally:
        reader.close()
        batch_runner.close()
    progress.finish()
    return checkpoint.part_paths()


class _BatchRunner:
    """Turns one input batch (Arrow) into one output batch (Arrow) by calling the user's function."""

    def __init__(self, udf: UDF, input_schema: Schema, settings: Settings, setup_values: dict[str, Any]) -> None:
        self.udf = udf
        self.setup_values = setup_values
        self.converters = [p.converter() for p in udf.params]
        self.label_column = _file_column(input_schema)
        self.out_types = {name: to_arrow_type(spec) for name, spec in udf.output.items()}
        self.prefetch = settings.prefetch
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
        except DataChainError:
            raise
        except Exception as exc:
            raise UDFError(f"UDF '{self.udf.name}' failed on input row {label}: {type(exc).__name__}: {exc}",
                           udf=self.udf.name, row=label) from exc

    def _labels(self, batch: pa.Table) -> list[str]:
        if self.label_column is not None:
            return [str(p) for p in pc.struct_field(batch.column(self.label_column), "path").to_pylist()]
        return [f"#{u}" for u in batch.column(UNIT).to_pylist()]

    def _prefetched(self, columns: list[list[Any]], labels: list[str]) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Yield each row's arguments; with prefetch, remote files of the next rows are read on threads meanwhile."""
        rows = list(zip(*columns)) if columns else [()] * len(labels)
        remote = [[v for v in row if isinstance(v, File) and not v.source.startswith("file://")] for row in rows]
        if self.pool is None or not any(remote):
            yield from zip(rows, labels)
            return
        pending: dict[int, list[Future[None]]] = {}
        for i in range(min(self.prefetch, len(rows))):
            pending[i] = [self.pool.submit(f.prefetch) for f in remote[i]]
        for i, row in enumerate(rows):
            ahead = i + self.prefetch
            if ahead < len(rows):
                pending[ahead] = [self.pool.submit(f.prefetch) for f in remote[ahead]]
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


class _Progress:
    """Progress of a UDF run as log lines (at most one every few seconds, plus a summary)."""

    def __init__(self, name: str, total: int, done: int, unit: str, every: float = 5.0) -> None:
        self.name, self.total, self.done, self.unit, self.every = name, total, done, unit, every
        self.started = self.last = time.monotonic()
        self.first = done

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            logger.info("UDF '%s': %s/%s %s (%.0f%%), %.0f %s/s", self.name, self.done, self.total, self.unit,
                        100 * self.done / max(self.total, 1), self._rate(now), self.unit)

    def finish(self) -> None:
        logger.info("UDF '%s': processed %s %s in %.1fs", self.name, self.done - self.first, self.unit,
                    time.monotonic() - self.started)

    def _rate(self, now: float) -> float:
        return (self.done - self.first) / max(now - self.started, 1e-9)

