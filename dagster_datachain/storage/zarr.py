"""Zarr stores as rows: a `ZarrStore` points at a store root (a folder of metadata and chunk objects, v2 or v3),
`ZarrArray` at one array in it, `ZarrSelection` at one item of an array; nothing is read until asked for.

Reading needs the optional `zarr` package (`pip install 'dagster_datachain[zarr]'`); the models do not.

Example:
    >>> for (store,) in read_zarr("s3://bucket/data/").to_iter("zarr"):
    ...     print(store.get_info().arrays)
"""

from __future__ import annotations

import importlib
import io
import posixpath
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from .file import File
from .filesystem import client_kwargs, parse_source, storage_options_for

ROOT_MARKERS = ("zarr.json", ".zgroup", ".zarray")
"""Metadata objects that mark a store root: v3 `zarr.json`, v2 group `.zgroup` or array-only `.zarray`."""
SUFFIX = ".zarr"


def _zarr() -> Any:
    try:
        return importlib.import_module("zarr")
    except ImportError as exc:
        raise ImportError("reading Zarr stores needs the 'zarr' package: pip install 'dagster_datachain[zarr]'") \
            from exc


class ZarrInfo(BaseModel):
    """A store's format version, the paths of its arrays and its root attributes."""

    zarr_format: int | None = Field(default=None)
    arrays: list[str] = Field(default_factory=list)
    attrs: dict = Field(default_factory=dict)


class ZarrStore(BaseModel):
    """The root of a Zarr store; `file` points at the root folder."""

    file: File

    @property
    def source(self) -> str:
        return self.file.source

    @property
    def path(self) -> str:
        return self.file.path

    def open(self, mode: Literal["r", "r+", "a", "w", "w-"] = "r") -> Any:
        """The store's root node (a zarr Group or Array), with the storage options registered for its source."""
        zarr = _zarr()
        protocol = parse_source(self.file.source).protocol
        if protocol == "file":
            return zarr.open(self.file.get_fs_path(), mode=mode)
        options = client_kwargs(protocol, storage_options_for(self.file.source))
        return zarr.open(self.file.get_uri(), mode=mode, storage_options=options)

    def get_info(self) -> ZarrInfo:
        """Format version, array paths (recursively) and root attributes."""
        node = self.open()
        return ZarrInfo(zarr_format=int(node.metadata.zarr_format), arrays=[a.path for a in self._arrays(node)],
                        attrs=dict(node.attrs))

    def get_arrays(self) -> Iterator[ZarrArray]:
        """Every array of the store, groups walked recursively, in name order."""
        yield from self._arrays(self.open())

    def get_array(self, path: str = "") -> ZarrArray:
        """The array at `path` inside the store ("" for an array-only store)."""
        node = self.open()
        array = node[path] if path else node
        if not isinstance(array, _zarr().Array):
            raise ValueError(f"'{path}' is not a Zarr array in store {self.path!r}")
        return self._array(array, path)

    def _arrays(self, node: Any, prefix: str = "") -> Iterator[ZarrArray]:
        if isinstance(node, _zarr().Array):
            yield self._array(node, prefix)
            return
        members = dict(node.members())  # by name: some filesystems list a member twice, in any order
        for name in sorted(members):
            yield from self._arrays(members[name], f"{prefix}/{name}".lstrip("/"))

    def _array(self, array: Any, path: str) -> ZarrArray:
        return ZarrArray(store=self, path=path, shape=list(array.shape),
                         chunks=None if array.chunks is None else list(array.chunks), dtype=str(array.dtype),
                         attrs=dict(array.attrs))


class ZarrArray(BaseModel):
    """One array of a store: where it is, its shape, chunk shape, dtype and attributes."""

    store: ZarrStore
    path: str = Field(default="")
    shape: list[int] = Field(default_factory=list)
    chunks: list[int] | None = Field(default=None)
    dtype: str = Field(default="")
    attrs: dict = Field(default_factory=dict)

    _hidden_fields: ClassVar[list[str]] = ["attrs"]

    def read(self, selection: Any = None) -> Any:
        """The array's data as NumPy, all of it or a NumPy-style `selection`."""
        node = self.store.open()
        array = node[self.path] if self.path else node
        return array[...] if selection is None else array[selection]

    def select(self, index: int | list[int], media: Literal["image", "audio", "video"] | None = None) -> ZarrSelection:
        """A pointer to one item (the leading axes given by `index`), read only when asked for."""
        return ZarrSelection(array=self, index=[index] if isinstance(index, int) else list(index), media=media)


class ZarrSelection(BaseModel):
    """One item of an array: `index` addresses its leading axes; `media` says how to render it."""

    array: ZarrArray
    index: list[int] = Field(default_factory=list)
    media: Literal["image", "audio", "video"] | None = Field(default=None)

    def read(self) -> Any:
        """The item's data as NumPy."""
        return self.array.read(tuple(self.index))

    def read_bytes(self, format: str = "PNG") -> bytes:
        """The item encoded as an image of `format` (image media only)."""
        if self.media not in (None, "image"):
            raise ValueError(f"read_bytes() supports image media, not {self.media!r}")
        import numpy as np
        from PIL import Image

        pixels = np.asarray(self.read())
        buffer = io.BytesIO()
        extension = "." + format.lower().removeprefix(".")
        Image.fromarray(pixels.astype("uint8")).save(buffer, format=Image.registered_extensions().get(
            extension, format.upper()))
        return buffer.getvalue()


def store_of(file: File) -> ZarrStore:
    """The store whose root marker `file` is: its folder, or the listed folder itself when the marker lies at the
    top of the listing."""
    folder = posixpath.dirname(file.path)
    if folder:
        return ZarrStore(file=File(source=file.source, path=folder))
    scheme, _, location = file.source.rstrip("/").partition("://")
    head, _, name = location.rpartition("/")
    if not head or (scheme != "file" and "/" not in location):  # a bare bucket is the store
        return ZarrStore(file=File(source=file.source.rstrip("/"), path=""))
    return ZarrStore(file=File(source=f"{scheme}://{head}", path=name))
