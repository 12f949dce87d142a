"""Comparing two chains row by row (DataChain's `diff` / `file_diff`): one DuckDB full outer join on the match
columns, each row marked A (only in this chain), D (only in the other), M (in both, compared columns differ) or
S (in both, same). Deleted rows keep the other chain's match values in this chain's columns, all else NULL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from ..errors import DataChainParamsError
from ..memory.expressions import col, field, fn, join, lit, star, when
from ..memory.schema import Schema, TypeSpec, column_spec
from .expr import resolve_column
from .steps import Compiler, Step

if TYPE_CHECKING:
    from .chain import DataChain

ADDED, DELETED, MODIFIED, SAME = "A", "D", "M", "S"
FILE_KEYS = ("source", "path")
FILE_VERSION = ("version", "etag")
_STATUS = "_dc_status"


@dataclass(eq=False)
class Compare(Step):
    """This chain's rows against `other`'s, matched on `on` = `right_on`; `compare` pairs the columns whose
    difference makes a matched row modified (None: every matched row is modified)."""

    other: DataChain
    on: tuple[str, ...]
    right_on: tuple[str, ...]
    compare: tuple[tuple[str, str], ...] | None
    statuses: tuple[str, ...]
    status_col: str | None

    def __post_init__(self) -> None:
        self.text = (f"diff({self.other.fingerprint()}, {self.on}, {self.right_on}, {self.compare}, "
                     f"{self.statuses}, {self.status_col})")

    def subchains(self) -> list[DataChain]:
        return [self.other]

    def apply(self, rel: duckdb.DuckDBPyRelation, schema: Schema, compiler: Compiler) -> duckdb.DuckDBPyRelation:
        theirs = self.other.specs
        pairs = self.compare or ()
        left = rel.select(star(), lit(True).alias("_dc_lhas"),
                          *[resolve_column(k, schema).alias(f"_dc_lk{i}") for i, k in enumerate(self.on)],
                          *[resolve_column(c, schema).alias(f"_dc_lc{i}") for i, (c, _) in enumerate(pairs)])
        right = compiler.relation(self.other).select(
            lit(True).alias("_dc_rhas"),
            *[resolve_column(k, theirs).alias(f"_dc_rk{i}") for i, k in enumerate(self.right_on)],
            *[resolve_column(c, theirs).alias(f"_dc_rc{i}") for i, (_, c) in enumerate(pairs)])
        condition = None
        for i in range(len(self.on)):
            term = col(f"_dc_lk{i}") == col(f"_dc_rk{i}")
            condition = term if condition is None else condition & term
        assert condition is not None  # `on` names at least one column (checked by compare_step)
        joined = join(left, right, condition, "full")
        status = (when(col("_dc_lhas").isnull(), lit(DELETED))
                  .when(col("_dc_rhas").isnull(), lit(ADDED))
                  .when(self._modified(len(pairs)), lit(MODIFIED))
                  .otherwise(lit(SAME)))
        deleted = col("_dc_lhas").isnull()
        keys = {tuple(k.split(".")): col(f"_dc_rk{i}") for i, k in enumerate(self.on)}
        columns = []
        for name, spec in schema.items():
            mine = {path[1:]: value for path, value in keys.items() if path[0] == name}
            value = col(name) if not mine else when(deleted, _with_values(col(name), spec, mine)).otherwise(
                col(name))
            columns.append(value.alias(name))
        marked = joined.select(status.alias(_STATUS), *columns)
        marked = marked.filter(col(_STATUS).isin(*[lit(s) for s in self.statuses]))
        head = [col(_STATUS).alias(self.status_col)] if self.status_col else []
        return marked.select(*head, *[col(name) for name in schema])

    def _modified(self, count: int) -> duckdb.Expression:
        if self.compare is None:
            return lit(True)
        changed: duckdb.Expression = lit(False)
        for i in range(count):
            mine, theirs = col(f"_dc_lc{i}"), col(f"_dc_rc{i}")
            differs = (when(mine.isnull() & theirs.isnull(), lit(False))
                       .when(mine.isnull() | theirs.isnull(), lit(True))
                       .otherwise(mine != theirs))
            changed = changed | differs
        return changed


def _with_values(base: duckdb.Expression, spec: TypeSpec, values: dict[tuple[str, ...], duckdb.Expression]
                 ) -> duckdb.Expression:
    """`base` with the (nested) fields at the given paths replaced; a top-level key (empty path) replaces it."""
    if () in values:
        return values[()]
    fields = []
    for name, field_spec in spec.fields.items():
        current = field(base, name)
        below = {path[1:]: value for path, value in values.items() if path[0] == name}
        fields.append((_with_values(current, field_spec, below) if below else current).alias(name))
    return fn("struct_pack", *fields)


def compare_step(left: DataChain, right: DataChain, on: str | Sequence[str],
                 right_on: str | Sequence[str] | None = None, compare: str | Sequence[str] | None = None,
                 right_compare: str | Sequence[str] | None = None, *, added: bool = True, deleted: bool = True,
                 modified: bool = True, same: bool = False, status_col: str | None = None) -> Compare:
    """The `Compare` step for `left.diff(right, ...)`, its arguments checked as DataChain checks them."""
    on_, right_on_, compare_, right_compare_ = (_listed(v) for v in (on, right_on, compare, right_compare))
    if not any([added, deleted, modified, same]):
        raise DataChainParamsError("At least one of added, deleted, modified, same flags must be set")
    if not on_:
        raise DataChainParamsError("'on' must be specified")
    if right_on_ and len(on_) != len(right_on_):
        raise DataChainParamsError("'on' and 'right_on' must be have the same length")
    if right_compare_ and not compare_:
        raise DataChainParamsError("'compare' must be defined if 'right_compare' is defined")
    if compare_ and right_compare_ and len(compare_) != len(right_compare_):
        raise DataChainParamsError("'compare' and 'right_compare' must have the same length")
    mine, theirs = left.specs, right.specs
    keys = _leaves(mine, on_)
    right_keys = _leaves(theirs, right_on_ or on_)
    if len(keys) != len(right_keys):
        raise DataChainParamsError(f"'on' {on_} and 'right_on' {right_on_ or on_} have different fields")
    pairs: tuple[tuple[str, str], ...] | None
    if compare_:
        pairs = tuple(zip(_leaves(mine, compare_), _leaves(theirs, right_compare_ or compare_), strict=True))
    else:
        left_all, right_all = _leaves(mine, list(mine)), _leaves(theirs, list(theirs))
        pairs = None if len(left_all) != len(right_all) else tuple(
            (c, c) for c in left_all if c in right_all and c not in keys)
    statuses = tuple(s for s, keep in ((ADDED, added), (DELETED, deleted), (MODIFIED, modified), (SAME, same))
                     if keep)
    return Compare(right, tuple(keys), tuple(right_keys), pairs, statuses, status_col)


def file_compare_step(left: DataChain, right: DataChain, on: str = "file", right_on: str | None = None, *,
                      added: bool = True, modified: bool = True, deleted: bool = False, same: bool = False,
                      status_col: str | None = None) -> Compare:
    """`compare_step` for File columns: matched by (source, path), modified when version or etag differ."""
    other = right_on or on
    return compare_step(left, right, [f"{on}.{k}" for k in FILE_KEYS], [f"{other}.{k}" for k in FILE_KEYS],
                        [f"{on}.{k}" for k in FILE_VERSION], [f"{other}.{k}" for k in FILE_VERSION], added=added,
                        deleted=deleted, modified=modified, same=same, status_col=status_col)


def _listed(value: str | Sequence[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _leaves(schema: Schema, names: Sequence[str]) -> list[str]:
    """Dotted paths of the leaf fields under each name (a model column stands for all its fields)."""
    found: list[str] = []
    for name in names:
        spec = column_spec(name, schema)
        if spec is None:
            raise DataChainParamsError(f"diff: column {name!r} not found (columns: {', '.join(schema)})")
        found.extend(path for path, _ in spec.leaves(name))
    return found
