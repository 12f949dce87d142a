"""Storage failures: a clear `StorageError` naming the URI, nothing half-saved in Data Memory, and a retry that
completes once the store is back.

What the servers can honestly show: every store reports a missing bucket; Azurite checks the account key (wrong
credentials); moto checks credentials and IAM permissions only when its auth is switched on, which the S3 tests
here do on a server of their own; fake-gcs-server takes any (or no) credentials, so GCS has no credential test.
A server that stops answering is a real server process paused with SIGSTOP in the middle of a listing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

import dagster_datachain as dc
from dagster_datachain.memory import catalog
from dagster_datachain.storage import listing
from tests import storage_servers as ss
from tests.storage.conftest import Bucket, new_bucket

# the one documented storage option, the same on every store: a silent server fails in seconds, not minutes
TIMEOUT = 3.0  # moto may take over a second for a page of 1,000 keys on a busy machine
SERVERS = {"s3": ss.S3Server, "gs": ss.GCSServer, "az": ss.AzureServer}


def stored_listings(memory: dc.Memory) -> list[tuple[str, int, str]]:
    """(source, file count, fingerprint) of each listing in Data Memory, after checking no table is orphaned."""
    with memory.connect() as con:
        records = catalog.list_listings(con)
        tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {t for t in tables if t.startswith("lst_")} == {r.table_name for r in records}
    return [(r.source, r.file_count, r.fingerprint) for r in records]


def test_missing_bucket(storage: ss.StorageServer, memory: dc.Memory) -> None:
    uri = storage.uri(f"no-such-bucket-{storage.kind}", "images/*.jpg")
    with pytest.raises(dc.StorageError, match="not found|no such directory") as failed:
        dc.read_storage(uri, **storage.storage_options)
    assert f"no-such-bucket-{storage.kind}" in str(failed.value) and failed.value.uri.startswith(storage.protocol)
    assert stored_listings(memory) == []


def test_reading_a_deleted_object(bucket: Bucket) -> None:
    bucket.put({"a.txt": b"a"})
    (file,) = bucket.read().to_values("file")
    bucket.rm("a.txt")
    with pytest.raises(dc.StorageError, match="not found") as failed:
        file.read()
    assert failed.value.uri == file.get_uri() and file.get_uri() in str(failed.value)


# ----------------------------------------------------------------------------- credentials and permissions


@pytest.fixture(scope="module")
def s3_with_auth() -> Iterator[tuple[ss.StorageServer, dict[str, dict[str, str]]]]:
    """A moto server of its own that checks credentials: bucket `private` with one object, and key pairs of a
    user allowed to list and read (`reader`) and of one allowed nothing (`nobody`)."""
    server = ss.S3Server()
    for _ in ss._serve(server):
        bucket = new_bucket(server)
        bucket.put({"a.txt": b"a"})
        import boto3

        iam = boto3.client("iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        # moto checks a bucket's HEAD (bucket_status) as "s3:HeadBucket"; AWS grants it with s3:ListBucket
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject", "s3:HeadBucket"], "Resource": "*"}]}
        keys = {}
        for user in ("reader", "nobody"):
            iam.create_user(UserName=user)
            if user == "reader":
                iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(policy))
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "endpoint_url": server.url}
        keys["private"] = {"bucket": bucket.name}
        switch_on = urllib.request.Request(server.url + "/moto-api/reset-auth", data=b"0", method="POST",
                                           headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(switch_on, timeout=10).close()  # from now on every request is checked
        yield server, keys


@pytest.mark.parametrize("who", ["stranger", "nobody"])
def test_s3_wrong_credentials_and_no_permission(s3_with_auth: Any, who: str, memory: dc.Memory) -> None:
    server, keys = s3_with_auth
    uri = server.uri(keys["private"]["bucket"])
    reader = keys["reader"]
    options = {**reader, "key": "AKIAWRONGKEY00000000", "secret": "wrong-secret-0123456789"} if who == "stranger" \
        else keys["nobody"]  # fmt: skip
    with pytest.raises(dc.StorageError, match="access denied") as failed:
        dc.read_storage(uri, **options)
    assert uri in str(failed.value) and options["secret"] not in str(failed.value)
    assert stored_listings(memory) == []

    (file,) = dc.read_storage(uri, **reader).to_values("file")  # the right key pair works on the same server
    assert file.read() == b"a"


def test_azure_wrong_account_key(azure_server: ss.StorageServer, memory: dc.Memory) -> None:
    bucket = new_bucket(azure_server)
    wrong_key = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk="
    connection = azure_server.storage_options["connection_string"].replace(ss.AZURITE_KEY, wrong_key)
    with pytest.raises(dc.StorageError, match="access denied") as failed:
        dc.read_storage(bucket.uri(), connection_string=connection)
    assert bucket.uri() in str(failed.value) and wrong_key not in str(failed.value)
    assert stored_listings(memory) == []


# ----------------------------------------------------------------------------- a server that stops answering


class PauseAfterFirstPage(logging.Handler):
    """Pauses the server (SIGSTOP to its process group) as soon as the listing logs its first page."""

    def __init__(self, server: ss.ProcessServer) -> None:
        super().__init__(logging.DEBUG)
        self.server = server
        self.paused = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.paused and "page 1," in record.getMessage():
            assert self.server.proc is not None
            os.killpg(self.server.proc.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.paused and self.server.proc is not None:
            os.killpg(self.server.proc.pid, signal.SIGCONT)


@pytest.fixture(params=sorted(SERVERS))
def own_server(request: pytest.FixtureRequest) -> Iterator[ss.ProcessServer]:
    """A server of this test's own (s3, gs, az), since the test pauses it."""
    yield from ss._serve(SERVERS[request.param]())  # type: ignore[misc]


def test_server_stops_answering_mid_listing(own_server: ss.ProcessServer, memory: dc.Memory,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing fails with a StorageError naming the URI, the listing saved before stays as it was, and the
    same call completes once the server answers again."""
    monkeypatch.setattr(listing, "LISTING_PAGE_SIZE", 100)
    count = 1_050 if own_server.kind == "s3" else 250  # S3 answers in pages of 1,000 whatever is asked
    bucket = new_bucket(own_server)
    bucket.put({f"obj-{i:05d}.bin": b"x" for i in range(count)})
    options = {**bucket.options, "timeout": TIMEOUT}
    assert dc.read_storage(bucket.uri(), **options).count() == count
    before = stored_listings(memory)
    bucket.put({"one-more.bin": b"y"})

    pause = PauseAfterFirstPage(own_server)
    logger = logging.getLogger(listing.__name__)
    level = logger.level
    logger.addHandler(pause)
    logger.setLevel(logging.DEBUG)
    started = time.monotonic()
    try:
        with pytest.raises(dc.StorageError, match="did not answer") as failed:
            dc.read_storage(bucket.uri(), update=True, **options)
    finally:
        logger.removeHandler(pause)
        logger.setLevel(level)
        pause.resume()
    elapsed = time.monotonic() - started
    print(f"{own_server.kind}: a paused server failed the listing in {elapsed:.1f}s (timeout={TIMEOUT})")
    assert elapsed < 5 * TIMEOUT + 2  # + 2: listing the pages before the pause
    assert pause.paused and failed.value.uri == bucket.uri() + "/"
    assert bucket.uri() in str(failed.value)
    assert stored_listings(memory) == before  # the old listing, whole; nothing of the interrupted one

    assert dc.read_storage(bucket.uri(), update=True, **options).count() == count + 1
    assert stored_listings(memory)[0][1] == count + 1


@pytest.mark.parametrize(("uri", "package", "extra"), [
    ("s3://bucket/a/", "s3fs", "s3"), ("gs://bucket/a/", "gcsfs", "gcs"), ("az://container/a/", "adlfs", "azure"),
])
def test_a_missing_cloud_client_names_the_extra_that_installs_it(tmp_path, uri, package, extra):
    script = (f"import sys; sys.modules[{package!r}] = None  # as if the package were not installed\n"
              "import dagster_datachain as dc\n"
              f"try:\n    dc.read_storage({uri!r}).count()\n"
              "except dc.StorageError as error:\n    print(error)\n")
    env = {**os.environ, "DATACHAIN_ROOT_DIR": str(tmp_path / "dm")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert f"needs the '{package}' package: pip install 'dagster_datachain[{extra}]'" in result.stdout, result.stderr


def test_a_read_error_pickles_under_tblib_as_in_dask_and_celery_workers(tmp_path):
    """dask and celery install tblib's exception pickling, which follows `__cause__`: a read error must not be its
    own cause (it was when a StorageError was re-raised `from` itself)."""
    pickling_support = pytest.importorskip("tblib.pickling_support")
    pickling_support.install()
    import pickle

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("x")
    file = dc.read_storage(str(tmp_path / "data") + "/", memory=dc.Memory(tmp_path / "dm")).to_values("file")[0]
    (tmp_path / "data" / "a.txt").unlink()
    with pytest.raises(FileNotFoundError) as failed:
        file.read()
    assert failed.value.__cause__ is not failed.value
    copy = pickle.loads(pickle.dumps(failed.value))
    assert type(copy) is type(failed.value) and str(copy) == str(failed.value)
