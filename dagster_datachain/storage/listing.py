"""Listing a storage prefix through fsspec into File rows, in batches, with a fingerprint of what was seen."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import StorageError
from .file import EPOCH
from .filesystem import StorageURI, filesystem_for

logger = logging.getLogger(__name__)

FILE_COLUMNS = ("source", "path", "size", "version", "etag", "is_latest", "last_modified", "location")


@dataclass
class ListingResult:
    """Column batches of File rows plus totals; `fingerprint` changes whenever any listed object does."""

    batches: list[dict[str, list[Any]]] = field(default_factory=list)
    file_count: int = 0
    total_size: int = 0
    fingerprint: str = ""


def list_prefix(uri: StorageURI, batch_size: int = 50_000) -> ListingResult:
    """List every object under `uri.prefix` (recursively), as File rows relative to `uri.source`."""
    fs = filesystem_for(uri.source)
    root = uri.fs_path(uri.prefix).rstrip("/")
    fs.invalidate_cache()  # fsspec caches bucket listings per filesystem object; a listing must be fresh
    try:
        entries = fs.find(root, detail=True, withdirs=False)
    except FileNotFoundError as exc:
        raise StorageError(f"storage location not found: {uri.source}/{uri.prefix}", uri=uri.source) from exc
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot list {uri.source}/{uri.prefix}: {exc}", uri=uri.source) from exc
    source_root = uri.fs_path().rstrip("/")
    result = ListingResult()
    digest = hashlib.sha256()
    batch = _empty_batch()
    for fs_path in sorted(entries):
        info = entries[fs_path]
        if info.get("type") == "directory":
            continue
        row = _file_row(uri.source, _relative(fs_path, source_root), info)
        for name in FILE_COLUMNS:
            batch[name].append(row[name])
        digest.update(f"{row['path']}\0{row['size']}\0{row['etag']}\0{row['version']}\0".encode())
        result.file_count += 1
        result.total_size += row["size"]
        if len(batch["path"]) >= batch_size:
            result.batches.append(batch)
            batch = _empty_batch()
    if batch["path"]:
        result.batches.append(batch)
    result.fingerprint = digest.hexdigest()
    logger.info("Listed %s files (%s bytes) under %s/%s", result.file_count, result.total_size, uri.source, uri.prefix)
    return result


def _empty_batch() -> dict[str, list[Any]]:
    return {name: [] for name in FILE_COLUMNS}


def _relative(fs_path: str, source_root: str) -> str:
    fs_path = fs_path.lstrip("/") if not source_root.startswith("/") else fs_path
    return fs_path[len(source_root) :].lstrip("/") if fs_path.startswith(source_root) else fs_path


def _file_row(source: str, path: str, info: dict[str, Any]) -> dict[str, Any]:
    """Map one fsspec info dict (local, S3, GCS or Azure flavour) to File fields."""
    version = info.get("VersionId") or info.get("version_id") or info.get("generation") or ""
    etag = str(info.get("ETag") or info.get("etag") or info.get("md5Hash") or "").strip('"')
    modified = info.get("LastModified") or info.get("last_modified") or info.get("updated") or info.get("mtime")
    if not etag and info.get("mtime") is not None:  # local files: mtime + size identify the content
        etag = f"{int(float(info['mtime']) * 1e9):x}-{int(info.get('size') or 0):x}"
    return {
        "source": source,
        "path": path,
        "size": int(info.get("size") or 0),
        "version": "" if version in (None, "null") else str(version),
        "etag": etag,
        "is_latest": bool(info.get("IsLatest", True)),
        "last_modified": _as_datetime(modified),
        "location": None,
    }


def _as_datetime(value: Any) -> datetime:
    if value is None:
        return EPOCH
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
