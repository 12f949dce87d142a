"""`read_zarr`: one row per Zarr store found under a storage location (DataChain's reader)."""

from __future__ import annotations

import os
from functools import reduce
from typing import Any

from ..storage.file import File
from ..storage.zarr import ROOT_MARKERS, SUFFIX, ZarrStore, store_of
from .chain import DataChain
from .expr import C, Expr
from .readers import read_storage


def read_zarr(path: str | os.PathLike[str] | list[str] | list[os.PathLike[str]], column: str = "zarr",
              session: Any = None, settings: dict[str, Any] | None = None, in_memory: bool = False,
              **kwargs: Any) -> DataChain:
    """A chain with one `ZarrStore` column: each `*.zarr` folder under `path` (or `path` itself when it is a store
    root). `kwargs` go to `read_storage` (`anon=`, `update=`, storage options). `session`, `settings` and
    `in_memory` are accepted for DataChain's signature.

    Example:
        >>> read_zarr("s3://bucket/data/").map(arrays=lambda zarr: zarr.get_info().arrays)
    """
    paths = path if isinstance(path, list) else [path]
    chains = [read_storage(p, **kwargs) for p in paths]
    chain = reduce(DataChain.union, chains)
    roots: list[Expr] = []
    for marker in ROOT_MARKERS:
        roots += [C("file.path").glob(f"*{SUFFIX}/{marker}"), C("file.path") == marker]
    return chain.filter(reduce(lambda a, b: a | b, roots)).map(_store, output={column: ZarrStore})


def _store(file: File) -> ZarrStore:
    return store_of(file)
