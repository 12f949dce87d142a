"""URIs, storage options and error messages: the pure parts of the storage layer, no server needed."""

from __future__ import annotations

import pytest

from dagster_datachain.errors import StorageError
from dagster_datachain.storage.filesystem import (
    client_options,
    parse_uri,
    register_storage_options,
    storage_error,
    storage_options_for,
)
from dagster_datachain.storage.listing import PrefixListing


@pytest.mark.parametrize(("uri", "source", "prefix", "glob"), [
    ("s3://bucket/images/**/*.jpg", "s3://bucket", "images/", "images/**/*.jpg"),
    ("gcs://bucket/a/b", "gs://bucket", "a/b/", ""),
    ("abfs://container/x/*.png", "az://container", "x/", "x/*.png"),
    ("abfss://container", "az://container", "", ""),
    ("az://container/", "az://container", "", ""),
])  # fmt: skip
def test_parse_uri_gives_one_source_per_bucket(uri: str, source: str, prefix: str, glob: str) -> None:
    parsed = parse_uri(uri)
    assert (parsed.source, parsed.prefix, parsed.glob) == (source, prefix, glob)
    assert parsed.location == f"{source}/{prefix}"


def test_parse_uri_refuses_unknown_schemes_and_missing_buckets() -> None:
    with pytest.raises(StorageError, match="unsupported storage scheme 'ftp://'"):
        parse_uri("ftp://host/x")
    with pytest.raises(StorageError, match="no bucket"):
        parse_uri("s3:///x")


def test_client_options_anonymous_access_per_store() -> None:
    assert client_options("s3", anon=True, client_config={"region_name": "eu"}) == {"region_name": "eu", "anon": True}
    assert client_options("gs", anon=True) == {"token": "anon"}
    assert client_options("az", anon=True, account_name="acct") == {"account_name": "acct", "anon": True}
    assert client_options("s3", client_config={"key": "a"}, key="b") == {"key": "b"}  # keywords win


def test_options_by_scheme_and_by_bucket() -> None:
    register_storage_options("gcs://", {"project": "p", "token": "anon"})
    register_storage_options("gs://bucket-one", {"project": "own"})
    try:
        assert storage_options_for("gs://bucket-one") == {"project": "own", "token": "anon"}
        assert storage_options_for("gs://bucket-two/") == {"project": "p", "token": "anon"}
    finally:
        register_storage_options("gs://", {})
        register_storage_options("gs://bucket-one", {})


@pytest.mark.parametrize(("error", "kind"), [
    (FileNotFoundError("NoSuchBucket"), "not found"),
    (PermissionError("The AWS Access Key Id you provided does not exist"), "access denied"),
    (TimeoutError("read timed out"), "storage did not answer"),
    (OSError("HTTP 403 Forbidden"), "access denied"),
    (RuntimeError("something else"), "failed"),
])  # fmt: skip
def test_storage_error_says_what_went_wrong(error: Exception, kind: str) -> None:
    failure = storage_error("list", "s3://bucket/p/", error)
    assert str(failure).startswith(f"cannot list s3://bucket/p/: {kind} (")
    assert failure.uri == "s3://bucket/p/" and storage_error("list", "x", failure) is failure


def test_storage_error_masks_registered_secrets() -> None:
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6"
    connection = f"AccountName=acct;AccountKey={key};BlobEndpoint=http://127.0.0.1:1/acct;"
    register_storage_options("az://secret-container", {"connection_string": connection,
                                                        "client_kwargs": {"aws_secret_access_key": "nested-s3cr3t"}})
    try:
        failure = storage_error("list", "az://secret-container/", ValueError(f"bad key {key} / nested-s3cr3t"))
    finally:
        register_storage_options("az://secret-container", {})
    assert key not in str(failure) and "nested-s3cr3t" not in str(failure) and "***" in str(failure)


def test_fingerprint_ignores_listing_order() -> None:
    entries = [{"name": f"/data/f{i}", "size": i, "type": "file", "mtime": 1_700_000_000 + i} for i in range(5)]
    forward, backward = (PrefixListing(parse_uri("file:///data")) for _ in range(2))
    forward._rows(entries)
    backward._rows(entries[::-1])
    assert forward.fingerprint == backward.fingerprint and forward.file_count == 5
    changed = PrefixListing(parse_uri("file:///data"))
    changed._rows([*entries[:4], {**entries[4], "size": 99}])
    assert changed.fingerprint != forward.fingerprint
