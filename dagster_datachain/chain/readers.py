"""Where chains start: storage listings, saved datasets, in-memory values and table files."""

from __future__ import annotations

import dataclasses
import glob as globlib
import json
import logging
import os
import re
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from ..errors import (
    DataChainError,
    DataChainParamsError,
    DatasetInvalidVersionError,
    DatasetNotFoundError,
    DatasetVersionNotFoundError,
    StorageError,
)
from ..memory import catalog, vector_index
from ..memory.names import SemVer, local_name, split_reference, validate_name
from ..memory.schema import (
    Schema,
    encode_value,
    python_type,
    schema_from_arrow,
    spec_from_annotation,
    to_arrow_type,
)
from ..memory.sql import quote, table_exists
from ..memory.store import Memory, get_memory
from ..storage.cache import configure_cache
from ..storage.file import File
from ..storage.filesystem import StorageURI, client_options, glob_to_regex, parse_uri, register_storage_options
from ..storage.listing import FILE_COLUMNS, Page, list_prefix
from ..storage.media import FILE_TYPES
from .chain import DataChain
from .delta import default_dataset_delta, file_delta, state_table
from .execute import scratch_connection
from .session import Session, memory_of
from .steps import ArrowSource, DatasetSource, FileSource, ListingSource

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

REMOTE_LISTING_TTL = 300.0
"""Seconds a remote listing is reused without asking the bucket again (local folders are always re-listed)."""

MemoryArg = Memory | str | os.PathLike[str] | None


def _memory(memory: MemoryArg) -> Memory:
    resolved = get_memory(memory)
    configure_cache(resolved.cache_dir)
    return resolved


def read_storage(
    uri: str | os.PathLike[str],
    *,
    type: Literal["binary", "text", "image", "video", "audio"] = "binary",  # noqa: A002 - the reference API's name
    anon: bool = False,
    update: bool = False,
    delta: bool = False,
    column: str = "file",
    client_config: dict[str, Any] | None = None,
    delta_unsafe: bool = False,
    session: Session | None = None,
    memory: MemoryArg = None,
    **storage_options: Any,
) -> DataChain:
    """A chain with one `File` row per object under `uri` (local path, file://, s3://, gs://, az://).

    Globs (`*`, `**`, `?`, `{a,b}`) select files. The listing is kept in Data Memory; a local folder is
    re-listed every time (cheap), a bucket with `update=True` or `delta=True` or when the stored listing is
    older than REMOTE_LISTING_TTL (reusing one is logged, with its age). With `delta=True`, saving the chain
    again processes only new or changed files.

    Credentials come from the environment and the client's usual profiles, or from `client_config` and
    keyword storage options (`endpoint_url=`, `key=`, `secret=`, `token=`, `connection_string=`,
    `version_aware=True` to list every object version, ...): they stay in this process, never in Data Memory.
    Options given here replace those registered earlier for the same bucket. A store that stops answering
    fails with a `StorageError` within a few times `timeout=` (seconds per request, default 30, on every store;
    the client's own settings such as s3 `config_kwargs={"read_timeout": 5}` win).

    Args:
        uri: A folder, prefix or glob: `"images/**/*.jpg"`, `"s3://bucket/images/"`.
        type: The File subclass of the rows: `"binary"`, `"text"`, `"image"`, `"video"` or `"audio"`.
        anon: Access a bucket without credentials.
        update: List the bucket again even when a recent listing is stored.
        delta: Saving the chain again processes only new or changed files.
        column: The name of the File column.
        client_config: Options for the storage client.
        delta_unsafe: Accepted for DataChain scripts (delta refuses steps it cannot update incrementally).
        session: The session whose Data Memory to use.
        memory: The Data Memory (a `Memory` or its root folder; default: the current session's).
        **storage_options: More client options (`endpoint_url=`, `timeout=`, `version_aware=`, ...).

    Returns:
        A chain with one File row per object.

    Raises:
        DataChainError: An unknown `type`.
        StorageError: The storage cannot be listed.

    Example:
        >>> import os
        >>> os.makedirs("docs", exist_ok=True)
        >>> _ = open("docs/a.txt", "w").write("hello")
        >>> dc.read_storage("docs/*.txt", type="text").to_values("file")[0].read()
        'hello'
    """
    if type not in FILE_TYPES:
        raise DataChainError(f"read_storage type must be one of {', '.join(FILE_TYPES)}, not {type!r}")
    memory = _memory(memory_of(memory, session))
    parsed = parse_uri(uri)
    options = client_options(parsed.protocol, anon=anon and not parsed.is_local, client_config=client_config,
                             **storage_options)
    if options:
        register_storage_options(parsed.source, options)
    listing = _fresh_listing(memory, parsed, update or delta)
    schema = {column: spec_from_annotation(FILE_TYPES[type])}
    regex = glob_to_regex(parsed.glob) if parsed.glob else None
    spec = dataclasses.replace(file_delta(column), unsafe=delta_unsafe) if delta else None
    return DataChain(ListingSource(listing, regex, column, schema, spec), memory=memory)


def _fresh_listing(memory: Memory, uri: StorageURI, update: bool) -> catalog.ListingRecord:
    with memory.connect() as con:
        existing = catalog.get_listing(con, uri.source, uri.prefix)
    now = datetime.now(UTC)
    if existing is not None and not update and not uri.is_local:
        age = (now - existing.listed_at).total_seconds()
        if age < REMOTE_LISTING_TTL:
            logger.info("Using the listing of %s from %.0fs ago (update=True lists again)", existing.uri, age)
            return existing
    if uri.is_local and not os.path.isdir(uri.fs_path(uri.prefix)):  # said before any listing output
        raise StorageError(f"no such directory: {uri.fs_path(uri.prefix)}", uri=uri.source)
    listing = list_prefix(uri)
    staged = _stage_listing(listing, memory.staging_dir / f"listing-{uuid.uuid4().hex}.parquet")
    try:
        record = catalog.ListingRecord(
            source=uri.source, prefix=uri.prefix, table_name="", listed_at=now, fingerprint=listing.fingerprint,
            file_count=listing.file_count, total_size=listing.total_size,
        )  # fmt: skip
        unchanged = existing is not None and existing.fingerprint == listing.fingerprint
        return memory.commit(lambda con: catalog.save_listing(con, record, None if unchanged else staged),
                             f"saving the listing of {uri.source}")  # whole, or not at all
    finally:
        staged.unlink(missing_ok=True)


def _stage_listing(pages: Iterable[Page], path: Path) -> Path:
    """Write File rows to a Parquet file page by page, so memory holds one page however big the bucket."""
    file_type = to_arrow_type(spec_from_annotation(File))
    schema = pa.schema([pa.field("file", file_type)])
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema) as writer:
        for page in pages:
            fields = [pa.array(page[n], type=file_type.field(n).type) for n in FILE_COLUMNS]
            writer.write_table(pa.table({"file": pa.StructArray.from_arrays(fields, fields=list(file_type))}))
    return path


def read_dataset(name: str, version: str | int | None = None, *, delta: bool = False,
                 delta_on: str | tuple[str, ...] | None = None, delta_unsafe: bool = False,
                 delta_retry: bool | str | None = None, session: Session | None = None,
                 memory: MemoryArg = None) -> DataChain:
    """A chain over a saved dataset: `read_dataset("pets")`, `read_dataset("pets@1.0.2")`, or `version="1.0.2"`.

    `version` may also be a major number (`2`: the latest 2.x.y) or a specifier (`">=1.1.0"`, `"~=1.0"`,
    `"==1.*"`: the latest version matching it). With `delta=True`, saving the chain again processes only rows
    added since the version it last read (rows are matched by `delta_on`, by default the (source, path) of the
    dataset's File column). `delta_unsafe` and `delta_retry` are accepted for DataChain scripts: delta here refuses
    steps it cannot update incrementally (whatever `delta_unsafe` says), and failing rows are handled by
    `settings(on_error=...)`.

    Args:
        name: The dataset name, optionally with `@version`.
        version: A version, a major number or a version specifier (default: the latest).
        delta: Saving the chain again processes only rows added since the version it last read.
        delta_on: Columns identifying a row for delta (default: the File column's source and path).
        delta_unsafe: Accepted for DataChain scripts.
        delta_retry: Accepted for DataChain scripts.
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).

    Returns:
        A chain reading that dataset version.

    Raises:
        DatasetNotFoundError: No such dataset or version.

    Example:
        >>> _ = dc.read_values(n=[1, 2]).save("numbers")
        >>> _ = dc.read_values(n=[1, 2, 3]).save("numbers")
        >>> dc.read_dataset("numbers", version="1.0.0").count(), dc.read_dataset("numbers").version
        (2, '1.0.1')
    """
    specifier = version if isinstance(version, int) or (isinstance(version, str) and _SPECIFIER.match(version)) \
        else None
    dataset, semver = split_reference(name, None if specifier is not None else str(version) if version else None)
    memory = _memory(memory_of(memory, session))
    with memory.connect() as con:
        if specifier is not None:
            semver = _matching_version(catalog.list_versions(con, dataset), dataset, specifier)
        record = catalog.get_version(con, dataset, semver)
    spec = dataclasses.replace(default_dataset_delta(record.dataset_schema, delta_on), unsafe=delta_unsafe) \
        if delta else None
    return DataChain(DatasetSource(record, spec), memory=memory)


_SPECIFIER = re.compile(r"\s*(?:[<>=!~]|\d+\s*$|.*\*)")


def _matching_version(versions: list[catalog.VersionRecord], name: str, specifier: str | int) -> SemVer:
    """The latest version of `versions` with major `specifier` (an int) or matching it (a PEP 440 specifier)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not versions:
        raise DatasetNotFoundError(f"dataset {name!r} not found in Data Memory")
    text = str(specifier).strip()
    if isinstance(specifier, int) or text.isdigit():
        matching = [r for r in versions if r.semver.major == int(text)]
    else:
        try:
            allowed = SpecifierSet(text)
        except InvalidSpecifier:
            raise DatasetInvalidVersionError(f"invalid dataset version specifier {text!r}: expected e.g. "
                                             "'>=1.1.0', '~=1.0', '==1.*' or a major number") from None
        matching = [r for r in versions if allowed.contains(r.version)]
    if not matching:
        raise DatasetVersionNotFoundError(f"dataset {name!r} has no version matching {text!r} "
                                          f"(versions: {', '.join(r.version for r in versions)})")
    return matching[-1].semver


def read_values(ds_name: str = "", *, in_memory: bool = False, output: Any = None, column: str = "",
                session: Session | None = None, memory: MemoryArg = None, **columns: Sequence[Any]) -> DataChain:
    """A chain over in-memory values, one keyword per column: `read_values(num=[1, 2], name=["a", "b"])`.

    `output` gives column types (`{"num": float}`); `column` nests all columns under one model column of that
    name. DataChain's `ds_name` and `in_memory` are accepted: values always live in this process until saved.

    Args:
        ds_name: Accepted for DataChain scripts.
        in_memory: Accepted for DataChain scripts.
        output: Column types, `{name: type}` (default: inferred from the values).
        column: Nest all columns under one model column of this name.
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).
        **columns: Column name -> its values (all of the same length).

    Returns:
        A chain over the values.

    Raises:
        DataChainError: No column, or columns of different lengths.

    Example:
        >>> dc.read_values(n=[1, 2], s=["a", "b"]).to_list()
        [(1, 'a'), (2, 'b')]
        >>> dc.read_values(n=[1, 2], output={"n": float}).to_values("n")
        [1.0, 2.0]
    """
    memory = memory_of(memory, session)
    if output is not None:
        return read_records([dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)],
                            _output_types(output, columns), column=column, memory=memory)
    if column:
        return _nested(read_values(memory=memory, **columns), column)  # type: ignore[arg-type]
    if not columns:
        raise DataChainError("read_values needs at least one column, e.g. read_values(n=[1, 2, 3])")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise DataChainError(f"read_values columns differ in length: {lengths}")
    schema: Schema = {}
    arrays: dict[str, pa.Array] = {}
    for name, values in columns.items():
        values = list(values)
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, (BaseModel, dict)):  # dicts stay dicts (a JSON column), as in DataChain
            spec = spec_from_annotation(type(sample))
            arrays[name] = pa.array([encode_value(spec, v) for v in values], type=to_arrow_type(spec))
            schema[name] = spec
        else:
            array = pa.array(values)
            schema[name] = schema_from_arrow(pa.schema([pa.field(name, array.type)]))[name]
            arrays[name] = array.cast(to_arrow_type(schema[name]))
    return DataChain(ArrowSource(pa.table(arrays), schema), memory=_memory(memory))


def read_records(to_insert: dict[str, Any] | Iterable[dict[str, Any]] | None, schema: dict[str, Any], *,
                 in_memory: bool = False, column: str = "", session: Session | None = None,
                 memory: MemoryArg = None) -> DataChain:
    """A chain over dicts, typed by `schema` (column -> Python type or pydantic model).

    Args:
        to_insert: One dict or an iterable of dicts; missing fields are None.
        schema: Column name -> Python type or pydantic model.
        in_memory: Accepted for DataChain scripts.
        column: Nest all columns under one model column of this name.
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).

    Returns:
        A chain over the records.

    Raises:
        DataChainParamsError: A record has a field not in `schema`.

    Example:
        >>> dc.read_records([{"a": 1, "b": "x"}], schema={"a": int, "b": str}).to_list()
        [(1, 'x')]
    """
    memory = memory_of(memory, session)
    records = [to_insert] if isinstance(to_insert, dict) else list(to_insert or [])
    specs = {name: spec_from_annotation(annotation) for name, annotation in schema.items()}
    for i, record in enumerate(records):
        unknown = sorted(set(record) - set(specs))
        if unknown:
            raise DataChainParamsError(f"read_records: record {i} has fields not in schema: {', '.join(unknown)}")
    arrays = {}
    for name, spec in specs.items():
        adapter = TypeAdapter(python_type(spec))
        try:
            values = [adapter.validate_python(r.get(name)) if r.get(name) is not None else None for r in records]
        except ValidationError as exc:
            raise DataChainParamsError(f"read_records: field {name!r}: {exc.errors()[0]['msg']}") from None
        arrays[name] = pa.array([encode_value(spec, v) for v in values], type=to_arrow_type(spec))
    chain = DataChain(ArrowSource(pa.table(arrays, schema=_storable(specs)), specs), memory=_memory(memory))
    return _nested(chain, column) if column else chain


def _output_types(output: Any, columns: dict[str, Any]) -> dict[str, Any]:
    if isinstance(output, dict):
        return {name: output.get(name, Any) for name in columns}
    if len(columns) != 1:
        raise DataChainParamsError("read_values(output=<type>) needs exactly one column; pass a dict of types")
    return {next(iter(columns)): output}


def _nested(chain: DataChain, column: str) -> DataChain:
    """All columns of `chain` as fields of one model column named `column`."""
    fields: dict[str, Any] = {n: (python_type(s) | None, None) for n, s in chain.specs.items()}
    model = create_model(column, **fields)
    spec = spec_from_annotation(model)
    table = chain.to_pyarrow()
    nested = pa.StructArray.from_arrays([table.column(n).combine_chunks() for n in table.column_names],
                                        fields=list(to_arrow_type(spec)))
    return DataChain(ArrowSource(pa.table({column: nested}), {column: spec}), memory=chain.memory)


def read_pandas(df: pd.DataFrame, name: str = "", *, in_memory: bool = False, column: str = "",
                session: Session | None = None, memory: MemoryArg = None) -> DataChain:
    """A chain over a pandas DataFrame's rows. Column names are lower-cased and MultiIndex names joined by `_`,
    as DataChain does; `column` nests all columns under one model column of that name.

    Args:
        df: The DataFrame.
        name: Accepted for DataChain scripts.
        in_memory: Accepted for DataChain scripts.
        column: Nest all columns under one model column of this name.
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).

    Returns:
        A chain over the DataFrame's rows.

    Example:
        >>> import pandas as pd
        >>> dc.read_pandas(pd.DataFrame({"Name": ["a", "b"]})).to_values("name")
        ['a', 'b']
    """
    names = [("_".join(str(p) for p in c if str(p)) if isinstance(c, tuple) else str(c)).lower() for c in df.columns]
    arrays = [pa.array(df.iloc[:, i].to_numpy(), from_pandas=False) if df.dtypes.iloc[i].kind == "f"  # NaN stays NaN
              else pa.Array.from_pandas(df.iloc[:, i]) for i in range(df.shape[1])]
    chain = read_arrow(pa.table(arrays, names=names), memory=memory_of(memory, session))
    return _nested(chain, column) if column else chain


def read_arrow(table: pa.Table, *, memory: MemoryArg = None) -> DataChain:
    """A chain over an Arrow table's rows.

    Args:
        table: The table (struct columns become model columns).
        memory: The Data Memory (default: the current session's).

    Returns:
        A chain over the table's rows.

    Example:
        >>> import pyarrow as pa
        >>> dc.read_arrow(pa.table({"n": [1, 2]})).to_values("n")
        [1, 2]
    """
    schema = schema_from_arrow(table.schema)
    return DataChain(ArrowSource(table.cast(_storable(schema)), schema), memory=_memory(memory))


def _storable(schema: Schema) -> pa.Schema:
    return pa.schema([pa.field(n, to_arrow_type(s)) for n, s in schema.items()])


def _read_file(kind: str, path: str | os.PathLike[str] | Sequence[str], memory: MemoryArg,
               options: dict[str, Any]) -> DataChain:
    patterns = [os.fspath(path)] if isinstance(path, (str, os.PathLike)) else [os.fspath(p) for p in path]
    patterns = [_local_path(p) for p in patterns]
    paths = [p for pattern in patterns for p in (sorted(globlib.glob(pattern)) or [pattern])]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise StorageError(f"{kind} file not found: {missing[0]}", uri=missing[0])
    source = FileSource(kind, paths, options, {})
    try:
        arrow_schema = source.relation(scratch_connection()).limit(0).to_arrow_table().schema
    except Exception as exc:  # DuckDB's reader errors name the problem; keep them, with the file
        raise StorageError(f"cannot read {kind} {paths[0]}: {str(exc).splitlines()[0]}", uri=paths[0]) from exc
    source.schema = schema_from_arrow(arrow_schema)
    return DataChain(source, memory=_memory(memory))


def _local_path(path: str) -> str:
    """`file:///data/x.csv` -> `/data/x.csv`; other paths unchanged."""
    if path.startswith("file://"):
        return urllib.request.url2pathname(urllib.parse.urlparse(path).path)
    return path


def read_csv(path: str | os.PathLike[str] | Sequence[str], *, session: Session | None = None,
             memory: MemoryArg = None, **options: Any) -> DataChain:
    """A chain over CSV rows (DuckDB's reader: header and types detected; options such as `delimiter=`).

    Args:
        path: A file, a glob or a list of them (local paths or `file://` URIs).
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).
        **options: DuckDB `read_csv` options (`delimiter=`, `header=`, ...).

    Returns:
        A chain over the rows.

    Raises:
        StorageError: A file is missing or unreadable.

    Example:
        >>> _ = open("pets.csv", "w").write("name,age\\nrex,3\\n")
        >>> dc.read_csv("pets.csv").to_list()
        [('rex', 3)]
    """
    return _read_file("csv", path, memory_of(memory, session), options)


def read_parquet(path: str | os.PathLike[str] | Sequence[str], *, source: bool = False,
                 session: Session | None = None, memory: MemoryArg = None, **options: Any) -> DataChain:
    """A chain over Parquet rows (nested columns kept). DataChain's `source=True` (a column naming each row's
    file) is not supported: the rows' columns only.

    Args:
        path: A file, a glob or a list of them (local paths or `file://` URIs).
        source: Must be False.
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).
        **options: DuckDB `read_parquet` options.

    Returns:
        A chain over the rows.

    Raises:
        DataChainParamsError: `source=True`.
        StorageError: A file is missing or unreadable.

    Example:
        >>> dc.read_values(n=[1, 2]).to_parquet("n.parquet")
        >>> dc.read_parquet("n.parquet").to_values("n")
        [1, 2]
    """
    if source:
        raise DataChainParamsError("read_parquet(source=True) is not supported here: pass source=False")
    return _read_file("parquet", path, memory_of(memory, session), options)


def read_json(path: str | os.PathLike[str] | Sequence[str], *, jmespath: str | None = None,
              session: Session | None = None, memory: MemoryArg = None, **options: Any) -> DataChain:
    """A chain over JSON or newline-delimited JSON records; `jmespath` picks the records inside each JSON
    document (`"data.items"`).

    Args:
        path: A file, a glob or a list of them (local paths or `file://` URIs).
        jmespath: A JMESPath expression selecting the records in each document.
        session: The session whose Data Memory to use.
        memory: The Data Memory (default: the current session's).
        **options: DuckDB `read_json` options.

    Returns:
        A chain over the records.

    Raises:
        StorageError: A file is missing or unreadable.

    Example:
        >>> _ = open("export.json", "w").write('{"data": {"items": [{"id": 1}, {"id": 2}]}}')
        >>> dc.read_json("export.json", jmespath="data.items").to_values("id")
        [1, 2]
    """
    memory = memory_of(memory, session)
    if jmespath is None:
        return _read_file("json", path, memory, options)
    import jmespath as jp

    paths = [_local_path(os.fspath(p)) for p in ([path] if isinstance(path, (str, os.PathLike)) else path)]
    records: list[Any] = []
    for file in [f for p in paths for f in (sorted(globlib.glob(p)) or [p])]:
        try:
            with open(file, encoding="utf-8") as handle:
                found = jp.search(jmespath, json.load(handle))
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read json {file}: {exc}", uri=file) from exc
        records.extend(found if isinstance(found, list) else [] if found is None else [found])
    if not records or not all(isinstance(r, dict) for r in records):
        raise DataChainParamsError(f"read_json: jmespath {jmespath!r} selects no list of JSON objects in {paths[0]}")
    return read_arrow(pa.Table.from_pylist(records), memory=memory)


class DatasetInfo(BaseModel):
    """One dataset version as `datasets()` lists it: DataChain's fields in DataChain's order, then ours."""

    name: str = Field(description="Dataset name")
    namespace: str = Field(default="local", description="Namespace (always `local` here, as DataChain's local mode)")
    project: str = Field(default="local", description="Project (always `local` here, as DataChain's local mode)")
    uuid: str = Field(default="", description="Identifies this version")
    version: str = Field(description="Semantic version MAJOR.MINOR.PATCH")
    status: int = Field(default=4, description="4: complete (DataChain's DatasetStatus.COMPLETE)")
    created_at: datetime = Field(description="When the version was saved (UTC)")
    finished_at: datetime | None = Field(default=None, description="When the version was committed (UTC)")
    num_objects: int | None = Field(default=None, description="Rows in this version (DataChain's name)")
    size: int | None = Field(default=None, description="Bytes (not measured here)")
    params: dict[str, str] = Field(default_factory=dict, description="Parameters of the run that saved it")
    metrics: dict[str, Any] = Field(default_factory=dict, description="Metrics of the run that saved it")
    error_message: str = Field(default="", description="Why the save failed (committed versions: empty)")
    error_stack: str = Field(default="", description="Traceback of a failed save (committed versions: empty)")
    attrs: list[str] = Field(default_factory=list, description="Labels given by save(attrs=...)")
    query_script: str = Field(default="", description="The script that saved it (not kept here)")
    row_count: int = Field(default=0, description="Rows in this version")
    description: str | None = Field(default=None, description="What the dataset is")

    @property
    def is_temp(self) -> bool:
        """Whether this is one of DataChain's temporary session datasets (never, here)."""
        return self.name.startswith("session_")

    def has_attr(self, attr: str) -> bool:
        """Whether the version has label `attr`: `"raw"`, `"team=vision"`, or `"team=*"` for any team."""
        key, eq, value = attr.partition("=")
        if not eq:
            return attr in self.attrs
        return any(k == key and (value == "*" or v == value)
                   for k, sep, v in (a.partition("=") for a in self.attrs) if sep)


def datasets(*, column: str | None = None, latest_only: bool = False, in_memory: bool = False,
             session: Session | None = None, memory: MemoryArg = None) -> DataChain:
    """A chain with one row per saved dataset version: flat columns (DataChain's: name, namespace, project, uuid,
    version, status, created_at, finished_at, num_objects, size, params, metrics, error_message, error_stack,
    attrs, query_script; then row_count, description), or one `DatasetInfo` model column named `column`.

    Example:
        >>> datasets().filter(C("name") == "pets").to_values("version")
        ['1.0.0', '1.0.1']
    """
    memory = _memory(memory_of(memory, session))
    with memory.connect() as con:
        records = catalog.list_versions(con)
        attrs = catalog.all_attrs(con)
    if latest_only:
        records = list({r.name: r for r in records}.values())
    infos = [DatasetInfo(name=r.name, uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{r.table_name}#{r.seq}")),
                         version=r.version, row_count=r.row_count, created_at=r.created_at, finished_at=r.created_at,
                         description=r.description, num_objects=r.row_count,
                         attrs=attrs.get((r.name, r.version), [])) for r in records]
    if column:
        return read_records([{column: i} for i in infos], schema={column: DatasetInfo}, memory=memory)
    fields = {name: info.annotation for name, info in DatasetInfo.model_fields.items()}
    return read_records([i.model_dump() for i in infos], schema=fields, memory=memory)


def delete_dataset(name: str, version: str | None = None, *, force: bool = False, session: Session | None = None,
                   memory: MemoryArg = None) -> int:
    """Delete one version (`version=` or `name@version`; the latest when neither is given) or, with `force=True`,
    every version of a dataset; returns how many versions were deleted.

    Example:
        >>> delete_dataset("pets", force=True)
    """
    dataset, semver = split_reference(name, version)
    if force and semver is not None:
        raise DataChainParamsError(f"delete_dataset({name!r}): force=True deletes every version; give no version")
    with _memory(memory_of(memory, session)).transaction() as con:
        if semver is None and not force:
            semver = catalog.get_version(con, dataset).semver
        deleted = catalog.delete_versions(con, dataset, semver)
        vector_index.drop_stale(con)
        if not catalog.list_versions(con, dataset):
            con.execute(f'DROP TABLE IF EXISTS "{state_table(dataset)}"')
    logger.info("Deleted %s version(s) of %s", deleted, dataset)
    return deleted


def move_dataset(src: str, dest: str, session: Session | None = None, in_memory: bool = False, *,
                 memory: MemoryArg = None) -> None:
    """Rename dataset `src` (every version) to `dest`. DataChain's qualified names `local.local.<name>` name the
    same dataset; rows, attributes, delta state and other datasets' lineage follow the new name.

    Example:
        >>> move_dataset("cats", "kittens")
    """
    name, new_name = (validate_name(local_name(n)) for n in (src, dest))
    with _memory(memory_of(memory, session)).transaction() as con:
        moved = catalog.rename_dataset(con, name, new_name)
        vector_index.drop_stale(con)  # an index belongs to the version under its old name
        old_state, new_state = state_table(name), state_table(new_name)
        if table_exists(con, old_state):
            con.execute(f"ALTER TABLE {quote(old_state)} RENAME TO {quote(new_state)}")
    logger.info("Moved %s version(s) of %s to %s", moved, name, new_name)
