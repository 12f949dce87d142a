"""Asset checks derived from a dataset's schema and version history: required fields are filled, the row count
did not collapse, and the schema only changed with a MINOR or MAJOR version bump.

Each check has one severity, the same in its spec and in every result: ERROR for a broken dataset (NULLs where
the schema requires a value, a collapsed row count), WARN for a schema change without a MINOR bump. They run with
each materialization and on their own against the latest version (the UI's "Execute" on a check)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, NamedTuple

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from .chain.expr import resolve_column
from .memory import catalog
from .memory.expressions import fn
from .memory.schema import Schema, to_arrow_schema
from .memory.store import Memory

NON_NULL, ROW_COUNT = "required_fields_not_null", "row_count_did_not_drop"
SCHEMA = "schema_changed_only_with_minor_bump"


class _Check(NamedTuple):
    severity: AssetCheckSeverity
    description: str


def _checks(max_row_drop: float) -> dict[str, _Check]:
    return {
        NON_NULL: _Check(AssetCheckSeverity.ERROR, "Fields the pydantic schema requires have no NULLs"),
        ROW_COUNT: _Check(AssetCheckSeverity.ERROR,
                          f"Row count fell by at most {max_row_drop:.0%} since the previous version"),
        SCHEMA: _Check(AssetCheckSeverity.WARN, "The schema changed only together with a MINOR/MAJOR bump"),
    }


def dataset_check_specs(key: AssetKey, max_row_drop: float, blocking: bool = False) -> list[AssetCheckSpec]:
    """The checks every dataset asset carries.

    Args:
        key: the dataset asset's key.
        max_row_drop: the largest fraction of rows a version may lose before the row-count check fails.
        blocking: a failed ERROR check stops the assets downstream in the same run (WARN checks never block).

    Returns:
        One spec per check, its severity in its description and metadata.

    Example:
        >>> [spec.name for spec in dataset_check_specs(dg.AssetKey("pets"), 0.5)]
        ['required_fields_not_null', 'row_count_did_not_drop', 'schema_changed_only_with_minor_bump']
    """
    return [AssetCheckSpec(name, asset=key, blocking=blocking and check.severity == AssetCheckSeverity.ERROR,
                           description=f"{check.description} (severity {check.severity.value})",
                           metadata={"dagster_datachain/severity": check.severity.value})
            for name, check in _checks(max_row_drop).items()]


def evaluate_checks(memory: Memory, record: catalog.VersionRecord, max_row_drop: float,
                    selected: Collection[str] | None = None) -> list[AssetCheckResult]:
    """Run the checks against version `record`, computed in DuckDB (no rows are loaded into Python).

    Args:
        memory: the Data Memory holding the version and its predecessors.
        record: the version to check.
        max_row_drop: as in `dataset_check_specs`.
        selected: the names of the checks to run; all by default.

    Returns:
        One result per check, with the severity of its spec and what it found as metadata.
    """
    checks = _selected(max_row_drop, selected)
    with memory.connect() as con:
        versions = catalog.list_versions(con, record.name)
        nulls = _null_counts(con, record) if NON_NULL in checks else {}
    earlier = [v for v in versions if v.seq < record.seq]
    previous = max(earlier, key=lambda v: v.seq) if earlier else None
    outcomes: dict[str, Callable[[], tuple[bool, dict[str, Any]]]] = {
        NON_NULL: lambda: (not nulls, {"null_counts": nulls}),
        ROW_COUNT: lambda: _row_count(record, previous, max_row_drop),
        SCHEMA: lambda: _schema(record, previous),
    }
    results = []
    for name, check in checks.items():
        passed, metadata = outcomes[name]()
        results.append(AssetCheckResult(check_name=name, passed=passed, severity=check.severity,
                                        metadata={"dagster_datachain/dataset": record.reference, **metadata}))
    return results


def missing_version_results(dataset: str, max_row_drop: float,
                            selected: Collection[str] | None = None) -> list[AssetCheckResult]:
    """The checks of a dataset with no version yet: each fails, saying so.

    Args:
        dataset: the dataset name, for the message.
        max_row_drop: as in `dataset_check_specs`.
        selected: the names of the checks; all by default.

    Returns:
        One failed result per check.
    """
    return [AssetCheckResult(check_name=name, passed=False, severity=check.severity,
                             description=f"dataset {dataset!r} has no version yet: materialize it first")
            for name, check in _selected(max_row_drop, selected).items()]


def _selected(max_row_drop: float, selected: Collection[str] | None) -> dict[str, _Check]:
    return {name: check for name, check in _checks(max_row_drop).items() if selected is None or name in selected}


def _null_counts(con: object, record: catalog.VersionRecord) -> dict[str, int]:
    required = _required_leaves(record.dataset_schema)
    if not required:
        return {}
    counts = catalog.version_rows(con, record).aggregate(  # type: ignore[arg-type]
        [fn("count_if", resolve_column(path, record.dataset_schema).isnull()).alias(path) for path in required]
    ).fetchall()[0]
    return {path: int(n) for path, n in zip(required, counts, strict=True) if n}


def _required_leaves(schema: Schema) -> list[str]:
    paths: list[str] = []
    for name, spec in schema.items():
        if spec.nullable:
            continue
        if spec.kind != "model":
            paths.append(name)
            continue
        stack = [(name, spec)]
        while stack:
            prefix, node = stack.pop()
            for field, child in node.fields.items():
                if child.nullable:
                    continue
                (stack.append((f"{prefix}.{field}", child)) if child.kind == "model"
                 else paths.append(f"{prefix}.{field}"))
    return sorted(paths)


def _row_count(record: catalog.VersionRecord, previous: catalog.VersionRecord | None,
               max_drop: float) -> tuple[bool, dict[str, Any]]:
    before = previous.row_count if previous else record.row_count
    return record.row_count >= before * (1 - max_drop), {"rows": record.row_count, "previous_rows": before}


def _schema(record: catalog.VersionRecord, previous: catalog.VersionRecord | None) -> tuple[bool, dict[str, Any]]:
    changed = previous is not None and to_arrow_schema(previous.dataset_schema) != to_arrow_schema(
        record.dataset_schema)
    bumped = previous is not None and record.semver[:2] != previous.semver[:2]
    return not changed or bumped, {"schema_changed": changed,
                                   "previous_version": previous.version if previous else "none"}
