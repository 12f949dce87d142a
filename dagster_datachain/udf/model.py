"""DataModel: the pydantic base class users subclass for the typed values UDFs return."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from ..memory.schema import spec_from_annotation


class DataModel(BaseModel):
    """A pydantic model whose instances can be stored as a nested (STRUCT) column.

    Any `pydantic.BaseModel` works as a column type; subclassing `DataModel` is DataChain's spelling of it.

    Example:
        >>> class BBox(DataModel):
        ...     x: int
        ...     w: int
        >>> read_values(n=[1]).map(box=lambda n: BBox(x=n, w=2 * n), output=BBox)
    """

    _hidden_fields: ClassVar[list[str]] = []
    _version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Optional fields without a default default to None, as in DataChain (`a: int | None` may be left out)."""
        super().__pydantic_init_subclass__(**kwargs)
        optional = [info for info in cls.model_fields.values()
                    if info.is_required() and type(None) in typing.get_args(info.annotation)]
        for info in optional:
            info.default = None
        if optional:
            cls.model_rebuild(force=True)

    @staticmethod
    def register(models: type[BaseModel] | Sequence[type[BaseModel]]) -> None:
        """Kept for DataChain scripts: models need no registration here, any pydantic model is storable."""

    @classmethod
    def hidden_fields(cls) -> list[str]:
        """Fields `show()` and `to_pandas(include_hidden=False)` leave out."""
        return list(cls._hidden_fields)


def is_chain_type(t: Any) -> bool:
    """Whether `t` can be a column type: a pydantic model, a standard scalar, an Optional of one, `list[T]` or
    `dict[K, V]` of chain types.

    Example:
        >>> is_chain_type(list[int]), is_chain_type(set)
        (True, False)
    """
    if t is object or t is Any:
        return False
    try:
        spec_from_annotation(t)
    except Exception:  # noqa: BLE001 - any refusal means "not storable"
        return False
    return True
