"""`bucket_status` against real stores: an existing bucket, a missing one, and (moto with its auth on) a bucket
that only a key pair can read and one whose keys may read nothing."""

from __future__ import annotations

import pytest

import dagster_datachain as dc
from tests.storage.conftest import new_bucket
from tests.storage.test_errors import s3_with_auth  # noqa: F401 - the fixture

NAMES = {"s3": "S3 bucket", "gs": "GCS bucket", "az": "Azure container"}


def test_existing_and_missing_buckets(storage, memory):
    if storage.kind == "file":
        with pytest.raises(ValueError, match="needs a cloud bucket URI"):
            dc.bucket_status(storage.uri("anything"))
        return
    bucket = new_bucket(storage)
    status = dc.bucket_status(bucket.uri(), **bucket.options)
    assert isinstance(status, dc.BucketStatus) and status.exists and status.error is None
    # the emulators let anyone read (moto without auth, fake-gcs-server); Azure is probed anonymously only when
    # `account_name` is given (as in DataChain), so the connection string's key is what reads it
    assert status.access == ("authenticated" if storage.kind == "az" else "anonymous")
    missing = dc.bucket_status(storage.uri("no-such-bucket-here"), **bucket.options)
    assert missing == dc.BucketStatus(False, "denied", f"{NAMES[storage.kind]} 'no-such-bucket-here' not found")
    with pytest.raises(ValueError, match="path in a bucket is not allowed"):  # DataChain 0.62's message
        dc.bucket_status(bucket.uri("some/key"), **bucket.options)


def test_s3_credentials_decide_access(s3_with_auth):  # noqa: F811 - the fixture
    server, keys = s3_with_auth
    uri = server.uri(keys["private"]["bucket"])
    assert dc.bucket_status(uri, **keys["reader"]) == dc.BucketStatus(True, "authenticated")
    denied = dc.bucket_status(uri, **keys["nobody"])
    assert (denied.exists, denied.access) == (True, "denied") and "Access denied" in (denied.error or "")
    assert keys["nobody"]["secret"] not in (denied.error or "")
