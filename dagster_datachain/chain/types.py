"""DataChain's public typing helpers: `DataType` (what a column may hold), `ColumnExpr` (a column expression),
`Sys` (the model of the system columns), `ModelStore` (models by name and version) and `DataChainSchema` (the
dict view that `chain.schema` returns, with `flatten()` and the printable tree).

Example:
    >>> chain.schema.flatten()
    {'n': int | None, 'file.path': str | None, 'file.size': int | None}
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel

from ..memory.schema import Schema, TypeSpec, python_type, register_model, registered_model
from .expr import Expr

StandardType = type[int] | type[str] | type[float] | type[bool] | type[list] | type[dict] | type[bytes] | type[datetime]
DataType = type[BaseModel] | StandardType
"""A column's type: a pydantic model or one of the standard Python types."""

ColumnExpr = Expr
"""A column expression: `C("n")`, `C("n") + 1`, `func.sum("n")`."""


class Sys(BaseModel):
    """The system columns of a row: `id` and `rand` (DataChain's model)."""

    id: int
    rand: int


class DataChainSchema(dict[str, Any]):
    """Column name -> Python type or model (a dict), with the leaf columns (`flatten()`) and the tree
    (`to_string()`, `str()`)."""

    def __init__(self, specs: Schema) -> None:
        super().__init__({name: python_type(spec) for name, spec in specs.items()})
        self._specs = dict(specs)

    def flatten(self, include_hidden: bool = True) -> dict[str, Any]:
        """Every leaf column by dotted path (`file.path`) -> its Python type."""
        return {path: python_type(spec) for name, column in self._specs.items()
                for path, spec in column.leaves(name, include_hidden=include_hidden)}

    def to_string(self, include_hidden: bool = True, indent: int = 2) -> str:
        """The schema as an indented tree, nested fields `indent` spaces deeper."""
        lines: list[str] = []

        def walk(name: str, spec: TypeSpec, depth: int) -> None:
            lines.append(f"{' ' * indent * depth}{name}: {spec.label()}")
            for field, field_spec in spec.fields.items() if spec.kind == "model" else ():
                if include_hidden or field not in spec.hidden:
                    walk(field, field_spec, depth + 1)

        for name, spec in self._specs.items():
            walk(name, spec, 0)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()


class ModelStore:
    """Pydantic models by name and version, so stored rows can be read back as the user's classes.

    A model's version is its `_version` class attribute (1 for `DataModel` and the file types), 0 when it has none;
    `get_name()` spells it `Name@v1`.
    """

    store: ClassVar[dict[str, dict[int, type[BaseModel]]]] = {}

    @classmethod
    def get_version(cls, model: type[BaseModel]) -> int:
        """The model's version (0 when it has none)."""
        return int(getattr(model, "_version", 0) or 0)

    @classmethod
    def get_name(cls, model: type[BaseModel]) -> str:
        """`Name@vN`, or `Name` for a model without a version."""
        version = cls.get_version(model)
        return f"{model.__name__}@v{version}" if version else model.__name__

    @classmethod
    def register(cls, fr: type) -> None:
        """Remember a model and the models of its fields; anything else is ignored."""
        model = cls.to_pydantic(fr)
        if model is None:
            return
        cls.store.setdefault(model.__name__, {})[cls.get_version(model)] = model
        register_model(model)
        for info in model.model_fields.values():
            if (nested := cls.to_pydantic(info.annotation)) is not None:
                cls.register(nested)

    @classmethod
    def get(cls, name: str, version: int | None = None) -> type | None:
        """The model registered under `name` (at `version`, else the highest), else None."""
        versions = dict(cls.store.get(name, {}))
        if name not in cls.store and (known := registered_model(name)) is not None:  # a model a chain has used
            versions[cls.get_version(known)] = known
        if version is not None:
            return versions.get(version)
        return versions[max(versions)] if versions else None

    @classmethod
    def remove(cls, fr: type) -> None:
        """Forget a registered model."""
        cls.store.get(fr.__name__, {}).pop(cls.get_version(fr), None)

    @classmethod
    def parse_name_version(cls, fullname: str) -> tuple[str, int]:
        """`("File", 1)` for `File@v1`, `("M", 0)` for `M`."""
        name, _, version = fullname.partition("@")
        return name, int(version.strip()[1:]) if version.strip() else 0

    @staticmethod
    def is_pydantic(val: Any) -> bool:
        """Whether `val` is a pydantic model class (not an instance, not a generic alias)."""
        return not hasattr(val, "__origin__") and inspect.isclass(val) and issubclass(val, BaseModel)

    @staticmethod
    def to_pydantic(val: Any) -> type[BaseModel] | None:
        """`val` if it is a pydantic model class, else None."""
        return val if val is not None and ModelStore.is_pydantic(val) else None

    @staticmethod
    def is_partial(parent_type: Any) -> bool:
        """Whether `parent_type` is a model with a version (DataChain's partial-model test)."""
        return bool(parent_type) and ModelStore.is_pydantic(parent_type) and "@" in ModelStore.get_name(parent_type)

    @classmethod
    def rebuild_all(cls) -> None:
        """Rebuild the pydantic schemas of every registered model."""
        for versions in cls.store.values():
            for model in versions.values():
                model.model_rebuild(force=True)
