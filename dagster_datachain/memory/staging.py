"""UDF checkpoints shared through a remote Data Memory data path, so a step on another machine continues them.

The local checkpoint folder stays the working copy (its atomic renames and file locks need a local disk). On a
DuckLake whose data path is object storage (`s3://bucket/prefix/`), every file a checkpoint commits (sealed
input, `meta.json`, each part) is also uploaded to `<data path>/_dc_staging/<checkpoint folder>/<same name>` right
after its local commit, and before a run counts what is done it downloads what is there but not here. An object
store shows an object only once it is whole, and `meta.json` goes up after `input.parquet`, so no reader sees
half a part or an input without its meta. Credentials come from the lake's storage options over the registered
ones and the environment; messages show only the location.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

import fsspec

from ..storage.filesystem import filesystem_for, parse_uri, storage_error
from ..storage.secrets import remember_secrets

logger = logging.getLogger(__name__)

FOLDER = "_dc_staging"
"""The folder under a Data Memory's data path that holds checkpoints (local and remote alike)."""


class RemoteStaging:
    """The `_dc_staging` folder under a remote data path: one sub-folder per checkpoint, mirroring its files."""

    def __init__(self, data_path: str, storage_options: dict[str, Any]) -> None:
        uri = parse_uri(f"{data_path.rstrip('/')}/{FOLDER}/")
        self.location = uri.location
        self._source = uri.source
        self._root = uri.fs_path(uri.prefix).rstrip("/")
        self._options = dict(storage_options)
        remember_secrets(self._options)

    def upload(self, directory: Path, file: Path) -> None:
        """Copy a committed file of a checkpoint folder to the same name under its remote copy."""
        target = self._path(directory.name, file.relative_to(directory).as_posix())
        try:
            self._fs().put_file(str(file), target)
        except Exception as exc:  # noqa: BLE001 - every client failure becomes a StorageError naming the place
            raise storage_error("upload a checkpoint file to", self._uri(target), exc)  # noqa: B904 - the helper chains exc

    def download(self, directory: Path, *, skip: Collection[str] = (), last: str = "", requires: str = "") -> int:
        """Download the files of the folder's remote copy that `directory` lacks (except the names in `skip`),
        in name order (`input.parquet` before `meta.json` before `parts/`) but `last` (a marker that the rest
        is complete) at the end, each renamed into place once whole; nothing unless `requires` is there or here
        (parts without the input they belong to are of no use). Returns how many files."""
        fs = self._fs()
        folder = self._path(directory.name)
        try:
            fs.invalidate_cache(folder)  # another machine may have committed since we last looked
            remote = sorted(fs.find(folder), key=lambda path: (path == f"{folder}/{last}", path))
        except FileNotFoundError:
            return 0
        except Exception as exc:  # noqa: BLE001
            raise storage_error("list", self._uri(folder), exc)  # noqa: B904 - the helper chains exc
        if requires and not (directory / requires).exists() and f"{folder}/{requires}" not in remote:
            return 0
        fetched = 0
        for path in remote:
            name = path[len(folder) + 1 :]
            target = directory / name
            if name in skip or target.name.startswith(".") or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}")
            try:
                fs.get_file(path, str(partial))
                os.replace(partial, target)
            except Exception as exc:  # noqa: BLE001
                raise storage_error("download", self._uri(path), exc)  # noqa: B904 - the helper chains exc
            finally:
                partial.unlink(missing_ok=True)
            fetched += 1
        if fetched:
            logger.info("checkpoint %s: %s files downloaded from %s", directory.name, fetched, self.location)
        return fetched

    def remove(self, name: str) -> None:
        """Delete a checkpoint's remote copy (after a save used it); a failure only warns: the save is done."""
        folder = self._path(name)
        fs = self._fs()
        try:
            fs.rm(folder, recursive=True)
        except FileNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001
            logger.warning("%s", storage_error("remove the checkpoint copy", self._uri(folder), exc))
        fs.invalidate_cache(folder)

    def remove_untouched(self, older_than: float) -> set[str]:
        """Delete the checkpoint copies none of whose files changed for `older_than` seconds (runs abandoned on
        any machine); returns their names. Unlike local checkpoints, a copy has no lock: a run on another
        machine that is idle for that long loses its copy and computes its missing parts again."""
        fs = self._fs()
        try:
            fs.invalidate_cache(self._root)
            files = fs.find(self._root, detail=True)
        except Exception as exc:  # noqa: BLE001
            logger.warning("%s", storage_error("list", self._uri(self._root), exc))
            return set()
        touched: dict[str, float] = defaultdict(float)
        for path, info in files.items():
            name = path[len(self._root) + 1 :].split("/", 1)[0]
            touched[name] = max(touched[name], _modified(info))
        cutoff = time.time() - older_than
        stale = {name for name, when in touched.items() if when <= cutoff}
        for name in stale:
            self.remove(name)
        return stale

    def _fs(self) -> fsspec.AbstractFileSystem:
        return filesystem_for(self._source, self._options)

    def _path(self, *names: str) -> str:
        return "/".join([self._root, *names])

    def _uri(self, path: str) -> str:
        return f"{self._source.split('://', 1)[0]}://{path}"


def _modified(info: dict[str, Any]) -> float:
    """When an object was last written (seconds since the epoch); now if the store does not say."""
    value = info.get("LastModified") or info.get("last_modified") or info.get("updated") or info.get("mtime")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return time.time()
