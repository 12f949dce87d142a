"""What a dataset materialization tells Dagster: version, rows, schema, column lineage, preview, KB page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster import (
    MetadataValue,
    TableColumn,
    TableColumnDep,
    TableColumnLineage,
    TableRecord,
    TableSchema,
)

from .chain.chain import DataChain
from .chain.output import flat_columns
from .memory.catalog import VersionRecord, list_versions, version_rows
from .memory.changes import ChangeCounts, count_changes
from .memory.schema import Schema
from .memory.store import Memory
from .translator import dataset_key

PREVIEW_ROWS = 5


def column_schema(schema: Schema) -> TableSchema:
    """Every leaf field as a dotted column, with its type and pydantic description."""
    columns = [
        TableColumn(name=path, type=spec.label(), description=spec.description)
        for name, top in schema.items()
        for path, spec in top.leaves(name)
    ]
    return TableSchema(columns=columns)


def column_lineage(chain: DataChain, inputs: dict[str, DataChain]) -> TableColumnLineage | None:
    """Which upstream dataset columns each column comes from (where the chain shows it)."""
    upstream = {
        column: dataset_key(input_chain.dataset.name)
        for input_chain in inputs.values()
        if input_chain.dataset is not None
        for column in input_chain.schema
    }
    deps = {
        column: [TableColumnDep(asset_key=upstream[s], column_name=s) for s in sources if s in upstream]
        for column, sources in chain.column_sources().items()
    }
    deps = {column: found for column, found in deps.items() if found}
    return TableColumnLineage(deps_by_column=deps) if deps else None


def preview(memory: Memory, record: VersionRecord) -> MetadataValue:
    """The first rows, nested fields flattened, long values shortened."""
    with memory.connect() as con:
        table = version_rows(con, record).limit(PREVIEW_ROWS).to_arrow_table()
    columns = flat_columns(table, record.dataset_schema, include_hidden=False)
    rows = [{name: _cell(values[i]) for name, values in ((n, a.to_pylist()) for n, a in columns.items())}
            for i in range(table.num_rows)]
    schema = TableSchema(columns=[TableColumn(name=name, type="string") for name in columns])
    return MetadataValue.table(records=[TableRecord(row) for row in rows], schema=schema)


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def latest_version(memory: Memory, name: str) -> VersionRecord | None:
    """The latest version of dataset `name`, None before its first save."""
    with memory.connect() as con:
        versions = list_versions(con, name)
    return versions[-1] if versions else None


def change_metadata(memory: Memory, previous: VersionRecord | None, record: VersionRecord) -> dict[str, Any]:
    """What a save changed, as the Knowledge Base and `diff` count it: `unchanged` when it made no new version
    (`previous` is the latest version before the save)."""
    unchanged = previous is not None and previous.seq == record.seq
    if unchanged:
        counts = ChangeCounts(0, 0, 0)
    else:
        with memory.connect() as con:
            counts = count_changes(con, previous, record)
    return {
        "unchanged": MetadataValue.bool(unchanged),
        "rows_added": MetadataValue.int(counts.added),
        "rows_changed": MetadataValue.int(counts.changed),
        "rows_removed": MetadataValue.int(counts.removed),
    }


def materialization_metadata(chain: DataChain, record: VersionRecord, previous: VersionRecord | None,
                             inputs: dict[str, DataChain], knowledge_base: str | None) -> dict[str, Any]:
    """The metadata of one dataset materialization that saved `record` (`previous`: the latest before)."""
    metadata: dict[str, Any] = {
        "dataset": MetadataValue.text(record.reference),
        "dagster/row_count": MetadataValue.int(record.row_count),
        "dagster/column_schema": column_schema(record.dataset_schema),
        "preview": preview(chain.memory, record),
        "code_hash": MetadataValue.text(record.code_hash),
        "lineage": MetadataValue.json([entry.model_dump() for entry in record.lineage]),
        **change_metadata(chain.memory, previous, record),
    }
    lineage = column_lineage(chain, inputs)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    if knowledge_base:
        metadata["knowledge_base_page"] = MetadataValue.path(str(Path(knowledge_base) / "datasets" / f"{record.name}.md"))
    return metadata
