"""read_storage, File reads, map + save, cache and prefetch on every store: file, s3 (moto), gs (fake-gcs-server),
az (Azurite). Each test runs once per store against the real server."""

from __future__ import annotations

import logging
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import dagster_datachain as dc
from dagster_datachain import C
from dagster_datachain.storage.filesystem import register_storage_options
from tests.runtime.test_delta import Counter  # a UDF that records the paths it was called for
from tests.storage.conftest import Bucket, new_bucket
from tests.storage_servers import StorageServer

IMAGES = {f"pets/{kind}/{name}_{i}.jpg": 20 + 10 * i for kind, name in (("dogs", "shiba"), ("cats", "aby"))
          for i in range(3)}  # fmt: skip
"""path -> width of six small JPEGs"""


def jpeg(width: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, 10), (width, 0, 0)).save(out, "JPEG")
    return out.getvalue()


def content_size(file: dc.File) -> int:
    return len(file.read())


@pytest.fixture
def pets(bucket: Bucket) -> Bucket:
    """Six JPEGs in two folders, a text file beside them and one outside `pets/`."""
    bucket.put({path: jpeg(width) for path, width in IMAGES.items()})
    bucket.put({"pets/README.txt": b"six pets", "other/x.jpg": jpeg(5)})
    return bucket


def test_globs_select_files_and_keep_storage_metadata(pets: Bucket) -> None:
    chain = pets.read("pets/**/*.jpg")
    files = {f.get_uri().removeprefix(pets.uri() + "/"): f for f in chain.to_values("file")}
    assert sorted(files) == sorted(IMAGES)
    if pets.kind != "file":  # a local glob's source is the folder before the first wildcard
        assert {f.source for f in files.values()} == {pets.uri()}
    assert all(f.size == len(jpeg(IMAGES[path])) and f.etag for path, f in files.items())
    assert all(f.last_modified.year >= 2024 and f.is_latest for f in files.values())
    if pets.kind == "gs":
        assert all(f.version.isdigit() for f in files.values())  # the generation
    assert pets.read("pets/*/shiba_?.jpg").count() == 3
    assert pets.read("pets/{dogs,cats}/*_0.jpg").count() == 2
    assert pets.read("pets/").count() == len(IMAGES) + 1  # a prefix lists everything below it
    assert pets.read().count() == len(IMAGES) + 2


def test_file_read_open_and_local_path(pets: Bucket, memory: dc.Memory) -> None:
    chain = pets.read("pets/**/*.txt", type="text")
    (text,) = chain.to_values("file")
    assert isinstance(text, dc.TextFile)
    assert text.read() == "six pets" and text.read_bytes() == b"six pets"
    with text.open() as handle:
        assert handle.read() == b"six pets"
    local = Path(text.get_local_path())
    assert local.read_bytes() == b"six pets"
    assert local.is_relative_to(memory.cache_dir) != (pets.kind == "file")  # remote files land in the cache
    (image,) = pets.read("pets/cats/aby_2.jpg", type="image").to_values("file")
    assert image.read().size == (40, 10)


def test_map_and_save_on_bucket_files(pets: Bucket) -> None:
    def width(file: dc.ImageFile) -> int:
        return int(file.read().size[0])

    saved = pets.read("pets/**/*.jpg", type="image").map(width=width).save("widths")
    widths = {Path(path).name: w for path, w in saved.select("file.path", "width").to_list()}
    assert widths == {Path(path).name: w for path, w in IMAGES.items()}
    assert saved.filter(C("width") > 25).count() == 4
    assert dc.read_dataset("widths").count() == len(IMAGES)


def test_parallel_workers_read_bucket_files(pets: Bucket) -> None:
    """Forked workers reach the bucket with the options given in the parent process."""
    sizes = pets.read("pets/**/*.jpg").settings(parallel=2, batch_size=2).map(size=content_size)
    assert sorted(sizes.to_values("size")) == sorted(len(jpeg(w)) for w in IMAGES.values())


def test_prefetch_reads_ahead(pets: Bucket) -> None:
    counter = Counter()

    def size(file: dc.File) -> int:
        prefetched.append(file._prefetched is not None)  # bytes already fetched on a thread
        return counter(file)

    prefetched: list[bool] = []
    chain = pets.read("pets/**/*.jpg").settings(prefetch=4).map(size=size)
    assert sorted(chain.to_values("size")) == sorted(len(jpeg(w)) for w in IMAGES.values())
    assert len(counter.seen) == len(IMAGES)
    assert all(prefetched) == (pets.kind != "file")  # local files are read directly


def test_cache_keeps_bytes_locally(pets: Bucket, memory: dc.Memory) -> None:
    files = pets.read("pets/dogs/*.jpg").settings(cache=True, prefetch=0)
    sizes = files.map(size=content_size).to_values("size")
    cached = [p for p in memory.cache_dir.rglob("*") if p.is_file()] if memory.cache_dir.exists() else []
    if pets.kind == "file":
        assert cached == []  # local files are never copied
        return
    assert sorted(p.stat().st_size for p in cached) == sorted(sizes)
    for path in [p for p in IMAGES if p.startswith("pets/dogs/")]:
        pets.rm(path)  # gone from the bucket, yet the same listing stays readable from the cache

    def first_byte(file: dc.File) -> int:  # another UDF, so nothing is answered from a checkpoint
        return file.read()[0]

    def second_byte(file: dc.File) -> int:
        return file.read()[1]

    assert files.map(head=first_byte).to_values("head") == [0xFF] * 3  # JPEG's first byte
    with pytest.raises(dc.DataChainError, match="not found"):  # without the cache the objects are gone
        files.settings(cache=False).map(head=second_byte).to_values("head")


def test_abfs_alias_and_scheme_wide_options(bucket: Bucket) -> None:
    """az:// and abfs:// (gs:// and gcs://) are one source; options registered for a scheme reach every bucket."""
    bucket.put({"a.txt": b"a"})
    if bucket.kind == "file":
        pytest.skip("local folders have no scheme alias or options")
    alias = {"az": "abfs", "gs": "gcs", "s3": "s3"}[bucket.kind]
    register_storage_options(f"{alias}://", bucket.options)
    try:
        (file,) = dc.read_storage(bucket.uri("a.txt").replace(f"{bucket.kind}://", f"{alias}://")).to_values("file")
        assert file.source == f"{bucket.kind}://{bucket.name}"
        assert file.read() == b"a"
    finally:
        register_storage_options(f"{alias}://", {})


def test_credentials_never_reach_data_memory_or_logs(storage: StorageServer, memory: dc.Memory,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """The secrets a user passes (S3 key/secret, the Azure account key) appear in no Data Memory file or table,
    and in no log line, even after a failed listing whose error message could echo them."""
    if storage.kind in ("file", "gs"):
        pytest.skip(f"{storage.kind}: no secret to pass (fake-gcs-server takes anonymous requests only)")
    bucket = new_bucket(storage)
    bucket.put({"a.txt": b"a", "b.txt": b"bb"})
    options = bucket.options
    if storage.kind == "s3":  # moto accepts any key pair: make it long enough to be recognisable
        options.update(key="AKIA-SECRET-KEY-ID-0123456789", secret="S3cr3t-Access-Key-0123456789abcdef")
    secrets = [v for v in _string_values(options) if len(v) >= 16 and "://" not in v]
    with caplog.at_level(logging.DEBUG, logger="dagster_datachain"):
        chain = dc.read_storage(bucket.uri(), update=True, **options)
        chain.map(size=content_size).settings(cache=True).save("sizes")
        with pytest.raises(dc.StorageError) as failed:
            dc.read_storage(storage.uri("no-such-bucket"), **options)
    assert secrets
    stored = b"".join(p.read_bytes() for p in memory.root.rglob("*") if p.is_file())
    with memory.connect() as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        dump = "".join(repr(con.table(name).fetchall()) for (name,) in tables)
    for secret in secrets:
        assert secret.encode() not in stored and secret not in dump
        assert secret not in caplog.text and secret not in str(failed.value)


def _string_values(options: dict[str, Any]) -> list[str]:
    """Every string in the storage options, with the parts of connection strings (AccountKey=...)."""
    values = [v for v in options.values() if isinstance(v, str)]
    return values + [part.partition("=")[2] for v in values for part in v.split(";") if "=" in part]


def test_listing_many_objects_in_pages(bucket: Bucket, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    """Listing goes page by page (pages of 40 here), with progress, and keeps every object exactly once."""
    from dagster_datachain.storage import listing

    monkeypatch.setattr(listing, "LISTING_PAGE_SIZE", 40)
    monkeypatch.setattr(listing, "PROGRESS_SECONDS", 0.0)
    names = {f"d{i % 7}/sub{i % 3}/obj-{i:04d}.bin": b"x" * (i % 5) for i in range(300)}
    bucket.put(names)
    with caplog.at_level(logging.DEBUG, logger="dagster_datachain.storage.listing"):
        files = bucket.read().to_values("file")
    assert sorted(f.path for f in files) == sorted(names)
    assert sum(f.size for f in files) == sum(len(v) for v in names.values())
    pages = [r for r in caplog.records if "page" in r.getMessage() and r.levelno == logging.DEBUG]
    progress = [r for r in caplog.records if "files so far" in r.getMessage()]
    assert len(pages) >= (8 if bucket.kind == "file" else 300 // 40)  # a directory per page locally
    assert progress and caplog.records[-1].getMessage().startswith("Listed 300 files")


def test_single_object_uri_and_folder_markers(bucket: Bucket) -> None:
    """A URI naming one object lists that object; zero-byte `folder/` markers are not files."""
    bucket.put({"docs/a.txt": b"a", "docs/b.txt": b"b"})
    if bucket.kind in ("s3", "gs"):
        bucket.server.fs().pipe(bucket.uri("docs/empty-folder/"), b"")  # what consoles create for a folder
    (single,) = bucket.read("docs/a.txt").to_values("file")
    assert single.read() == b"a"
    assert sorted(f.name for f in bucket.read("docs/").to_values("file")) == ["a.txt", "b.txt"]


def test_anonymous_access(storage: StorageServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """`anon=True` sends unsigned requests: with no credentials anywhere, it is what lets the listing through, and
    moto then serves only objects whose ACL is public-read. (fake-gcs-server serves every anonymous request;
    Azurite's public containers need https, so az is left out.)"""
    if storage.kind not in ("s3", "gs"):
        pytest.skip(f"{storage.kind}: no anonymous access to test here")
    bucket = new_bucket(storage)
    bucket.put({"public.txt": b"open data", "private.txt": b"secret data"})
    endpoint = bucket.options["endpoint_url"]
    if storage.kind == "s3":  # no key pair anywhere: without anon=True boto finds no credentials
        storage.fs().chmod(bucket.uri("public.txt"), acl="public-read")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
            monkeypatch.setenv(name, "/nonexistent")
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        with pytest.raises(dc.StorageError, match="access denied"):
            dc.read_storage(bucket.uri(), endpoint_url=endpoint)
    files = {f.path: f for f in dc.read_storage(bucket.uri(), anon=True, update=True, endpoint_url=endpoint)
             .to_values("file")}  # fmt: skip
    assert files["public.txt"].read() == b"open data"
    if storage.kind == "s3":
        with pytest.raises(dc.StorageError, match="access denied"):
            files["private.txt"].read()
