"""Chains to and from SQL databases (DataChain's `to_database` / `read_database`), through SQLAlchemy.

A connection is a SQLAlchemy URL (string or `URL`), `Engine`, `Connection` or ORM `Session`, or a `sqlite3`
connection. SQLAlchemy comes with Dagster; it is imported only when a database is used. User values reach the
database as bound parameters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import DataChainParamsError
from ..memory.schema import TypeSpec
from . import execute, export
from .readers import MemoryArg, read_records
from .session import Session, memory_of

if TYPE_CHECKING:
    import sqlalchemy

    from .chain import DataChain

DEFAULT_BATCH_SIZE = 10_000


@contextlib.contextmanager
def connect(connection: Any) -> Iterator[sqlalchemy.Connection]:
    """A SQLAlchemy connection for any accepted connection type; what this opens, it closes (the caller's own
    engine, connection or sqlite3 connection stays open)."""
    import sqlalchemy
    import sqlalchemy.orm

    with contextlib.ExitStack() as stack:
        if isinstance(connection, (str, sqlalchemy.URL)):
            engine = sqlalchemy.create_engine(connection)
            stack.callback(engine.dispose)
            yield stack.enter_context(engine.connect())
        elif isinstance(connection, sqlite3.Connection):
            engine = sqlalchemy.create_engine("sqlite://", creator=lambda: connection,
                                              poolclass=sqlalchemy.pool.StaticPool)
            yield stack.enter_context(engine.connect())
        elif isinstance(connection, sqlalchemy.Engine):
            yield stack.enter_context(connection.connect())
        elif isinstance(connection, sqlalchemy.Connection):
            yield connection
        elif isinstance(connection, sqlalchemy.orm.Session):
            bind = connection.get_bind()
            yield stack.enter_context(bind.connect()) if isinstance(bind, sqlalchemy.Engine) else bind
        else:
            raise TypeError(f"Unsupported connection type: {type(connection).__name__}")


def _sql_type(spec: TypeSpec) -> Any:
    import sqlalchemy as sa

    class CompactJSONList(sa.types.TypeDecorator[Any]):
        """A list as compact JSON text (`[1,2]`), the value DataChain writes for a list column."""

        impl = sa.Text
        cache_ok = True

        def process_bind_param(self, value: Any, dialect: Any) -> str | None:
            return None if value is None else json.dumps(value, separators=(",", ":"), default=str)

        def process_result_value(self, value: Any, dialect: Any) -> Any:
            return None if value is None else json.loads(value)

    types: dict[str, Any] = {"int": sa.Integer, "float": sa.Float, "str": sa.String, "bool": sa.Boolean,
                             "datetime": sa.DateTime, "date": sa.Date, "bytes": sa.LargeBinary,
                             "list": CompactJSONList, "json": sa.JSON}
    return types[spec.kind]()


def _plain(value: Any) -> Any:
    """A JSON column's value with models as dicts."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _targets(names: list[str], mapping: Mapping[str, str | None]) -> list[str | None]:
    """Each leaf column's name in the table (None: left out), after `column_mapping` (keys `a.b` or `a__b`)."""
    normalized: dict[str, str | None] = {}
    for key, value in mapping.items():
        db_key = key.replace(".", "__")
        if db_key in normalized:
            raise DataChainParamsError(f"Column mapping collision: multiple keys map to the same database column "
                                       f"name '{db_key}'")
        normalized[db_key] = value
    factory = mapping.default_factory if isinstance(mapping, defaultdict) else None
    if isinstance(mapping, defaultdict):
        return [normalized[n] if n in normalized else (factory() if factory else None) for n in names]
    return [normalized.get(n, n) for n in names]


def to_database(chain: DataChain, table_name: str, connection: Any, *, batch_size: int = DEFAULT_BATCH_SIZE,
                on_conflict: str | None = None, conflict_columns: list[str] | None = None,
                column_mapping: Mapping[str, str | None] | None = None) -> int:
    """Insert the chain's rows (leaf fields as columns, `a__b`) into `table_name`, created when missing; returns
    the rows inserted or updated (-1 when the driver does not say). A table this call created is dropped again
    when the insert fails."""
    import sqlalchemy as sa

    if on_conflict and on_conflict not in ("ignore", "update"):
        raise DataChainParamsError(f"on_conflict must be 'ignore' or 'update', got: {on_conflict}")
    leaves = [(path.replace(".", "__"), spec) for column, column_spec in chain.specs.items()
              for path, spec in column_spec.leaves(column)]
    targets = _targets([n for n, _ in leaves], column_mapping or {})
    kept = [(i, target, spec) for i, ((_, spec), target) in enumerate(zip(leaves, targets, strict=True)) if target]
    json_columns = {target for _, target, spec in kept if spec.kind in ("json", "list")}
    keys = [_targets([c.replace(".", "__")], column_mapping or {})[0] for c in conflict_columns or []]
    table = sa.Table(table_name, sa.MetaData(), *[sa.Column(target, _sql_type(spec)) for _, target, spec in kept])
    total = 0
    existed = True
    with connect(connection) as conn:
        try:
            with conn.begin() if not conn.in_transaction() else contextlib.nullcontext():  # the caller's, if open
                existed = sa.inspect(conn).has_table(table_name)
                table.create(conn, checkfirst=True)
                statement = _insert(conn, table, on_conflict, [k for k in keys if k])
                rows = export.leaf_tuples(execute.batches(chain), chain.specs)
                while batch := list(itertools.islice(rows, batch_size)):
                    values = [{t: _plain(row[i]) if t in json_columns else row[i] for i, t, _ in kept}
                              for row in batch]
                    count = conn.execute(statement, values).rowcount
                    total = -1 if count < 0 or total < 0 else total + count
        except Exception:
            if not existed:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    table.drop(conn, checkfirst=True)
                    conn.commit()
            raise
    return total


def _insert(conn: sqlalchemy.Connection, table: sqlalchemy.Table, on_conflict: str | None,
            conflict_columns: list[str]) -> Any:
    """The INSERT, with SQLite's and PostgreSQL's conflict clause for `on_conflict` (others insert plainly)."""
    dialect = conn.engine.name
    if not on_conflict or dialect not in ("sqlite", "postgresql"):
        return table.insert()
    from sqlalchemy.dialects import postgresql, sqlite

    statement: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if on_conflict == "ignore":
        return statement.on_conflict_do_nothing()
    updates = {c.name: statement.excluded[c.name] for c in table.columns}
    if dialect == "postgresql":
        if not conflict_columns:
            raise DataChainParamsError("conflict_columns parameter is required when on_conflict='update' with "
                                       "PostgreSQL. Specify the column names that form a unique constraint.")
        return statement.on_conflict_do_update(index_elements=conflict_columns, set_=updates)
    return statement.on_conflict_do_update(set_=updates)


def _python_type(values: list[Any]) -> Any:
    """The column type DataChain infers from sample values: the first non-None value's type (str if none)."""
    sample = next((v for v in values if v is not None), None)
    if sample is None:
        return str
    if isinstance(sample, list):
        item = next((v for v in sample if v is not None), None)
        return list[type(item)] if item is not None else list[str]  # type: ignore[misc]
    if isinstance(sample, dict):
        return dict
    for kind in (bool, int, float, str, bytes, dt.datetime, dt.date):
        if isinstance(sample, kind):
            return kind
    return str


def read_database(query: str | Any, connection: Any, params: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None
                  = None, *, output: dict[str, Any] | None = None, session: Session | None = None,
                  settings: dict[str, Any] | None = None, in_memory: bool = False,
                  infer_schema_length: int | None = 100, memory: MemoryArg = None) -> DataChain:
    """A chain over the rows of a SQL query (`:name` placeholders filled from `params`); column types are
    inferred from the first `infer_schema_length` rows unless `output` gives them.

    Example:
        >>> read_database("SELECT id, name FROM users WHERE id > :id", "sqlite:///app.db", params={"id": 10})
    """
    import sqlalchemy as sa

    output = output or {}
    statement = sa.text(query) if isinstance(query, str) else query
    with connect(connection) as conn:
        result = conn.execute(statement, params)
        names = list(result.keys())
        rows = [row._asdict() for row in result]
    sample = rows if infer_schema_length is None else rows[:infer_schema_length]
    inferred = {n: _python_type([r[n] for r in sample]) for n in names if n not in output}
    chain = read_records(rows, schema=inferred | output, memory=memory_of(memory, session))
    return chain.settings(**settings) if settings else chain

