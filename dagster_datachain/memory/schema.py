"""Column types in one place: pydantic annotations <-> TypeSpec <-> Arrow (and so DuckDB).

A `TypeSpec` is the serialisable description of one column's type. It is what Data Memory stores per dataset
version, what `print_schema()` renders, and what turns stored rows back into the user's pydantic objects.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal, Union

import pyarrow as pa
from pydantic import BaseModel, Field, TypeAdapter, create_model

from ..errors import SchemaError

Kind = Literal["int", "float", "str", "bool", "datetime", "date", "bytes", "json", "list", "model"]

_SCALARS: dict[type, Kind] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    dt.datetime: "datetime",
    dt.date: "date",
    bytes: "bytes",
}
_PY_TYPES: dict[str, type] = {kind: py for py, kind in _SCALARS.items()}
_ARROW_SCALARS: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "bytes": pa.binary(),
    "json": pa.string(),
}

# Models defined in this process, by name: rows read back become instances of the user's own class.
_MODEL_REGISTRY: dict[str, type[BaseModel]] = {}


class TypeSpec(BaseModel):
    """The stored description of a column type (recursive for models and lists)."""

    kind: Kind
    name: str | None = None  # model class name
    display: str | None = None  # how print_schema names it, e.g. "File@v1" or "Union[dict, NoneType]"
    fields: dict[str, TypeSpec] = Field(default_factory=dict)
    item: TypeSpec | None = None
    nullable: bool = True
    description: str | None = None
    hidden: list[str] = Field(default_factory=list)

    def label(self) -> str:
        """The type as print_schema shows it: `int`, `list[float]`, `ImageInfo`, `File@v1`."""
        if self.display:
            return self.display
        if self.kind == "list":
            return f"list[{self.item.label() if self.item else 'Any'}]"
        if self.kind == "model":
            return self.name or "dict"
        return "dict" if self.kind == "json" else self.kind

    def leaves(self, prefix: str, *, include_hidden: bool = True) -> Iterator[tuple[str, TypeSpec]]:
        """Yield (dotted path, spec) for every leaf below this spec; models recurse."""
        if self.kind != "model":
            yield prefix, self
            return
        for field_name, field_spec in self.fields.items():
            if include_hidden or field_name not in self.hidden:
                yield from field_spec.leaves(f"{prefix}.{field_name}", include_hidden=include_hidden)

    def at(self, path: Sequence[str]) -> TypeSpec | None:
        """The spec of a nested field, or None when the path does not exist."""
        spec: TypeSpec | None = self
        for part in path:
            if spec is None or spec.kind != "model":
                return None
            spec = spec.fields.get(part)
        return spec


Schema = dict[str, TypeSpec]
"""An ordered mapping column name -> TypeSpec: a chain's or a dataset version's schema."""


def column_spec(name: str, schema: Schema) -> TypeSpec | None:
    """The TypeSpec a (possibly dotted) column name refers to, or None."""
    if name in schema:
        return schema[name]
    head, *rest = name.split(".")
    return schema[head].at(rest) if head in schema and rest else None


def known_columns(schema: Schema) -> list[str]:
    """Every addressable column name: top-level ones and the dotted paths of their nested fields."""
    names: list[str] = []
    for column, spec in schema.items():
        names.append(column)
        names.extend(path for path, _ in spec.leaves(column) if path != column)
    return names


def register_model(model: type[BaseModel]) -> None:
    """Remember a pydantic model so stored rows can be turned back into it."""
    _MODEL_REGISTRY[model.__name__] = model


def registered_model(name: str) -> type[BaseModel] | None:
    """The model of that class name defined in this process and used in a schema, if any."""
    return _MODEL_REGISTRY.get(name)


# --------------------------------------------------------------------------- annotations -> specs


def spec_from_annotation(annotation: Any, description: str | None = None) -> TypeSpec:
    """Describe a Python annotation (scalars, datetime, lists, Optional, pydantic models) as a TypeSpec.

    Example:
        >>> spec_from_annotation(list[float]).label()
        'list[float]'
    """
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:
            return spec_from_annotation(members[0], description).model_copy(update={"nullable": True})
        return TypeSpec(kind="json", display=_render(annotation), description=description)
    if origin is typing.Annotated:
        return spec_from_annotation(args[0], description)
    if origin in (list, tuple, Sequence, Iterable, typing.Sequence) or annotation in (list, tuple):
        if origin is tuple and len(args) != 2 or (origin is tuple and args[1] is not Ellipsis):
            raise SchemaError(f"tuple columns must be homogeneous (tuple[X, ...]), got {_render(annotation)}")
        if not args:
            return TypeSpec(kind="json", display="list", description=description)
        return TypeSpec(kind="list", item=spec_from_annotation(args[0]), description=description, nullable=False)
    if origin is dict or annotation in (dict, Any, object):
        return TypeSpec(kind="json", display=_render(annotation), description=description)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _spec_from_model(annotation, description)
    if isinstance(annotation, type):
        for py_type, kind in _SCALARS.items():  # bool before int: bool is an int subclass
            if issubclass(annotation, py_type):
                return TypeSpec(kind=kind, description=description, nullable=False)
    raise SchemaError(f"cannot store values of type {_render(annotation)}; use a scalar, list, or pydantic model")


def _spec_from_model(model: type[BaseModel], description: str | None) -> TypeSpec:
    register_model(model)
    fields = {
        name: spec_from_annotation(info.annotation, info.description) for name, info in model.model_fields.items()
    }
    hidden = list(getattr(model, "_hidden_fields", ()))
    display = getattr(model, "_schema_display", None)
    doc = description or (model.__doc__ or "").strip().split("\n")[0] or None
    return TypeSpec(kind="model", name=model.__name__, display=display, fields=fields, hidden=hidden, description=doc,
                    nullable=False)


def _render(annotation: Any) -> str:
    if annotation is type(None):
        return "NoneType"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return "Union[" + ", ".join(_render(a) for a in args) + "]"
    name = getattr(origin, "__name__", str(origin))
    return f"{name}[{', '.join(_render(a) for a in args)}]" if args else name


# --------------------------------------------------------------------------- specs <-> arrow


def to_arrow_type(spec: TypeSpec) -> pa.DataType:
    """The Arrow type that stores a spec; `list[float]` becomes a list of float32 (DuckDB FLOAT[])."""
    if spec.kind == "list":
        assert spec.item is not None
        item = pa.float32() if spec.item.kind == "float" else to_arrow_type(spec.item)
        return pa.list_(item)
    if spec.kind == "model":
        return pa.struct([pa.field(n, to_arrow_type(s)) for n, s in spec.fields.items()])
    return _ARROW_SCALARS[spec.kind]


def to_arrow_schema(schema: Schema) -> pa.Schema:
    """The Arrow schema of a whole chain schema."""
    return pa.schema([pa.field(name, to_arrow_type(spec)) for name, spec in schema.items()])


_ARROW_SCALAR_KINDS: list[tuple[Callable[[pa.DataType], bool], Kind]] = [
    (pa.types.is_boolean, "bool"),
    (pa.types.is_integer, "int"),
    (lambda t: pa.types.is_floating(t) or pa.types.is_decimal(t), "float"),
    (pa.types.is_timestamp, "datetime"),
    (pa.types.is_date, "date"),
    (lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t), "bytes"),
]


def spec_from_arrow(arrow_type: pa.DataType, name: str = "") -> TypeSpec:
    """Describe an Arrow type (from a file, a DataFrame or a DuckDB result) as a TypeSpec."""
    for matches, kind in _ARROW_SCALAR_KINDS:
        if matches(arrow_type):
            return TypeSpec(kind=kind)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return TypeSpec(kind="list", item=spec_from_arrow(arrow_type.value_type))
    if pa.types.is_struct(arrow_type):
        fields = {f.name: spec_from_arrow(f.type, f.name) for f in arrow_type}
        return TypeSpec(kind="model", name=_model_name(name), fields=fields)
    if pa.types.is_dictionary(arrow_type):
        return spec_from_arrow(arrow_type.value_type, name)
    return TypeSpec(kind="str")


def schema_from_arrow(arrow_schema: pa.Schema, known: Schema | None = None) -> Schema:
    """A chain schema from an Arrow schema, keeping the richer known spec of columns whose type did not change."""
    known = known or {}
    schema: Schema = {}
    for field in arrow_schema:
        previous = known.get(field.name)
        if previous is not None and _arrow_equivalent(to_arrow_type(previous), field.type):
            schema[field.name] = previous
        else:
            schema[field.name] = spec_from_arrow(field.type, field.name)
    return schema


def _arrow_equivalent(a: pa.DataType, b: pa.DataType) -> bool:
    return a.equals(b) or str(a).replace("large_", "") == str(b).replace("large_", "")


def _model_name(column: str) -> str:
    return "".join(part.capitalize() for part in column.replace(".", "_").split("_")) or "Record"


# --------------------------------------------------------------------------- specs -> python values


def python_type(spec: TypeSpec) -> Any:
    """The Python annotation a spec stands for; models resolve to the registered class or a rebuilt one."""
    if spec.kind == "list":
        assert spec.item is not None
        annotation: Any = list[python_type(spec.item)]  # type: ignore[misc]
    elif spec.kind == "model":
        annotation = _model_class(spec)
    elif spec.kind == "json":
        annotation = Any
    else:
        annotation = _PY_TYPES[spec.kind]
    return annotation | None if spec.nullable and annotation is not Any else annotation


def _model_class(spec: TypeSpec) -> type[BaseModel]:
    known = _MODEL_REGISTRY.get(spec.name or "")
    if known is not None and set(known.model_fields) == set(spec.fields):
        return known
    fields: dict[str, Any] = {
        name: (python_type(field_spec), Field(default=None, description=field_spec.description))
        for name, field_spec in spec.fields.items()
    }
    return create_model(spec.name or "Record", **fields)


class ValueBuilder:
    """Turns one stored column's raw Arrow values (dicts, lists, scalars) back into Python objects."""

    def __init__(self, spec: TypeSpec) -> None:
        self.spec = spec
        self._adapter: TypeAdapter[Any] | None = None
        if spec.kind == "model" or _has_json(spec):
            self._adapter = TypeAdapter(python_type(spec))

    def __call__(self, raw: Any) -> Any:
        if raw is None or self._adapter is None:
            return raw
        return self._adapter.validate_python(_decode_json(self.spec, raw))


def _has_json(spec: TypeSpec) -> bool:
    if spec.kind == "json":
        return True
    return any(_has_json(s) for s in spec.fields.values()) or (spec.item is not None and _has_json(spec.item))


def _decode_json(spec: TypeSpec, raw: Any) -> Any:
    if raw is None:
        return None
    if spec.kind == "json":
        return json.loads(raw) if isinstance(raw, str) else raw
    if spec.kind == "model" and isinstance(raw, dict):
        return {k: _decode_json(spec.fields[k], v) if k in spec.fields else v for k, v in raw.items()}
    if spec.kind == "list" and spec.item is not None and isinstance(raw, list):
        return [_decode_json(spec.item, v) for v in raw]
    return raw


def encode_value(spec: TypeSpec, value: Any) -> Any:
    """Turn a validated Python value into what Arrow stores for the spec (models -> dicts, json -> text)."""
    if value is None:
        return None
    if spec.kind == "json":
        return json.dumps(value.model_dump(mode="json") if isinstance(value, BaseModel) else value, default=str)
    if spec.kind == "model":
        source = value if isinstance(value, dict) else {k: getattr(value, k) for k in spec.fields}
        return {k: encode_value(s, source.get(k)) for k, s in spec.fields.items()}
    if spec.kind == "list" and spec.item is not None:
        if spec.item.kind in ("model", "json", "list"):
            return [encode_value(spec.item, v) for v in value]
        return list(value)
    return value
