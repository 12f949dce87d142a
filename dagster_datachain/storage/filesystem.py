"""Storage URIs -> fsspec filesystems (file, s3, gs, az), glob patterns -> regular expressions, and storage
failures -> `StorageError`s that name the URI.

Credentials (storage options) live only in this process (`register_storage_options`): they are never stored in
Data Memory, and every `StorageError` masks them (`secrets.mask_secrets`). Credentials inside a URI
(`s3://KEY:SECRET@bucket`) are refused: they would end up in Data Memory as part of the source.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from ..errors import FileError, FileMissingError, StorageError
from .secrets import has_credentials, remember_secrets

_GLOB_CHARS = re.compile(r"[*?\[{]")
# URI scheme -> the canonical scheme sources are stored under (one listing for az:// and abfs://)
_CLOUD_PROTOCOLS = {"s3": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "az", "abfss": "az", "memory": "memory"}
_PACKAGES = {"s3": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "az": ("adlfs", "azure")}
"""The client package each cloud protocol needs, and the extra of this package that installs it."""
_ANONYMOUS: dict[str, dict[str, Any]] = {"s3": {"anon": True}, "gs": {"token": "anon"}, "az": {"anon": True}}

DEFAULT_TIMEOUT = 30.0
"""Seconds a storage request may go unanswered before it fails (the storage option `timeout=`)."""
ATTEMPTS = 2
"""Tries of a request that timed out, across all of a client's retry layers."""

_options_lock = threading.Lock()
_storage_options: dict[str, dict[str, Any]] = {}
_scoped_options: ContextVar[dict[str, dict[str, Any]]] = ContextVar(
    "dagster_datachain_storage_options", default={})  # noqa: B039 - never mutated: set() replaces it


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

    @property
    def location(self) -> str:
        """The listed location as a URI, e.g. `s3://bucket/images/` (for messages)."""
        return f"{self.source.rstrip('/')}/{self.prefix}"

    def fs_path(self, path: str = "") -> str:
        """The path fsspec understands for `path` (relative to source)."""
        root = self.source.split("://", 1)[1]
        return f"{root.rstrip('/')}/{path}" if path else root


def parse_uri(uri: str | os.PathLike[str]) -> StorageURI:
    """Split a URI or local path into source, listed prefix and glob.

    `gcs://` is stored as `gs://`, and `abfs://`/`abfss://` as `az://`, so each bucket has one source.

    Args:
        uri: a storage URI (`s3://`, `gs://`, `az://`, `file://`, `memory://`) or a local path, with an optional glob.

    Returns:
        The parsed URI; a local path is resolved to an absolute `file://` source.

    Raises:
        StorageError: an unsupported scheme, no bucket, or credentials in the URI.

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
    if has_credentials(f"{scheme}://{bucket}/"):
        raise StorageError(f"credentials in the storage URI {text} are not used: pass them as storage options "
                           "(key=, secret=, token=, account_key=) or through the environment", uri=text)
    prefix, glob = _split_glob(key)
    return StorageURI(protocol, f"{protocol}://{bucket}", prefix, glob)


@functools.lru_cache(maxsize=1024)
def parse_source(source: str) -> StorageURI:
    """`parse_uri` of a listed source (`s3://bucket`, `file:///dir`), remembered: every File read asks for it, and
    a local source would otherwise resolve its folder on disk for each file."""
    return parse_uri(source + "/")


def location_key(uri: str | os.PathLike[str]) -> list[str]:
    """Readable, unique key parts of a storage location, shared by Dagster asset keys and Knowledge Base pages:
    `s3://dc-readme/pets/` -> [s3, dc_readme, pets]; a local folder keeps its last two names plus a digest of its
    whole path ([file, pets, images_1f3a9c]), so the checkout's path never shows and folders that end alike differ.

    Args:
        uri: a storage URI or local path.

    Returns:
        The key parts, each made of letters, digits and `_`.

    Raises:
        StorageError: as `parse_uri`.

    Example:
        >>> location_key("s3://dc-readme/pets/")
        ['s3', 'dc_readme', 'pets']
    """
    parsed = parse_uri(uri)
    scheme, location = parsed.source.split("://", 1)
    names = [p for p in (location + "/" + parsed.prefix).split("/") if p]
    if scheme == "file":
        digest = hashlib.sha256("/".join(names).encode()).hexdigest()[:6]
        names = [*names[-2:-1], f"{names[-1]}_{digest}" if names else digest]
    return [scheme, *[re.sub(r"[^A-Za-z0-9_]", "_", p) for p in names]]


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

    Args:
        pattern: the glob, relative to the source; `*` and `?` never cross a `/`, `**/` matches any folders.

    Returns:
        A regular expression for `re.fullmatch` (or DuckDB's `regexp_full_match`).

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


# ----------------------------------------------------------------------------- storage options


def client_options(
    protocol: str, *, anon: bool = False, client_config: dict[str, Any] | None = None, **options: Any
) -> dict[str, Any]:
    """The fsspec options for a protocol: `client_config` merged with keyword options, plus anonymous access.

    `anon=True` becomes what each filesystem expects (`anon=True` for s3fs and adlfs, `token="anon"` for gcsfs).

    Args:
        protocol: `s3`, `gs`, `az`, `file` or `memory`.
        anon: access without credentials.
        client_config: options as a dict (DataChain's `client_config=`).
        **options: options as keywords; they win over `client_config`.

    Returns:
        The merged options.

    Example:
        >>> client_options("gs", anon=True, endpoint_url="http://127.0.0.1:4443")
        {'endpoint_url': 'http://127.0.0.1:4443', 'token': 'anon'}
    """
    merged = {**(client_config or {}), **options}
    if anon:
        merged.update(_ANONYMOUS.get(protocol, {}))
    return merged


def register_storage_options(source: str, options: dict[str, Any]) -> None:
    """Remember (in this process only) how to reach `source`, so `File.read()` finds the same credentials.

    `source` is a bucket (`s3://bucket`) or a whole scheme (`s3://`); bucket options override scheme ones.
    Forked UDF workers inherit them. Secret values among them are masked in every message from then on.

    Args:
        source: the bucket or scheme the options apply to.
        options: fsspec options, e.g. `endpoint_url`, `key`, `secret`, `timeout`.

    Example:
        >>> register_storage_options("s3://", {"endpoint_url": "http://127.0.0.1:9000"})
    """
    key = _options_key(source)
    remember_secrets(options)
    with _options_lock:
        _storage_options[key] = dict(options)


@contextmanager
def using_storage_options(options: dict[str, dict[str, Any]]) -> Iterator[None]:
    """Inside the block (this context, and the processes it forks), `options` (per bucket or scheme) override the
    registered ones, without changing them for other callers (an orchestrator resource's own configuration).

    Args:
        options: `{bucket or scheme: fsspec options}`.

    Yields:
        Nothing; the options apply until the block ends.

    Example:
        >>> with using_storage_options({"s3://": {"endpoint_url": "http://127.0.0.1:9000"}}):
        ...     storage_options_for("s3://bucket")["endpoint_url"]
        'http://127.0.0.1:9000'
    """
    token = _scoped_options.set({_options_key(location): dict(values) for location, values in options.items()})
    try:
        yield
    finally:
        _scoped_options.reset(token)


def storage_options_for(source: str) -> dict[str, Any]:
    """The options for a source: its scheme's, updated with the bucket's own; scoped ones over registered ones.

    Args:
        source: a bucket such as `s3://bucket`.

    Returns:
        The options `filesystem_for` connects with.
    """
    key = _options_key(source)
    scheme = key.split("://", 1)[0] + "://"
    scoped = _scoped_options.get()
    with _options_lock:
        return {**_storage_options.get(scheme, {}), **scoped.get(scheme, {}),
                **_storage_options.get(key, {}), **scoped.get(key, {})}


def _options_key(source: str) -> str:
    scheme, _, rest = source.partition("://")
    return f"{_CLOUD_PROTOCOLS.get(scheme, scheme)}://{rest.rstrip('/')}"


def filesystem_for(source: str, options: dict[str, Any] | None = None) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem for a source (`s3://bucket`, `file:///dir`), with its registered options updated
    with `options` (e.g. a Data Memory's own).

    fsspec keeps one instance per protocol and options, and drops its instances in a forked process.

    Args:
        source: a listed source (`s3://bucket`, `file:///dir`).

    Returns:
        The filesystem, with `timeout=` turned into the client's own timeouts and retries bounded.

    Raises:
        StorageError: the client package is missing (naming the extra that installs it), or the options are
            refused by the client.

    Example:
        >>> filesystem_for("s3://bucket").ls("bucket/images/")
    """
    protocol = parse_source(source).protocol
    options = {**storage_options_for(source), **(options or {})}
    try:
        fs = fsspec.filesystem(protocol, **client_kwargs(protocol, options))
    except ImportError as exc:
        raise StorageError(
            f"reading {protocol}:// needs the '{_PACKAGES[protocol][0]}' package: "
            f"pip install 'dagster_datachain[{_PACKAGES[protocol][1]}]'"
            if protocol in _PACKAGES else f"reading {protocol}:// needs a package that is not installed: {exc}",
            uri=source,
        ) from exc
    except (TypeError, ValueError) as exc:
        raise storage_error("connect to", source, exc)  # noqa: B904 - the helper chains exc
    _bound_retries(fs, protocol)
    return fs


def storage_timeout(source: str) -> float:
    """The `timeout=` storage option of a source (seconds), else DEFAULT_TIMEOUT.

    Args:
        source: a bucket such as `s3://bucket`.

    Returns:
        Seconds a request may go unanswered.
    """
    return float(storage_options_for(source).get("timeout", DEFAULT_TIMEOUT))


def client_kwargs(protocol: str, options: dict[str, Any]) -> dict[str, Any]:
    """The fsspec kwargs for storage options: `timeout=` becomes each client's own connect and read timeouts, and
    retries are bounded, so that a store that stops answering fails within about ATTEMPTS x timeout.

    Timeouts and retries the options set themselves (`config_kwargs`, `requests_timeout`, `read_timeout`, ...)
    are kept.

    Args:
        protocol: `s3`, `gs`, `az`, or another fsspec protocol (left as it is but for `timeout`).
        options: the storage options.

    Returns:
        The keyword arguments for `fsspec.filesystem`.

    Example:
        >>> client_kwargs("gs", {"timeout": 5, "token": "anon"})
        {'token': 'anon', 'requests_timeout': 5.0}
    """
    kwargs = dict(options)
    timeout = float(kwargs.pop("timeout", DEFAULT_TIMEOUT))
    if protocol == "s3":
        config = {"connect_timeout": timeout, "read_timeout": timeout,
                  "retries": {"total_max_attempts": ATTEMPTS, "mode": "standard"}}
        kwargs["config_kwargs"] = {**config, **kwargs.get("config_kwargs", {})}
    elif protocol == "gs":  # gcsfs does not retry a request that timed out
        kwargs.setdefault("requests_timeout", timeout)
    elif protocol == "az":
        kwargs.setdefault("connection_timeout", timeout)
        kwargs.setdefault("read_timeout", timeout)
    return kwargs


def _bound_retries(fs: fsspec.AbstractFileSystem, protocol: str) -> None:
    """Retry loops the clients keep outside their settings, which would multiply the timeouts above."""
    if protocol == "s3":
        fs.retries = 1  # s3fs retries timeouts 5 times on top of botocore's own attempts
    elif protocol == "az" and hasattr(fs, "_timeout_kwargs"):  # adlfs's per-call options, given to every transfer
        fs._timeout_kwargs.setdefault("retry_total", fs.storage_options.get("retry_total", ATTEMPTS - 1))


# ----------------------------------------------------------------------------- failures

# exception class names (anywhere in the MRO) -> what went wrong; names, not imports, so that no client
# library is imported only to recognise its errors
_FAILURE_KINDS = (
    ({"FileNotFoundError", "ResourceNotFoundError", "NoSuchBucket", "NoSuchKey"}, "not found"),
    ({"PermissionError", "ClientAuthenticationError", "NoCredentialsError", "GoogleAuthError"},
     "access denied (check the credentials and permissions)"),
    ({"TimeoutError", "ConnectionError", "ServiceRequestError", "ServiceResponseError", "ClientConnectionError",
      "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "FSTimeoutError"},
     "storage did not answer"),
)  # fmt: skip
_HTTP_STATUS = re.compile(r"\b(40[134])\b")
_STATUS_KINDS = {"404": "not found", "401": _FAILURE_KINDS[1][1], "403": _FAILURE_KINDS[1][1]}


def storage_error(action: str, uri: str, exc: BaseException) -> StorageError:
    """A `StorageError` for a failed storage call: what was done, on which URI, what went wrong, no secrets.

    Args:
        action: what was done, as a verb (`list`, `read`, `copy to`).
        uri: the URI it was done on.
        exc: what the client raised; recognized by class name and HTTP status (not found, access denied, no answer).

    Returns:
        The error to raise, chained to `exc` (`exc` itself when it already is a StorageError): raise it without
        `from exc`.

    Example:
        >>> str(storage_error("list", "s3://nope/", FileNotFoundError("NoSuchBucket")))
        'cannot list s3://nope/: not found (FileNotFoundError: NoSuchBucket)'
    """
    if isinstance(exc, StorageError):
        return exc
    return _caused_by(StorageError(f"cannot {action} {uri}: {_failure_kind(exc)} ({type(exc).__name__}: "
                                   f"{_detail(exc)})", uri=uri), exc)


def file_error(action: str, source: str, path: str, exc: BaseException) -> StorageError:
    """A `FileError` for a failed read of one file (a `FileMissingError`, also a `FileNotFoundError`, when the
    file is not there); a StorageError about the store itself (a missing client package) stays as it is.

    Example:
        >>> str(file_error("read", "s3://b", "a.txt", FileNotFoundError("NoSuchKey")))
        "Error in file 's3://b/a.txt': cannot read: not found (FileNotFoundError: NoSuchKey)"
    """
    if isinstance(exc, StorageError):
        return exc
    kind = _failure_kind(exc)
    error = FileMissingError if kind == "not found" else FileError
    return _caused_by(error(f"cannot {action}: {kind} ({type(exc).__name__}: {_detail(exc)})", source, path), exc)


def _caused_by(error: StorageError, exc: BaseException) -> StorageError:
    """`error` chained to `exc` as `raise error from exc` would. The helpers above chain it themselves, so that a
    caller re-raising an error that already was a StorageError (`raise storage_error(..., exc)`) never makes it its
    own cause: such a cycle sends pickling with tblib (installed by dask and celery) into endless recursion."""
    error.__cause__ = exc
    error.__suppress_context__ = True
    return error


def _detail(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()  # Azure appends request ids and the XML answer on further lines
    return lines[0][:300] if lines else type(exc).__name__


def _failure_kind(exc: BaseException) -> str:
    for cause in _causes(exc):
        names = {cls.__name__ for cls in type(cause).__mro__}
        for markers, kind in _FAILURE_KINDS:
            if names & markers:
                return kind
        status = getattr(cause, "status", None) or getattr(cause, "status_code", None) or getattr(cause, "code", None)
        if str(status) in _STATUS_KINDS:
            return _STATUS_KINDS[str(status)]
    match = _HTTP_STATUS.search(str(exc))
    return _STATUS_KINDS[match.group(1)] if match else "failed"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
