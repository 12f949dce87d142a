"""Smoke tests: each real local storage server works through plain fsspec.

Run with ``-s`` to see the listing keys and timings each store gives. ``STORAGE_LISTING_N=10000``
makes ``test_listing_timing`` list 10k objects instead of 50.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest

from tests import storage_servers as ss
from tests.storage_servers import StorageServer, VersioningUnsupported

# No-op when tests/conftest.py already loads the plugin; lets this file run on its own.
pytest_plugins = ["tests.storage_servers"]

# listing keys every store must give (besides "name"/"size"/"type"), and the one that changes on overwrite
EXPECTED_KEYS = {
    "file": {"mtime"},
    "s3": {"ETag", "LastModified"},
    "gs": {"generation", "md5Hash", "etag", "updated"},
    "az": {"etag", "last_modified"},
}
CHANGE_KEY = {"file": "size", "s3": "ETag", "gs": "generation", "az": "etag"}


def _bucket() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def _short(entry: dict[str, Any]) -> dict[str, Any]:
    keys = {"size", "VersionId", "IsLatest", "content_settings"} | set().union(*EXPECTED_KEYS.values())
    return {k: v for k, v in entry.items() if k in keys and k != "content_settings"}


def test_put_list_overwrite_delete(storage: StorageServer) -> None:
    """Bucket, 3 puts, detailed listing, overwrite changes the etag/generation, delete."""
    fs = storage.fs()
    root = storage.make_bucket(bucket := _bucket())
    fs.pipe({storage.uri(bucket, f"dir/f{i}.txt"): b"v1-%d" % i for i in range(3)})
    listing = fs.find(root, detail=True)
    assert len(listing) == 3
    first = next(iter(listing.values()))
    print(f"\n[{storage.kind}] listing keys: {sorted(first)}\n[{storage.kind}] entry: {_short(first)}")
    assert EXPECTED_KEYS[storage.kind] <= set(first), sorted(first)
    assert all(e["size"] == 4 for e in listing.values())

    target = storage.uri(bucket, "dir/f0.txt")
    before = fs.info(target)[CHANGE_KEY[storage.kind]]
    fs.pipe(target, b"version-two")
    fs.invalidate_cache()
    after = fs.find(root, detail=True)[fs._strip_protocol(target)][CHANGE_KEY[storage.kind]]
    print(f"[{storage.kind}] overwrite {CHANGE_KEY[storage.kind]}: {before!r} -> {after!r}")
    assert after != before
    assert fs.cat(target) == b"version-two"

    fs.rm(storage.uri(bucket, "dir/f1.txt"))
    fs.invalidate_cache()
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.find(root)) == ["f0.txt", "f2.txt"]


def test_versioned_bucket(storage: StorageServer) -> None:
    """S3 and GCS keep old versions after an overwrite; file and az refuse ``versioned=True``."""
    if not storage.supports_versioning:
        with pytest.raises(VersioningUnsupported):
            storage.make_bucket(_bucket(), versioned=True)
        return
    root = storage.make_bucket(bucket := _bucket(), versioned=True)
    fs = storage.fs(version_aware=True)
    target = storage.uri(bucket, "a.txt")
    fs.pipe(target, b"one")
    fs.pipe(target, b"two")
    versions = fs.find(root, versions=True)
    print(f"\n[{storage.kind}] versions: {versions}")
    assert len(versions) == 2
    assert fs.cat(versions[0] if storage.kind == "gs" else target) in (b"one", b"two")
    latest = fs.find(root, detail=True)[f"{bucket}/a.txt"]
    assert ("VersionId" if storage.kind == "s3" else "generation") in latest


def test_listing_timing(storage: StorageServer) -> None:
    """Time ``find(detail=True)`` over N objects (env STORAGE_LISTING_N, default 50); printed, not asserted."""
    n = int(os.environ.get("STORAGE_LISTING_N", "50"))
    fs = storage.fs()
    root = storage.make_bucket(bucket := _bucket())
    t0 = time.perf_counter()
    fs.pipe({storage.uri(bucket, f"p{i % 10}/obj-{i:06d}.bin"): b"x" for i in range(n)})
    t1 = time.perf_counter()
    fs.invalidate_cache()
    found = fs.find(root, detail=True)
    t2 = time.perf_counter()
    print(f"\n[{storage.kind}] {n} objects: put {t1 - t0:.2f}s, find(detail=True) {t2 - t1:.3f}s")
    assert len(found) == n


def test_missing_server_skips_or_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """A missing binary gives ServerUnavailable: skip normally, fail under CI=true."""
    monkeypatch.setattr(ss, "AZURITE_BIN", tmp_path / "no-azurite")
    with pytest.raises(ss.ServerUnavailable, match="npm install"):
        ss.AzureServer().start()
    monkeypatch.delenv("CI", raising=False)
    with pytest.warns(pytest.PytestWarning), pytest.raises(pytest.skip.Exception, match="unavailable"):
        next(ss._serve(ss.AzureServer()))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        next(ss._serve(ss.AzureServer()))


def test_stop_kills_process() -> None:
    """stop() leaves no process and no temp dir behind."""
    server = ss.GCSServer()
    server.start()
    assert server.proc is not None
    pid, tmpdir = server.proc.pid, server.tmpdir
    server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not tmpdir.exists() and server not in ss.ProcessServer.running
