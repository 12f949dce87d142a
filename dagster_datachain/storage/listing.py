"""Listing a storage prefix through fsspec, page by page, into File rows, with a fingerprint of what was seen.

Buckets are listed flat (no delimiter), in the pages the store answers with: S3 through s3fs, GCS through gcsfs,
Azure Blob through adlfs. Anything else (local folders, memory://) is walked one directory at a time with
`fs.walk`. Only one page of the store's entries is held at a time; the caller decides what to keep of the rows.
A versioned listing (`version_aware=True` among the storage options) has one row per object version, the
current ones with `is_latest=True`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import fsspec
from fsspec.asyn import sync

from .file import EPOCH
from .filesystem import ATTEMPTS, StorageURI, filesystem_for, storage_error, storage_timeout
from .secrets import MaskSecrets

logger = logging.getLogger(__name__)
logger.addFilter(MaskSecrets())  # locations are logged: no secret may ride along

FILE_COLUMNS = ("source", "path", "size", "version", "etag", "is_latest", "last_modified", "location")
LISTING_PAGE_SIZE = 1000
"""Entries per page asked of GCS and Azure (S3 answers in pages of 1,000) and rows per yielded page."""
PROGRESS_SECONDS = 5.0
"""How often a long listing logs how far it got."""

Page = dict[str, list[Any]]
"""File rows of one page, by column (FILE_COLUMNS)."""
Entries = list[dict[str, Any]]
"""fsspec info dicts of one page."""


class PrefixListing:
    """One pass over every object under a URI's prefix: iterating yields pages of File rows (as columns).

    `file_count`, `total_size` and `fingerprint` are complete once the iteration has finished; the fingerprint
    does not depend on the order the store lists objects in. Failures raise `StorageError` naming the URI.

    Args:
        uri: the parsed URI whose prefix is listed (recursively).
        page_size: entries asked of the store per page; LISTING_PAGE_SIZE by default.

    Example:
        >>> listing = PrefixListing(parse_uri("s3://bucket/images/"))
        >>> paths = [path for page in listing for path in page["path"]]
        >>> listing.file_count == len(paths)
        True
    """

    def __init__(self, uri: StorageURI, page_size: int | None = None) -> None:
        self.uri = uri
        self.page_size = page_size or LISTING_PAGE_SIZE
        self.file_count = 0
        self.total_size = 0
        self._digest = 0

    @property
    def fingerprint(self) -> str:
        """Changes whenever an object is added, removed or changed (size, etag, version, is_latest)."""
        return f"{self._digest:064x}"

    def __iter__(self) -> Iterator[Page]:
        location = self.uri.location
        fs = filesystem_for(self.uri.source)
        fs.invalidate_cache()  # fsspec caches listings per filesystem object; a listing must be fresh
        entries = _entry_pages(fs, self.uri, self.page_size)
        progress = _Progress(location)
        while True:
            try:
                page = next(entries, None)
            except Exception as exc:  # whatever the client library raises, at the network boundary
                raise storage_error("list", location, exc)  # noqa: B904 - the helper chains exc
            if page is None:
                break
            rows = self._rows(page)
            progress.advance(len(rows["path"]))
            if rows["path"]:
                yield rows
        logger.info("Listed %s files (%s bytes) under %s", f"{self.file_count:,}", f"{self.total_size:,}", location)

    def _rows(self, entries: Entries) -> Page:
        page: Page = {name: [] for name in FILE_COLUMNS}
        source_root = self.uri.fs_path().rstrip("/")
        for info in entries:
            name = _entry_name(info)
            if info.get("type") == "directory" or name.endswith("/"):
                continue
            row = _file_row(self.uri.source, _relative(name, source_root), info)
            for column in FILE_COLUMNS:
                page[column].append(row[column])
            identity = f"{row['path']}\0{row['size']}\0{row['etag']}\0{row['version']}\0{row['is_latest']}"
            self._digest = (self._digest + int.from_bytes(hashlib.sha256(identity.encode()).digest())) % (1 << 256)
            self.file_count += 1
            self.total_size += row["size"]
        return page


def list_prefix(uri: StorageURI, page_size: int | None = None) -> PrefixListing:
    """List every object under `uri.prefix` (recursively), as pages of File rows relative to `uri.source`.

    Args:
        uri: the parsed URI.
        page_size: entries per page; LISTING_PAGE_SIZE by default.

    Returns:
        The listing, which lists when iterated (not before).

    Example:
        >>> listing = list_prefix(parse_uri("gs://bucket/images/"))
        >>> files = sum(len(page["path"]) for page in listing)
    """
    return PrefixListing(uri, page_size)


class _Progress:
    """Logs a long listing's progress every PROGRESS_SECONDS, and each page at DEBUG level."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.pages = self.objects = 0
        self.started = self.last = time.monotonic()

    def advance(self, objects: int) -> None:
        self.pages += 1
        self.objects += objects
        logger.debug("Listing %s: page %d, %d files", self.location, self.pages, objects)
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            rate = self.objects / max(now - self.started, 1e-9)
            logger.info("Listing %s: %s files so far (%.0f/s)", self.location, f"{self.objects:,}", rate)


# ----------------------------------------------------------------------------- pages of fsspec entries


def _entry_pages(fs: fsspec.AbstractFileSystem, uri: StorageURI, page_size: int) -> Iterator[Entries]:
    """Pages of fsspec info dicts for everything under the prefix (a single object if the prefix names one)."""
    root = uri.fs_path(uri.prefix).rstrip("/")
    versions = bool(getattr(fs, "version_aware", False))
    flat = _FLAT_PAGES.get(uri.protocol)
    # a page is one request: it fails within the client's own timeouts, and a deadline bounds it whatever they are
    deadline = (ATTEMPTS + 1) * storage_timeout(uri.source)
    pages = _drive(fs, flat(fs, root, versions, page_size), deadline) if flat else _walk_pages(fs, root)
    found = False
    for page in pages:
        found = found or bool(page)
        yield page
    if not found and uri.prefix and not uri.is_local:  # `s3://bucket/key.jpg` names one object, not a folder
        try:
            info = fs.info(root)
        except FileNotFoundError:
            return
        if info.get("type") == "file":
            yield [info]


def _walk_pages(fs: fsspec.AbstractFileSystem, root: str) -> Iterator[Entries]:
    """One page per directory, through fsspec's generic walk."""
    for _, _, files in fs.walk(root, detail=True):
        yield list(files.values())


def _drive(fs: Any, pages: AsyncIterator[Entries], deadline: float) -> Iterator[Entries]:
    """Pull an async iterator of pages on the filesystem's event loop, one page per round trip, each within
    `deadline` seconds (else FSTimeoutError)."""

    async def next_page() -> Entries | None:
        return await anext(pages, None)

    waiting = False
    try:
        while True:
            waiting = True
            page = sync(fs.loop, next_page, timeout=deadline)
            waiting = False
            if page is None:
                return
            yield page
    finally:
        if not waiting:  # a failed page ended the generator; one past its deadline ends by the client's timeouts
            sync(fs.loop, pages.aclose)  # type: ignore[attr-defined]


def _split(root: str) -> tuple[str, str]:
    """`bucket/images` -> (`bucket`, `images/`): the bucket and the key prefix to list."""
    bucket, _, key = root.partition("/")
    return bucket, f"{key}/" if key else ""


async def _s3_pages(fs: Any, root: str, versions: bool, page_size: int) -> AsyncIterator[Entries]:
    """s3fs: ListObjectsV2 (or ListObjectVersions), through s3fs's own paging, retries and error translation."""
    bucket, prefix = _split(root)
    page: Entries = []
    async for info in fs._iterdir(bucket, delimiter="", prefix=prefix, versions=versions):
        page.append(info)
        if len(page) >= page_size:
            yield page
            page = []
    if page:
        yield page


async def _gcs_pages(fs: Any, root: str, versions: bool, page_size: int) -> AsyncIterator[Entries]:
    """gcsfs: the JSON API's objects.list, one request per page, entries shaped by gcsfs."""
    bucket, prefix = _split(root)
    token = None
    while True:
        answer = await fs._call("GET", "b/{}/o", bucket, json_out=True, prefix=prefix or None, maxResults=page_size,
                                pageToken=token, versions="true" if versions else None)
        yield [fs._process_object(bucket, item) for item in answer.get("items", [])]
        token = answer.get("nextPageToken")
        if not token:
            return


async def _azure_pages(fs: Any, root: str, versions: bool, page_size: int) -> AsyncIterator[Entries]:
    """adlfs: the container's list_blobs pages, entries shaped by adlfs."""
    container, prefix = _split(root)
    include = ["metadata", "versions"] if versions else ["metadata"]
    per_call = dict(getattr(fs, "_timeout_kwargs", {}))  # adlfs applies these to transfers only; listings too
    async with fs.service_client.get_container_client(container) as client:
        blobs = client.list_blobs(name_starts_with=prefix or None, include=include, results_per_page=page_size,
                                  **per_call)
        async for page in blobs.by_page():
            yield await fs._details([blob async for blob in page])


_FLAT_PAGES = {"s3": _s3_pages, "gs": _gcs_pages, "az": _azure_pages}


# ----------------------------------------------------------------------------- entries -> rows


def _entry_name(info: dict[str, Any]) -> str:
    """The object's fsspec path, without the `?versionId=` s3fs appends in versioned listings."""
    name = str(info.get("name", ""))
    suffix = f"?versionId={info.get('VersionId')}"
    return name.removesuffix(suffix)


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
    # S3 IsLatest, Azure is_current_version; a GCS generation that was replaced or deleted has timeDeleted
    latest = info.get("IsLatest", info.get("is_current_version", True)) and not info.get("timeDeleted")
    return {
        "source": source,
        "path": path,
        "size": int(info.get("size") or 0),
        "version": "" if version in (None, "null") else str(version),
        "etag": etag,
        "is_latest": bool(latest),
        "last_modified": _as_datetime(modified),
        "location": None,
    }


def _as_datetime(value: Any) -> datetime:
    if value is None:
        return EPOCH
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
