"""A user function's signature read as a UDF: which columns feed it, which setup objects it takes, what it returns."""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import SignalResolvingError, UDFError, UdfSignatureError
from ..memory.schema import (
    Schema,
    TypeSpec,
    ValueBuilder,
    column_spec,
    encode_value,
    known_columns,
    python_type,
    spec_from_annotation,
)
from .classes import AbstractUDF
from .code_hash import code_hash

UDFKind = Literal["map", "gen", "agg", "batch_map"]
_ITERABLES = (
    collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator, collections.abc.Sequence, list,
)  # fmt: skip


@dataclass(frozen=True)
class Param:
    """One function argument fed from a column: the argument's name, the column, and how to build its value."""

    arg: str
    column: str
    spec: TypeSpec
    annotation: Any

    def converter(self) -> Callable[[Any], Any]:
        """Raw stored value -> the object the function expects (e.g. dict -> ImageFile)."""
        build = ValueBuilder(self.spec)
        target = self.annotation
        if isinstance(target, type) and issubclass(target, BaseModel) and self.spec.kind == "model":

            def convert(raw: Any) -> Any:
                value = build(raw)
                return value if value is None or isinstance(value, target) else target.model_validate(dict(value))

            return convert
        return build


@dataclass(frozen=True)
class UDF:
    """A user function ready to run: inputs, outputs, and fingerprints that key checkpoints and versions."""

    kind: UDFKind
    func: Callable[..., Any]
    name: str
    params: tuple[Param, ...]
    setup_args: tuple[str, ...]
    output: Schema
    code_hash: str
    partition_by: tuple[str, ...] = ()
    instance: AbstractUDF | None = None
    """A class-based UDF's object: its `setup()` runs before the first call in each process."""
    _adapters: dict[str, TypeAdapter[Any]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signature_key(self) -> str:
        """The step's parameters: kind, inputs, outputs, setup names, partitioning — not the function body."""
        outputs = {k: v.model_dump(exclude={"description"}) for k, v in self.output.items()}  # docstrings may change
        params = [(p.arg, p.column) for p in self.params]
        return f"{self.kind}|{self.name}|{params}|{self.setup_args}|{outputs}|{self.partition_by}"

    def output_row(self, value: Any, row_label: str | None) -> dict[str, Any]:
        """Validate one result against the declared output type; return storable column values."""
        names = list(self.output)
        if len(names) == 1 and isinstance(value, tuple) and len(value) == 1 and self.output[names[0]].kind != "list":
            value = value[0]  # a 1-tuple fills the one output column, as in DataChain
        values = value if len(names) > 1 else (value,)
        if len(names) > 1 and (not isinstance(value, tuple) or len(value) != len(names)):
            raise UDFError(
                f"UDF '{self.name}' must return a tuple of {len(names)} values ({', '.join(names)}), "
                f"got {type(value).__name__}{_at(row_label)}",
                udf=self.name,
                row=row_label,
            )
        row: dict[str, Any] = {}
        for name, item in zip(names, values, strict=True):
            spec = self.output[name]
            adapter = self._adapters.get(name)
            if adapter is None:
                adapter = self._adapters[name] = TypeAdapter(python_type(spec))
            try:
                validated = adapter.validate_python(item)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(p) for p in problem["loc"])
                column = f"{name}.{where}" if where else name
                raise UDFError(
                    f"UDF '{self.name}' returned a wrong type for output '{column}' "
                    f"(expected {spec.label()}): {problem['msg']}, got {item!r:.80}{_at(row_label)}",
                    udf=self.name,
                    row=row_label,
                ) from None
            row[name] = encode_value(spec, validated)
        return row


def _at(row_label: str | None) -> str:
    return f" (input row: {row_label})" if row_label else ""


def make_udf(
    kind: UDFKind,
    func: Callable[..., Any],
    *,
    output_name: str | None,
    output: Any,
    params: Sequence[str] | str | None,
    setup_names: Sequence[str],
    schema: Schema,
    partition_by: Sequence[str] = (),
) -> UDF:
    """Read `func`'s signature against the chain's `schema`; raise precise errors for what does not fit.
    `func` may be a class-based UDF (a Mapper, Generator, Aggregator object or class): its `process` is called."""
    created: Any = func() if isinstance(func, type) and issubclass(func, AbstractUDF) else func
    instance: AbstractUDF | None = created if isinstance(created, AbstractUDF) else None
    if instance is not None:
        hashed = code_hash(instance)  # its class's methods and its attributes
        name, func = type(instance).__name__, instance.process
    else:
        hashed = code_hash(func)
        name = getattr(func, "__name__", type(func).__name__)
    signature = inspect.signature(func)
    hints = _hints(func)
    explicit = [params] if isinstance(params, str) else list(params or [])
    setup_args = tuple(a for a in signature.parameters if a in setup_names)
    data_args = [a for a in signature.parameters if a not in setup_names]
    if explicit and len(explicit) != len(data_args):
        raise UdfSignatureError(f"UDF '{name}' takes {len(data_args)} inputs ({', '.join(data_args)}) "
                                f"but params= names {len(explicit)}")
    batched = kind in ("agg", "batch_map")
    resolved: list[Param] = []
    for i, arg in enumerate(data_args):
        column = explicit[i] if explicit else _column_for(arg, schema)
        spec = column_spec(column, schema)
        if spec is None:
            raise SignalResolvingError(
                f"UDF '{name}': parameter '{arg}' matches no column (looked for {column!r}; "
                f"columns: {', '.join(known_columns(schema))}). Name the parameter after a column or pass params=."
            )
        annotation = hints.get(arg, Any)
        if batched:
            annotation = _item_type(annotation) if typing.get_origin(annotation) in _ITERABLES else annotation
        resolved.append(Param(arg, column, spec, annotation))
    return UDF(
        kind=kind,
        func=func,
        name=name,
        params=tuple(resolved),
        setup_args=setup_args,
        output=_described(_output_schema(name, kind, output_name, output, hints.get("return", inspect.Signature.empty)),
                          func),
        code_hash=hashed,
        partition_by=tuple(partition_by),
        instance=instance,
    )


def _described(schema: Schema, func: Callable[..., Any]) -> Schema:
    """Outputs without a description of their own take the first line of the function's docstring."""
    doc = (inspect.getdoc(func) or "").strip().split("\n")[0]
    if not doc:
        return schema
    return {n: s if s.description else s.model_copy(update={"description": doc}) for n, s in schema.items()}


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Resolved annotations; one that cannot be resolved (e.g. a class local to a function, with postponed
    annotations) is looked up among the function's closure variables, else treated as Any."""
    try:
        return typing.get_type_hints(func)
    except (NameError, TypeError):
        pass
    target = func if inspect.isfunction(func) or inspect.ismethod(func) else type(func).__call__
    namespace = {**getattr(target, "__globals__", {}), **inspect.getclosurevars(target).nonlocals}
    hints: dict[str, Any] = {}
    for arg, annotation in getattr(target, "__annotations__", {}).items():
        try:
            hints[arg] = eval(annotation, namespace) if isinstance(annotation, str) else annotation  # noqa: S307
        except Exception:  # noqa: BLE001 - an annotation we cannot read says nothing about the column
            hints[arg] = Any
    return hints


def _column_for(arg: str, schema: Schema) -> str:
    return arg if arg in schema or "__" not in arg else arg.replace("__", ".")


def _item_type(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    return args[0] if args else Any


def _output_schema(name: str, kind: UDFKind, output_name: str | None, output: Any, returns: Any) -> Schema:
    if output is not None:
        if isinstance(output, Mapping):
            return {k: spec_from_annotation(v) for k, v in output.items()}
        if isinstance(output, str):
            output_name, output = output, None
        else:
            return {output_name or name: spec_from_annotation(output)}
    if returns is inspect.Signature.empty or returns is None:  # DataChain's default output type
        returns = str if kind == "map" else collections.abc.Iterator[str]
    if kind != "map":
        if typing.get_origin(returns) not in _ITERABLES:
            raise UdfSignatureError(f"UDF '{name}' ({kind}) must return an iterator or list, e.g. `-> Iterator[Row]`")
        returns = _item_type(returns)
    args = typing.get_args(returns)
    if typing.get_origin(returns) is tuple and args and args[-1] is not Ellipsis:
        base = output_name or name
        return {f"{base}_{i}": spec_from_annotation(a) for i, a in enumerate(args)}
    return {output_name or name: spec_from_annotation(returns)}
