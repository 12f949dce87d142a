"""A local, content-addressed cache of remote file bytes (`settings(cache=True)`, `File.get_local_path()`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .file import File

_cache_dir = Path(tempfile.gettempdir()) / "dagster_datachain_cache"


def configure_cache(directory: Path) -> None:
    """Put cached copies under `directory` from now on, in this process.

    Args:
        directory: the cache folder; the Data Memory sets it to `<root>/cache`.
    """
    global _cache_dir
    _cache_dir = directory


def cache_path(file: File) -> Path:
    """Where the cached copy of this exact object version lives (whether or not it is there yet).

    Args:
        file: the file; its source, path, version, etag and size make the key, so a changed object is a new copy.

    Returns:
        `<cache>/<2 hex digits>/<sha256 of the key>`.
    """
    key = "\0".join([file.source, file.path, file.version, file.etag, str(file.size)])
    digest = hashlib.sha256(key.encode()).hexdigest()
    return _cache_dir / digest[:2] / digest


def cached_copy(file: File) -> Path:
    """The cached copy of `file`, downloading it once; the rename makes a half-written copy impossible.

    Args:
        file: the file to cache.

    Returns:
        The local path of the copy.

    Raises:
        StorageError: the download failed (nothing is left in the cache).

    Example:
        >>> cached_copy(File(source="s3://bucket", path="images/cat.jpg", size=4021)).exists()
        True
    """
    target = cache_path(file)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, file.open() as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target
