"""Delta saves and versioned listings on every store: an added, a changed (new ETag / generation / mtime) and a
deleted object; only new and changed objects go through the UDF, and a changed object keeps exactly one row."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import dagster_datachain as dc
from dagster_datachain.memory import catalog
from tests.runtime.test_delta import Counter  # a UDF that records the paths it was called for
from tests.storage.conftest import Bucket, new_bucket
from tests.storage_servers import StorageServer


def save_sizes(bucket: Bucket, counter: Counter, **options: Any) -> dc.DataChain:
    return bucket.read(delta=True, **options).map(size=counter).save("sizes")


def sizes(chain: dc.DataChain) -> dict[str, int]:
    return dict(chain.select("file.path", "size").to_list())


def check_delta(bucket: Bucket, caplog: pytest.LogCaptureFixture, **options: Any) -> None:
    """Save, then add d.txt, rewrite a.txt and delete c.txt: the next save processes a.txt and d.txt only."""
    bucket.put({"a.txt": b"a1", "b.txt": b"b1", "c.txt": b"c1"})
    counter = Counter()
    first = save_sizes(bucket, counter, **options)
    assert sorted(counter.seen) == ["a.txt", "b.txt", "c.txt"]

    bucket.put({"a.txt": b"a-two", "d.txt": b"d-new"})
    bucket.rm("c.txt")
    counter.seen.clear()
    with caplog.at_level(logging.INFO, logger="dagster_datachain"):
        latest = save_sizes(bucket, counter, **options)

    assert sorted(counter.seen) == ["a.txt", "d.txt"]
    assert sizes(latest) == {"a.txt": 5, "b.txt": 2, "d.txt": 5}
    assert latest.count() == 3  # exactly one row for the changed a.txt, none for c.txt
    assert sizes(first) == {"a.txt": 2, "b.txt": 2, "c.txt": 2}  # the first version is untouched
    assert any("1 unchanged · processing 1 new · 1 changed · 1 deleted" in r.message for r in caplog.records)
    with dc.read_dataset("sizes").to_values("file")[0].open():  # the dataset's files are still readable
        pass


def test_delta_with_added_changed_and_deleted_objects(bucket: Bucket, caplog: pytest.LogCaptureFixture) -> None:
    check_delta(bucket, caplog)


def test_unchanged_bucket_makes_no_new_version(bucket: Bucket, memory: dc.Memory) -> None:
    bucket.put({"a.txt": b"a", "b.txt": b"b"})
    counter = Counter()
    save_sizes(bucket, counter)
    save_sizes(bucket, counter)
    assert sorted(counter.seen) == ["a.txt", "b.txt"]
    with memory.connect() as con:
        assert [v.version for v in catalog.list_versions(con, "sizes")] == ["1.0.0"]


def versioned(storage: StorageServer) -> Bucket:
    if not storage.supports_versioning:
        pytest.skip(f"{storage.kind} has no object versioning here (Azurite has none; local folders neither)")
    return new_bucket(storage, versioned=True)


def test_versioned_bucket_lists_every_version(storage: StorageServer, memory: dc.Memory) -> None:
    """With version_aware=True a listing keeps each object version (VersionId / generation) with is_latest;
    the chain shows the latest ones, and an old version is still readable through its File."""
    bucket = versioned(storage)
    bucket.put({"a.txt": b"one"})
    bucket.put({"a.txt": b"two", "gone.txt": b"soon deleted"})
    bucket.rm("gone.txt")

    (latest,) = bucket.read(version_aware=True).to_values("file")
    assert latest.path == "a.txt" and latest.version and latest.is_latest
    assert latest.read() == b"two"
    with memory.connect() as con:
        (listing,) = catalog.list_listings(con)
        rows = [f for (f,) in con.table(listing.table_name).fetchall()]
    versions = {(f["path"], f["version"], f["is_latest"]) for f in rows}
    assert len(versions) == 3 and sum(is_latest for _, _, is_latest in versions) == 1
    (old,) = [f for f in rows if f["path"] == "a.txt" and not f["is_latest"]]
    assert dc.File(**old).read() == b"one"  # the listed version, not the latest
    (deleted,) = [f for f in rows if f["path"] == "gone.txt"]
    assert dc.File(**deleted).read() == b"soon deleted"


def test_delta_on_versioned_bucket(storage: StorageServer, memory: dc.Memory,
                                   caplog: pytest.LogCaptureFixture) -> None:
    """An overwrite in a versioned bucket is a new version of the same path: one row, processed once."""
    check_delta(versioned(storage), caplog, version_aware=True)
