"""Writing a chain's rows out as JSON, JSON lines, CSV or plain records, in the layouts DataChain writes."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, TextIO

import pyarrow as pa
from pydantic import BaseModel, create_model

from ..errors import DataChainParamsError, StorageError
from ..memory.schema import Schema, ValueBuilder
from ..storage.file import File
from .output import flat_columns


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _dumps(row: dict[str, Any]) -> str:
    return json.dumps(row, separators=(",", ":"), default=_jsonable, ensure_ascii=False)


def model_of(name: str, samples: list[dict[str, Any]]) -> type[BaseModel]:
    """A pydantic model with every key of the sample dicts as an optional field, nested dicts as nested models."""
    fields: dict[str, Any] = {}
    for sample in samples:
        for key, value in sample.items():
            if key not in fields or fields[key][0] is Any:
                fields[key] = (_type_of(f"{name}_{key}", value), None)
    nullable: dict[str, Any] = {k: (t | None if t is not Any else t, d) for k, (t, d) in fields.items()}
    return create_model(name, **nullable)


def _type_of(name: str, value: Any) -> Any:
    if isinstance(value, dict):
        return model_of(name, [value])
    if isinstance(value, list):
        items = [v for v in value if v is not None]
        return list[_type_of(name, items[0])] if items else list[Any]  # type: ignore[misc]
    return Any if value is None else type(value)


class ArrowRow(BaseModel):
    """Where a row read by `parse_tabular` came from: the file and the row's index in it."""

    file: File
    index: int


def read_table(file: File, format: str, nrows: int | None) -> pa.Table:  # noqa: A002 - DataChain's name
    """The rows of a CSV, Parquet or JSON-lines file (the first `nrows` when given)."""
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson
    import pyarrow.parquet as pq

    readers = {"csv": pcsv.read_csv, "parquet": pq.read_table, "json": pjson.read_json}
    if format not in readers:
        raise DataChainParamsError(f"parse_tabular: format must be one of {', '.join(readers)}, not {format!r}")
    with file.open() as handle:
        try:
            table = readers[format](io.BytesIO(handle.read()))
        except (pa.ArrowInvalid, OSError) as exc:
            raise StorageError(f"cannot parse {format} {file.path}: {exc}", uri=file.get_uri()) from exc
    return table.slice(0, nrows) if nrows is not None else table


def nested_rows(batches: Iterable[pa.RecordBatch]) -> Iterator[dict[str, Any]]:
    """Each row as a dict, nested models as nested dicts."""
    for batch in batches:
        yield from batch.to_pylist()


def flat_rows(batches: Iterable[pa.RecordBatch], schema: Schema, separator: str) -> Iterator[dict[str, Any]]:
    """Each row as a dict of leaf fields, keyed by their paths joined with `separator` (`pt__x`, `pt.x`)."""
    for batch in batches:
        columns = flat_columns(pa.Table.from_batches([batch]), schema, include_hidden=True)
        names = [name.replace(".", separator) for name in columns]
        values = [array.to_pylist() for array in columns.values()]
        for row in zip(*values, strict=True):
            yield dict(zip(names, row, strict=True))


def leaf_names(schema: Schema, *, include_hidden: bool = True) -> list[str]:
    """Dotted paths of every leaf field (`pt.x`), in column order."""
    return [path for column, spec in schema.items() for path, _ in spec.leaves(column, include_hidden=include_hidden)]


def leaf_tuples(batches: Iterable[pa.RecordBatch], schema: Schema, *,
                include_hidden: bool = True) -> Iterator[tuple[Any, ...]]:
    """Each row as a tuple of leaf values in `leaf_names` order, as Python objects (JSON columns as dicts)."""
    leaf_specs = {path: spec for column, column_spec in schema.items()
                  for path, spec in column_spec.leaves(column, include_hidden=include_hidden)}
    builders = [ValueBuilder(spec) for spec in leaf_specs.values()]
    for batch in batches:
        columns = flat_columns(pa.Table.from_batches([batch]), schema, include_hidden=include_hidden)
        values = [[build(v) for v in columns[path].to_pylist()] for path, build in zip(leaf_specs, builders,
                                                                                        strict=True)]
        yield from zip(*values, strict=True)


def open_text(path: str | os.PathLike[str], fs_kwargs: dict[str, Any] | None) -> Any:
    """A text file to write at a local path or storage URI (`s3://...`, with the filesystem's options)."""
    import fsspec

    return fsspec.open(os.fspath(path), "w", encoding="utf-8", newline="", **(fs_kwargs or {}))


def write_json(out: TextIO, rows: Iterable[dict[str, Any]], *, outer_list: bool) -> None:
    """A JSON array with one object per line (`outer_list=True`), or JSON lines (no newline after the last)."""
    if outer_list:
        out.write("[\n")
    for i, row in enumerate(rows):
        if i:
            out.write(",\n" if outer_list else "\n")
        out.write(_dumps(row))
    if outer_list:
        out.write("\n]\n")


def write_csv(out: TextIO, names: list[str], rows: Iterable[dict[str, Any]], delimiter: str,
              **options: Any) -> None:
    """CSV with a header of leaf field paths (`pt.x`)."""
    writer = csv.writer(out, delimiter=delimiter, **options)
    writer.writerow(names)
    for row in rows:
        writer.writerow([row[n] for n in names])
