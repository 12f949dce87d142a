"""What a dataset materialization tells Dagster: version, rows, schema, column lineage, preview, KB page."""

from __future__ import annotations

import base64
import io
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
from .chain.readers import read_dataset
from .errors import DataChainError
from .memory.catalog import VersionRecord, list_versions, version_rows
from .memory.changes import ChangeCounts, count_changes
from .memory.schema import Schema
from .memory.store import Memory
from .translator import dataset_key

PREVIEW_ROWS = 5
VECTOR_SHOWN = 4  # list values longer than this are shown as their first values and a count
THUMBNAILS = 4
THUMBNAIL_PIXELS = 64
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
NS = "dagster_datachain/"


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
    """The first rows, nested fields flattened with their types, long values and vectors shortened."""
    with memory.connect() as con:
        table = version_rows(con, record).limit(PREVIEW_ROWS).to_arrow_table()
    columns = flat_columns(table, record.dataset_schema, include_hidden=False)
    types = {path: spec.label() for name, top in record.dataset_schema.items() for path, spec in top.leaves(name)}
    rows = [{name: _cell(values[i]) for name, values in ((n, a.to_pylist()) for n, a in columns.items())}
            for i in range(table.num_rows)]
    schema = TableSchema(columns=[TableColumn(name=name, type=types.get(name, "string")) for name in columns])
    return MetadataValue.table(records=[TableRecord(row) for row in rows], schema=schema)


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list) and len(value) > VECTOR_SHOWN:
        shown = ", ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in value[:VECTOR_SHOWN])
        return f"[{shown}, … {len(value)} values]"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def thumbnails(memory: Memory, record: VersionRecord) -> MetadataValue | None:
    """A contact sheet of the first images of the version (small JPEG data URIs in markdown), None without images."""
    column = next((name for name, spec in record.dataset_schema.items()
                   if spec.kind == "model" and {"source", "path"} <= set(spec.fields)), None)
    if column is None:
        return None
    files = [file for file in read_dataset(record.name, record.version, memory=memory).limit(THUMBNAILS * 4)
             .to_values(column) if Path(file.path).suffix.lower() in IMAGE_SUFFIXES][:THUMBNAILS]
    cells = [cell for cell in map(_thumbnail, files) if cell]
    if not cells:
        return None
    return MetadataValue.md("| " + " | ".join(name for name, _ in cells) + " |\n|" + "---|" * len(cells) + "\n| "
                            + " | ".join(f"![{name}]({uri})" for name, uri in cells) + " |")


def _thumbnail(file: Any) -> tuple[str, str] | None:
    """(file name, data URI of a JPEG at most THUMBNAIL_PIXELS wide and high); None for an unreadable image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(file.read_bytes())) as image:
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=70)
    except (OSError, UnidentifiedImageError, DataChainError):
        return None
    name = Path(file.path).name.replace("|", "_").replace("]", "_").replace("[", "_")
    return name, "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def lineage_links(record: VersionRecord) -> MetadataValue:
    """The version's inputs as markdown: upstream dataset versions link to their assets, listings name their URI."""
    lines = [f"- [{entry.name}@{entry.version}](/assets/{dataset_key(entry.name).to_user_string()}) dataset"
             if entry.kind == "dataset" else f"- `{entry.name}` storage listing"
             for entry in record.lineage]
    return MetadataValue.md("\n".join(lines) or "no inputs")


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
        f"{NS}unchanged": MetadataValue.bool(unchanged),
        f"{NS}rows_added": MetadataValue.int(counts.added),
        f"{NS}rows_changed": MetadataValue.int(counts.changed),
        f"{NS}rows_removed": MetadataValue.int(counts.removed),
    }


def materialization_metadata(chain: DataChain, record: VersionRecord, previous: VersionRecord | None,
                             inputs: dict[str, DataChain], knowledge_base: str | None) -> dict[str, Any]:
    """The metadata of one dataset materialization that saved `record` (`previous`: the latest before)."""
    metadata: dict[str, Any] = {
        f"{NS}dataset": MetadataValue.text(record.reference),
        f"{NS}version": MetadataValue.text(record.version),
        "dagster/row_count": MetadataValue.int(record.row_count),
        "dagster/column_schema": column_schema(record.dataset_schema),
        f"{NS}preview": preview(chain.memory, record),
        f"{NS}code_hash": MetadataValue.text(record.code_hash),
        f"{NS}lineage": lineage_links(record),
        **change_metadata(chain.memory, previous, record),
    }
    images = thumbnails(chain.memory, record)
    if images is not None:
        metadata[f"{NS}thumbnails"] = images
    lineage = column_lineage(chain, inputs)
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    if knowledge_base:
        page = (Path(knowledge_base) / "datasets" / f"{record.name}.md").resolve()
        metadata[f"{NS}knowledge_base_page"] = MetadataValue.url(page.as_uri())
    return metadata
