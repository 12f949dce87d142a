"""Storage URIs -> fsspec filesystems (file, s3, gs, az), and glob patterns -> regular expressions.

Credentials live only in this process (`register_storage_options`); they are never stored in Data Memory.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from ..errors import StorageError

_GLOB_CHARS = re.compile(r"[*?\[{]")
_CLOUD_PROTOCOLS = {"s3": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "az", "abfss": "az", "memory": "memory"}

_options_lock = threading.Lock()
_storage_options: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class StorageURI:
    """A parsed storage URI: `source` (e.g. `s3://bucket`, `file:///data`), the listed prefix and a glob.

    `prefix` and `glob` are relative to `source`; `glob` is empty when the URI names a whole prefix.
    """

    protocol: str
    source: str
    prefix: str
    glob: str

    @property
    def is_local(self) -> bool:
        return self.protocol == "file"

    def fs_path(self, path: str = "") -> str:
        """The path fsspec understands for `path` (relative to source)."""
        root = self.source.split("://", 1)[1]
        return f"{root.rstrip('/')}/{path}" if path else root


def parse_uri(uri: str | os.PathLike[str]) -> StorageURI:
    """Split a URI or local path into source, listed prefix and glob.

    Example:
        >>> parse_uri("s3://bucket/images/**/*.jpg")
        StorageURI(protocol='s3', source='s3://bucket', prefix='images/', glob='images/**/*.jpg')
    """
    text = os.fspath(uri)
    scheme, sep, rest = text.partition("://")
    if not sep or scheme == "file":
        return _parse_local(rest if sep else text)
    protocol = _CLOUD_PROTOCOLS.get(scheme)
    if protocol is None:
        raise StorageError(f"unsupported storage scheme '{scheme}://' in {text}", uri=text)
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise StorageError(f"no bucket in storage URI {text}", uri=text)
    prefix, glob = _split_glob(key)
    return StorageURI(protocol, f"{scheme}://{bucket}", prefix, glob)


def _parse_local(path: str) -> StorageURI:
    prefix, glob = _split_glob(path)
    directory = Path(prefix or ".").expanduser().resolve()
    if not glob and directory.is_file():
        return StorageURI("file", directory.parent.as_uri(), "", directory.name)
    relative_glob = glob[len(prefix) :] if glob else ""
    return StorageURI("file", directory.as_uri(), "", relative_glob)


def _split_glob(key: str) -> tuple[str, str]:
    """`a/b/**/*.jpg` -> (`a/b/`, `a/b/**/*.jpg`); a key without wildcards is a prefix."""
    match = _GLOB_CHARS.search(key)
    if match is None:
        return (key if key.endswith("/") or not key else key + "/"), ""
    prefix = key[: key.rfind("/", 0, match.start()) + 1]
    return prefix, key


def glob_to_regex(pattern: str) -> str:
    """Translate a path glob (`*`, `**`, `?`, `[...]`, `{a,b}`) to an anchored regular expression.

    Example:
        >>> bool(re.fullmatch(glob_to_regex("img/**/*.{jpg,png}"), "img/a/b.png"))
        True
    """
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end
        elif ch == "{":
            out.append("(?:")
            depth += 1
        elif ch == "}" and depth:
            out.append(")")
            depth -= 1
        elif ch == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def register_storage_options(source: str, options: dict[str, Any]) -> None:
    """Remember (in this process only) how to reach `source`, so `File.read()` finds the same credentials."""
    with _options_lock:
        _storage_options[source] = dict(options)


def storage_options_for(source: str) -> dict[str, Any]:
    with _options_lock:
        return dict(_storage_options.get(source, {}))


def filesystem_for(source: str) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem for a source (`s3://bucket`, `file:///dir`), with its registered options."""
    protocol = parse_uri(source + "/").protocol
    options = storage_options_for(source)
    return _cached_filesystem(protocol, json.dumps(options, sort_keys=True, default=str))


@functools.lru_cache(maxsize=64)
def _cached_filesystem(protocol: str, options_json: str) -> fsspec.AbstractFileSystem:
    options = json.loads(options_json)
    try:
        return fsspec.filesystem(protocol, **options)
    except ImportError as exc:
        package = {"s3": "s3fs", "gs": "gcsfs", "az": "adlfs"}.get(protocol, protocol)
        raise StorageError(
            f"reading {protocol}:// needs the '{package}' package: pip install 'dagster_datachain[cloud]'",
            uri=f"{protocol}://",
        ) from exc
