"""Writing a chain's rows out as JSON, JSON lines, CSV or plain records, in the layouts DataChain writes."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, TextIO

import pyarrow as pa
from pydantic import BaseModel, create_model

from ..memory.schema import Schema
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
    return create_model(name, **{k: (t | None if t is not Any else t, d) for k, (t, d) in fields.items()})


def _type_of(name: str, value: Any) -> Any:
    if isinstance(value, dict):
        return model_of(name, [value])
    if isinstance(value, list):
        items = [v for v in value if v is not None]
        return list[_type_of(name, items[0])] if items else list[Any]
    return Any if value is None else type(value)


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
