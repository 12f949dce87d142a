"""How chains print: the nested schema, and rows with nested fields spread into dotted columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from ..memory.schema import Schema, TypeSpec

if TYPE_CHECKING:
    import pandas as pd


def render_schema(schema: Schema) -> str:
    """`file: File@v1` then its fields indented, for every column."""
    lines: list[str] = []

    def walk(name: str, spec: TypeSpec, depth: int) -> None:
        lines.append(f"{'  ' * depth}{name}: {spec.label()}")
        if spec.kind == "model":
            for field_name, field_spec in spec.fields.items():
                walk(field_name, field_spec, depth + 1)

    for column, spec in schema.items():
        walk(column, spec, 0)
    return "\n".join(lines)


def flat_columns(table: pa.Table, schema: Schema, include_hidden: bool) -> dict[str, pa.ChunkedArray]:
    """Each leaf field as its own column, keyed by dotted path (`info.width`)."""
    import pyarrow.compute as pc  # imported on first use, like pandas: `import dagster_datachain` stays light

    columns: dict[str, pa.ChunkedArray] = {}
    for column in table.column_names:
        spec = schema.get(column)
        if spec is None or spec.kind != "model":
            columns[column] = table.column(column)
            continue
        for path, _ in spec.leaves(column, include_hidden=include_hidden):
            array = table.column(column)
            for part in path.split(".")[1:]:
                array = pc.struct_field(array, part)
            columns[path] = array
    return columns


def to_dataframe(table: pa.Table, schema: Schema, *, flatten: bool, include_hidden: bool) -> pd.DataFrame:
    """A DataFrame of leaf columns: dotted names when `flatten`, else a MultiIndex when anything is nested."""
    import pandas as pd

    columns = flat_columns(table, schema, include_hidden)
    frame = pd.DataFrame({name: array.to_pylist() for name, array in columns.items()})
    if flatten or not any("." in name and name.split(".")[0] in schema for name in columns):
        return frame
    depth = max(len(_levels(name, schema)) for name in columns)
    frame.columns = pd.MultiIndex.from_tuples(
        [tuple(_levels(name, schema)) + ("",) * (depth - len(_levels(name, schema))) for name in columns]
    )
    return frame


def _levels(name: str, schema: Schema) -> list[str]:
    return [name] if name in schema else name.split(".")


def _abbreviate(value: object, items: int = 4) -> object:
    """A long list as its first items and its length, so vectors do not flood the screen."""
    if not isinstance(value, list) or len(value) <= items:
        return value
    shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else repr(v) for v in value[:items])
    return f"[{shown}, ...] ({len(value)})"


def render_table(table: pa.Table, schema: Schema, limit: int, *, flatten: bool, include_hidden: bool,
                 transpose: bool = False, truncate: bool = True) -> str:
    """Rows as text like the reference's `show()`: a header per nested level, None for missing values, long text
    cut at 50 characters unless `truncate=False`, and a note when rows were cut; "Empty result" and the column
    names when there are no rows."""
    import pandas as pd

    shown = table.slice(0, limit)
    frame = to_dataframe(shown, schema, flatten=flatten, include_hidden=include_hidden).astype(object)
    if frame.empty:
        return f"Empty result\nColumns: {list(flat_columns(shown, schema, include_hidden))}"
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, list)).any():
            frame[column] = frame[column].map(_abbreviate)
    frame = frame.where(frame.notna(), None)
    if transpose:
        frame = frame.T
    with pd.option_context("display.max_columns", None, "display.width", 10_000,
                           "display.multi_sparse", False):  # `file file` over `path size`, as the reference prints
        text = frame.to_string(max_colwidth=50 if truncate else None)
    if table.num_rows > limit:
        text += f"\n\n[Limited by {limit} rows]"
    return text
