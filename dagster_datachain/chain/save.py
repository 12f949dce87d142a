"""Saving a chain: one transaction commits its rows as a new dataset version (skipped when input and code, or
the rows, are unchanged), incrementally for delta readers, with the rows UDFs skipped as `<name>__errors`."""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..errors import DataChainError
from ..memory import catalog
from ..memory.changes import count_changes
from ..memory.names import Bump, local_name, parse_version, validate_columns, validate_name
from ..memory.schema import Schema, spec_from_annotation, to_arrow_schema
from ..udf.checkpoint import remove_abandoned
from . import delta
from .delta import DeltaPlan
from .execute import executing, relation
from .maintenance import STALE_CHECKPOINT_SECONDS
from .namespaces import check_project
from .steps import DatasetSource, Filter, Merge, Mutate, OrderBy, RestrictedSource, Select, UDFStep

if TYPE_CHECKING:
    from .chain import DataChain

logger = logging.getLogger(__name__)


def save(chain: DataChain, name: str, version: str | None = None, description: str | None = None,
         attrs: list[str] | None = None, update_version: Bump | None = None) -> catalog.VersionRecord:
    """Commit the chain's rows as a new version of dataset `name` (see `DataChain.save`); the version that holds
    them (an existing one when nothing changed)."""
    check_project(chain.namespace_name, chain.project_name)
    name = validate_name(local_name(name))
    validate_columns(chain._schema)
    explicit = parse_version(version) if version is not None else None
    chain_hash = hashlib.sha256(f"{chain.fingerprint()}|{chain.code_hash()}".encode()).hexdigest()
    with chain._memory.connect() as con:
        previous = _latest(con, name)
    if previous is not None and explicit is None and previous.chain_hash == chain_hash:
        logger.info("%s is up to date (same input and code); no new version saved", previous.reference)
        return previous
    plan = _delta_plan(chain, name, previous) if previous is not None and chain._source.delta else None
    if plan is not None and plan.empty:
        logger.info("%s is up to date: no new, changed or deleted inputs", previous.reference)  # type: ignore[union-attr]
        return previous  # type: ignore[return-value]
    if plan is not None:
        logger.info("%s", plan.summary())
    restricted = chain._copy(source=RestrictedSource(chain._source, plan)) if plan is not None else chain
    with executing(restricted) as (resolved, checkpoints):
        errors = [error for checkpoint in checkpoints for error in checkpoint.errors()]
        record = _commit(chain, name, explicit, update_version, description, chain_hash, resolved, plan, errors,
                         attrs)
        for checkpoint in checkpoints:
            checkpoint.try_remove(remote=True)
    remove_abandoned(chain._memory.staging_dir, STALE_CHECKPOINT_SECONDS, chain._memory.remote_staging)
    return record


def _commit(chain: DataChain, name: str, explicit: Any, update_version: Bump | None, description: str | None,
            chain_hash: str, resolved: DataChain, plan: DeltaPlan | None,
            errors: list[dict[str, Any]], attrs: list[str] | None = None) -> catalog.VersionRecord:
    """One transaction: the new version's rows (and closed rows, for delta), its catalog entry, delta state,
    and the rows UDFs skipped (`on_error="skip"`) as the next version of `<name>__errors`."""
    close = None
    if plan is not None:
        spec = chain._source.delta
        assert spec is not None  # a delta plan exists only for a delta source
        close = lambda con, table, seq: delta.close_target_rows(  # noqa: E731
            con, table, plan.close_keys, spec, chain._schema, seq)
    def commit(con: duckdb.DuckDBPyConnection) -> catalog.VersionRecord:
        previous = _latest(con, name)
        record = catalog.commit_version(
            con,
            name=name,
            version=explicit or catalog.next_version(previous, chain._schema, update_version, chain.code_hash()),
            schema=chain._schema,
            rows=relation(resolved, con),
            code_hash=chain.code_hash(),
            chain_hash=chain_hash,
            lineage=chain.lineage(),
            run_id=current_run_id(),
            description=description if description is not None else (
                previous.description if previous else None),
            close=close,
        )
        if explicit is None and update_version is None and _same_rows(con, previous, record):
            raise _SameRows(previous)  # type: ignore[arg-type]  # rolls the new version back
        _record_seen(chain, con, name, record.seq, plan)
        if attrs:
            catalog.set_attrs(con, record, attrs)
        _record_errors(con, name, record, errors)
        return record

    try:
        record = chain._memory.commit(commit, f"saving dataset {name!r}")  # again after a concurrent save of it
    except _SameRows as same:
        logger.info("%s is unchanged: the chain's rows equal its rows; no new version saved", same.record.reference)
        return same.record
    logger.info("Saved %s (%s)", record.reference, _change_summary(record, incremental=plan is not None))
    return record


def _delta_plan(chain: DataChain, name: str, previous: catalog.VersionRecord) -> DeltaPlan | None:
    """How to update `previous` incrementally, or None when only a full run is correct."""
    _check_incremental(chain, previous)
    if _schema_changed(previous.dataset_schema, chain._schema):
        logger.info("%s: schema changed since %s; processing all inputs", name, previous.reference)
        return None
    source, spec = chain._source, chain._source.delta
    assert spec is not None
    with chain._memory.connect() as con:
        if isinstance(source, DatasetSource):
            used = [e for e in previous.lineage if e.kind == "dataset" and e.name == source.record.name]
            if not used or used[0].version is None:
                return None
            try:
                old = catalog.get_version(con, source.record.name, parse_version(used[0].version))
            except DataChainError:
                return None
            return delta.plan_dataset(con, old, source.record, spec, source.schema)
        return delta.plan_storage(con, source.relation(con), source.schema, spec, name, previous)


def _check_incremental(chain: DataChain, previous: catalog.VersionRecord) -> None:
    """Refuse delta through steps whose result depends on rows outside the new or changed inputs
    (a merge is fine while its right side is exactly what the previous version merged with)."""
    for step, _ in chain._steps:
        allowed = isinstance(step, (Filter, Mutate, Select, OrderBy)) or (
            isinstance(step, UDFStep) and step.udf.kind in ("map", "batch_map"))
        if isinstance(step, Merge):
            allowed = all(entry in previous.lineage for entry in step.right.lineage())
        if not allowed:
            raise DataChainError(
                f"delta=True cannot update a dataset incrementally through {step.text.split('(')[0]}: "
                "its result depends on rows that did not change. Remove delta=True to recompute in full."
            )


def _record_seen(chain: DataChain, con: duckdb.DuckDBPyConnection, name: str, seq: int,
                 plan: DeltaPlan | None) -> None:
    """Keep the seen-inputs state of storage-delta datasets in step with the version just committed."""
    spec = chain._source.delta
    if spec is None or isinstance(chain._source, DatasetSource):
        delta.forget_seen(con, name, seq)
    elif plan is not None and plan.fresh is not None:
        delta.record_seen(con, name, seq, plan.fresh, plan.close_keys, spec)
    else:
        identities = delta.current_identities(chain._source.relation(con), chain._source.schema, spec)
        delta.record_seen(con, name, seq, identities, None, spec)


ERRORS_SUFFIX = "__errors"
_ERROR_SCHEMA: Schema = {name: spec_from_annotation(str) for name in ("udf", "row", "error")}


def _record_errors(con: duckdb.DuckDBPyConnection, name: str, record: catalog.VersionRecord,
                   errors: list[dict[str, Any]]) -> None:
    """Save the rows UDFs skipped as the next version of `<name>__errors` (an empty one once none fail)."""
    errors_name = name + ERRORS_SUFFIX
    previous = _latest(con, errors_name)
    if not errors and previous is None:
        return
    rows = pa.table({column: pa.array([e[column] for e in errors], type=pa.string()) for column in _ERROR_SCHEMA})
    errors_record = catalog.commit_version(
        con, name=errors_name, version=catalog.next_version(previous, _ERROR_SCHEMA, None), schema=_ERROR_SCHEMA,
        rows=con.from_arrow(rows), lineage=[catalog.LineageEntry(kind="dataset", name=name, version=record.version)],
        run_id=record.run_id, description=f"Input rows the UDFs of {record.reference} failed on and left out",
    )
    if errors:
        logger.warning("%s: %s input rows failed and were left out; see %s", record.reference, len(errors),
                       errors_record.reference)


def _schema_changed(old: Schema, new: Schema) -> bool:
    return to_arrow_schema(old) != to_arrow_schema(new)


def _change_summary(record: catalog.VersionRecord, *, incremental: bool) -> str:
    """`+500 records` for a delta version (with `-3` when rows went away), else the version's row count."""
    if not incremental:
        return f"{record.row_count:,} records"
    added, removed = record.stats["added"], record.stats["removed"]
    return f"+{added:,} records" + (f" / -{removed:,}" if removed else "")


def _latest(con: duckdb.DuckDBPyConnection, name: str) -> catalog.VersionRecord | None:
    versions = catalog.list_versions(con, name)
    return versions[-1] if versions else None


class _SameRows(Exception):
    """Rolls back a commit whose rows equal those of `record`, the dataset's latest version."""

    def __init__(self, record: catalog.VersionRecord) -> None:
        super().__init__(record.reference)
        self.record = record


def _same_rows(con: duckdb.DuckDBPyConnection, previous: catalog.VersionRecord | None,
               record: catalog.VersionRecord) -> bool:
    """Whether `record` has exactly the schema and rows of `previous`."""
    return (previous is not None and not _schema_changed(previous.dataset_schema, record.dataset_schema)
            and count_changes(con, previous, record).identical)


_run_id = threading.local()


def current_run_id() -> str | None:
    """The orchestrator run (e.g. Dagster's run id) on whose behalf this thread saves, if any."""
    return getattr(_run_id, "value", None)


def set_run_id(run_id: str | None) -> None:
    """Record which orchestrator run the following saves belong to (None to clear)."""
    _run_id.value = run_id
