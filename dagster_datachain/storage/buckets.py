"""`bucket_status`: does a bucket exist, and can it be read anonymously, only with credentials, or not at all?
Asked of the bucket itself, without listing its objects.

Example:
    >>> bucket_status("s3://my-bucket")
    BucketStatus(exists=True, access='authenticated', error=None)
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import fsspec

from ..errors import StorageError
from .filesystem import _failure_kind, client_kwargs, client_options, parse_uri, storage_error, storage_options_for

_NAMES = {"s3": "S3 bucket", "gs": "GCS bucket", "az": "Azure container"}
_CREDENTIALS = {"key", "secret", "token", "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                "account_key", "sas_token", "connection_string", "credential", "client_secret", "credentials"}
_DENIED = "access denied (check the credentials and permissions)"


class BucketStatus(NamedTuple):
    """Whether the bucket exists, how it can be read (`anonymous`, `authenticated`, `denied`) and why not."""

    exists: bool
    access: Literal["anonymous", "authenticated", "denied"]
    error: str | None = None


def bucket_status(uri: str, **client_config: Any) -> BucketStatus:
    """Probe a bucket (`s3://b`, `gs://b`, `az://container`): first without credentials, then with the storage
    options registered for it plus `client_config`. A store that does not answer raises `StorageError`.

    Azure is probed anonymously only when `account_name` is given, as in DataChain.
    """
    parsed = parse_uri(uri)
    if parsed.is_local or parsed.protocol == "memory":
        raise ValueError(f"bucket_status needs a cloud bucket URI (s3://, gs://, az://), not {uri!r}")
    if parsed.prefix:
        raise ValueError(f"path in a bucket is not allowed, only bucket name: {uri!r}")
    bucket = parsed.source.split("://", 1)[1]
    what = f"{_NAMES[parsed.protocol]} '{bucket}'"
    options = {**storage_options_for(parsed.source), **client_config}
    if parsed.protocol != "az" or "account_name" in options:
        anonymous = {k: v for k, v in options.items() if k not in _CREDENTIALS and k != "anon"}
        kind = _probe(parsed.protocol, bucket, client_options(parsed.protocol, anon=True, **anonymous), uri,
                      strict=False)
        if kind is None:
            return BucketStatus(True, "anonymous")
        if kind == "not found":
            return BucketStatus(False, "denied", f"{what} not found")
    kind = _probe(parsed.protocol, bucket, {k: v for k, v in options.items() if k != "anon"}, uri)
    if kind is None:
        return BucketStatus(True, "authenticated")
    if kind == "not found":
        return BucketStatus(False, "denied", f"{what} not found")
    return BucketStatus(True, "denied", f"Access denied to {what}: check the credentials and permissions")


def _probe(protocol: str, bucket: str, options: dict[str, Any], uri: str, *, strict: bool = True) -> str | None:
    """None when the bucket answered, "not found", or why not; any other failure raises StorageError when `strict`
    (the anonymous probe is not: a store may answer an unsigned request with anything, the signed one decides)."""
    try:
        fs = fsspec.filesystem(protocol, skip_instance_cache=True, **client_kwargs(protocol, options))
        if protocol == "gs":  # GCS grants anonymous object listing on public buckets, not the bucket's metadata
            fs.ls(bucket, detail=False)
        else:
            fs.info(bucket)
    except StorageError:
        raise
    except Exception as exc:  # whatever the client library raises, classified by name
        kind = _failure_kind(exc)
        if kind in ("not found", _DENIED) or not strict:
            return kind
        raise storage_error("check", uri, exc)  # noqa: B904 - the helper chains exc
    return None

