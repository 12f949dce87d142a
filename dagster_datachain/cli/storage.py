"""Storage commands, `ls` and `du`, and what every command that takes a URI shares: `-o` options, anonymous
access, and storage failures as one-line errors naming the URI."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec

from ..errors import DataChainError
from ..kb.render import human_size, utc
from ..memory.store import Memory
from ..storage.filesystem import (
    StorageURI,
    client_options,
    filesystem_for,
    parse_uri,
    register_storage_options,
    storage_error,
)
from ..storage.listing import list_prefix
from .common import Commands, print_table

_GLOB = re.compile(r"[*?\[]")


def register(commands: Commands) -> None:
    """Add `ls` and `du`."""
    sub = commands.add("ls", ls, "List the files and folders directly under a storage URI, with sizes and dates.")
    sub.add_argument("uri", help="local path, file://, s3://, gs:// or az:// URI; globs (*, ?, [...]) allowed")
    sub.add_argument("--anon", action="store_true", help="no credentials (public buckets)")

    sub = commands.add("du", du, "Count the files under a storage URI and add up their sizes.")
    sub.add_argument("uri")
    sub.add_argument("--anon", action="store_true", help="no credentials (public buckets)")


def ls(args: argparse.Namespace, memory: Memory) -> None:
    """Print the entries directly under `args.uri` (or matching its glob): size, modification time, name."""
    fs, path = filesystem_and_path(args.uri, args.anon)
    with storage_errors("list", args.uri):
        found = fs.glob(path, detail=True).values() if _GLOB.search(path) else fs.ls(path, detail=True)
        entries = sorted(found, key=lambda e: str(e["name"]))
    rows = []
    for entry in entries:
        folder = entry.get("type") == "directory"
        name = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1] + ("/" if folder else "")
        modified = _modified(entry)
        rows.append(("" if folder else human_size(int(entry.get("size") or 0)),
                     utc(modified) if modified else "", name))
    print_table(rows)


def du(args: argparse.Namespace, memory: Memory) -> None:
    """Print the total size and number of files under `args.uri`, listed as `read_storage` lists it."""
    listing = list_prefix(parsed_uri(args.uri, args.anon))
    for _ in listing:  # pages; a long listing logs its progress
        pass
    print(f"{human_size(listing.total_size)}\t{listing.file_count:,} files\t{args.uri}")


def register_options(args: argparse.Namespace) -> None:
    """Register the `-o KEY=VALUE` options (in this process only) for the scheme of every URI argument.

    Args:
        args: the parsed command line; values are parsed as JSON when they can be (`true`, `5`).

    Raises:
        DataChainError: an option is not KEY=VALUE (the message gives its number, never its value).
    """
    options: dict[str, Any] = {}
    for number, item in enumerate(args.option, 1):
        key, separator, value = item.partition("=")
        if not separator or not key:  # the value may be a secret: not echoed
            raise DataChainError(f"storage option #{number} (-o) is not KEY=VALUE, "
                                 "e.g. -o endpoint_url=http://host:9000")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    uris = [v for v in vars(args).values() if isinstance(v, str) and "://" in v and not v.startswith("file://")]
    for uri in uris if options else []:
        register_storage_options(uri.split("://", 1)[0] + "://", options)


def filesystem_and_path(uri: str, anon: bool) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and fsspec path of a local path or URI (validated as `read_storage` validates it).

    Raises:
        StorageError: an unsupported scheme, credentials in the URI, or a missing client package.
    """
    if is_local(uri):
        rest = uri.split("://", 1)[-1]
        return fsspec.filesystem("file"), str(Path(rest).expanduser().resolve())
    return filesystem_for(parsed_uri(uri, anon).source), uri.split("://", 1)[1]


def is_local(uri: str) -> bool:
    """Whether `uri` is a local path or a `file://` URI."""
    scheme, separator, _ = uri.partition("://")
    return not separator or scheme == "file"


def parsed_uri(uri: str, anon: bool) -> StorageURI:
    """The parsed URI, its bucket registered for anonymous access when `anon`."""
    parsed = parse_uri(uri)
    if anon and not parsed.is_local:
        register_storage_options(parsed.source, client_options(parsed.protocol, anon=True))
    return parsed


@contextmanager
def storage_errors(action: str, uri: str) -> Iterator[None]:
    """Turn whatever the storage client raises inside the block into a StorageError naming `uri` (no secret).

    Example:
        >>> with storage_errors("list", "s3://bucket/"):
        ...     fs.ls("bucket/")
    """
    try:
        yield
    except Exception as exc:  # the network boundary: client libraries raise their own types
        raise storage_error(action, uri, exc)  # noqa: B904 - the helper chains exc


def _modified(entry: dict[str, Any]) -> datetime | None:
    value = entry.get("LastModified") or entry.get("last_modified") or entry.get("updated") or entry.get("mtime")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if isinstance(value, datetime) else None
