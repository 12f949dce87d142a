"""Copying (or linking) a chain's files to a local folder or a storage prefix, as DataChain's `to_storage` does."""

from __future__ import annotations

import itertools
import os
import posixpath
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal
from urllib.parse import urlparse

import fsspec

from ..errors import DataChainParamsError, StorageError
from ..storage.file import File
from ..storage.filesystem import client_kwargs, client_options, parse_uri, storage_options_for

Placement = Literal["filename", "etag", "fullpath", "filepath", "checksum"]


def destination_suffix(file: File, placement: Placement) -> str:
    """Where `file` goes below the output folder: its name, `<etag><suffix>`, its path, or bucket + path."""
    if placement == "filename":
        path = file.name
    elif placement == "etag":
        path = f"{file.etag}{posixpath.splitext(file.path)[1]}"
    elif placement == "fullpath":
        source = urlparse(file.source)
        path = posixpath.join(source.netloc, file.path.lstrip("/")) if source.scheme not in ("", "file") \
            else file.path
    elif placement == "filepath":
        path = file.path
    elif placement == "checksum":
        raise NotImplementedError("Checksum placement not implemented yet")
    else:
        raise DataChainParamsError(f"Unsupported file export placement: {placement}")
    return path.lstrip("/")


class Exporter:
    """Writes files below `output` (a local folder, `file://` URI or storage prefix)."""

    def __init__(self, output: str | os.PathLike[str], placement: Placement, link_type: Literal["copy", "symlink"],
                 anon: bool | None, client_config: dict[str, Any] | None) -> None:
        self.placement = placement
        self.link_type = link_type
        text = os.fspath(output)
        scheme = text.partition("://")[0] if "://" in text else ""
        self.local_root = os.path.abspath(text.removeprefix("file://")) if scheme in ("", "file") else None
        self.remote: tuple[fsspec.AbstractFileSystem, str] | None = None
        if self.local_root is None:
            parsed = parse_uri(text)
            options = {**storage_options_for(parsed.source),
                       **client_options(parsed.protocol, anon=bool(anon), client_config=client_config)}
            fs = fsspec.filesystem(parsed.protocol, **client_kwargs(parsed.protocol, options))
            self.remote = (fs, parsed.fs_path(parsed.prefix).rstrip("/"))

    def export(self, file: File | None) -> None:
        if file is None:
            return
        suffix = destination_suffix(file, self.placement)
        if self.remote is not None:
            fs, root = self.remote
            with file.open() as src, fs.open(f"{root}/{suffix}", "wb") as dst:
                shutil.copyfileobj(src, dst)
            return
        assert self.local_root is not None
        destination = os.path.normpath(os.path.join(self.local_root, suffix))
        if os.path.commonpath([self.local_root, destination]) != self.local_root:
            raise StorageError(f"destination {destination} is not within output directory {self.local_root}",
                               uri=file.get_uri())
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        if self.link_type == "symlink" and file.is_local:
            try:
                os.symlink(file.get_fs_path(), destination)
                return
            except FileExistsError:
                raise
            except OSError:  # a filesystem without links: copy, as DataChain falls back to
                pass
        file.save(destination)


def export_files(files: Iterable[File | None], output: str | os.PathLike[str], *, placement: Placement,
                 link_type: Literal["copy", "symlink"], num_threads: int | None, anon: bool | None,
                 client_config: dict[str, Any] | None) -> None:
    """Export every file on `num_threads` threads; the first failure is raised."""
    exporter = Exporter(output, placement, link_type, anon, client_config)
    rows = iter(files)
    with ThreadPoolExecutor(max_workers=max(1, num_threads or 1)) as pool:
        while batch := list(itertools.islice(rows, _BATCH)):  # bounded: a billion files never sit in memory
            for _ in pool.map(exporter.export, batch):
                pass


_BATCH = 1000
