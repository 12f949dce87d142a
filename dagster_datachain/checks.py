"""Asset checks derived from a dataset's schema and version history: required fields are filled, the row count
did not collapse, and the schema only changed with a MINOR or MAJOR version bump."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey
from duckdb import fn

from .chain.expr import resolve_column
from .memory import catalog
from .memory.schema import Schema, to_arrow_schema
from .memory.store import Memory

NON_NULL, ROW_COUNT, SCHEMA = "required_fields_not_null", "row_count_did_not_drop", "schema_changed_only_with_minor_bump"


def dataset_check_specs(key: AssetKey, max_row_drop: float) -> list[AssetCheckSpec]:
    """The checks every dataset asset carries."""
    return [
        AssetCheckSpec(NON_NULL, asset=key, description="Fields the pydantic schema requires have no NULLs"),
        AssetCheckSpec(ROW_COUNT, asset=key,
                       description=f"Row count fell by at most {max_row_drop:.0%} since the previous version"),
        AssetCheckSpec(SCHEMA, asset=key, description="The schema changed only together with a MINOR/MAJOR bump"),
    ]


def evaluate_checks(memory: Memory, record: catalog.VersionRecord, max_row_drop: float) -> list[AssetCheckResult]:
    """Run the three checks against Data Memory (null counts computed in DuckDB)."""
    with memory.connect() as con:
        versions = catalog.list_versions(con, record.name)
        required = _required_leaves(record.dataset_schema)
        nulls: dict[str, int] = {}
        if required:
            counts = catalog.version_rows(con, record).aggregate(
                [fn("count_if", resolve_column(path, record.dataset_schema).isnull()).alias(path) for path in required]
            ).fetchall()[0]
            nulls = {path: int(n) for path, n in zip(required, counts, strict=True) if n}
    earlier = [v for v in versions if v.seq < record.seq]
    previous = max(earlier, key=lambda v: v.seq) if earlier else None
    return [
        AssetCheckResult(check_name=NON_NULL, passed=not nulls, metadata={"null_counts": nulls or {}},
                         severity=AssetCheckSeverity.ERROR),
        _row_count(record, previous, max_row_drop),
        _schema(record, previous),
    ]


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
               max_drop: float) -> AssetCheckResult:
    before = previous.row_count if previous else record.row_count
    passed = record.row_count >= before * (1 - max_drop)
    return AssetCheckResult(check_name=ROW_COUNT, passed=passed, severity=AssetCheckSeverity.WARN,
                            metadata={"rows": record.row_count, "previous_rows": before})


def _schema(record: catalog.VersionRecord, previous: catalog.VersionRecord | None) -> AssetCheckResult:
    changed = previous is not None and to_arrow_schema(previous.dataset_schema) != to_arrow_schema(
        record.dataset_schema)
    bumped = previous is not None and record.semver[:2] != previous.semver[:2]
    return AssetCheckResult(check_name=SCHEMA, passed=not changed or bumped, severity=AssetCheckSeverity.WARN,
                            metadata={"schema_changed": changed,
                                      "previous_version": previous.version if previous else "none"})
