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
    """Put cached copies under `directory` (the Data Memory sets it to `<root>/cache`)."""
    global _cache_dir
    _cache_dir = directory


def cache_path(file: File) -> Path:
    """Where the cached copy of this exact object version lives."""
    key = "\0".join([file.source, file.path, file.version, file.etag, str(file.size)])
    digest = hashlib.sha256(key.encode()).hexdigest()
    return _cache_dir / digest[:2] / digest


def cached_copy(file: File) -> Path:
    """The cached copy of `file`, downloading it once; the rename makes a half-written copy impossible."""
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
