"""A store that stops answering (a real moto server paused with SIGSTOP, not killed) in the middle of a map fails
within a few times the `timeout=` storage option, with an error naming the file's URI; the batches finished before
stay committed, and the same chain run again once the server answers continues from them."""

from __future__ import annotations

import logging
import os
import re
import signal
import time
from collections.abc import Iterator

import pytest

import dagster_datachain as dc
from tests import storage_servers as ss
from tests.storage.conftest import new_bucket

TIMEOUT = 2.0
FILES = 30


@pytest.fixture
def own_s3() -> Iterator[ss.ProcessServer]:
    """A moto server of this test's own, since the test pauses it."""
    yield from ss._serve(ss.S3Server())  # type: ignore[misc]


def test_map_over_files_of_a_silent_server_fails_in_time_and_resumes(own_s3: ss.ProcessServer, memory: dc.Memory,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    assert own_s3.proc is not None
    bucket = new_bucket(own_s3)
    bucket.put({f"f{i:02d}.txt": b"x" * i for i in range(FILES)})
    chain = dc.read_storage(bucket.uri(), **bucket.options, timeout=TIMEOUT).settings(batch_size=10)
    calls: list[str] = []
    paused_at: list[float] = []

    def size(file: dc.File) -> int:
        if file.path == "f25.txt" and not paused_at:
            os.killpg(own_s3.proc.pid, signal.SIGSTOP)  # type: ignore[union-attr]
            paused_at.append(time.monotonic())
        calls.append(file.path)
        return len(file.read())

    try:
        with pytest.raises(dc.StorageError) as failed:  # the UDF's own exception reaches the caller, as in DataChain
            chain.map(size=size).save("sizes")
        elapsed = time.monotonic() - paused_at[0]
        print(f"a paused server failed the map in {elapsed:.1f}s (timeout={TIMEOUT})")
    finally:
        os.killpg(own_s3.proc.pid, signal.SIGCONT)
    failing = calls[-1]
    assert f"{bucket.uri(failing)}" in str(failed.value) and "storage did not answer" in str(failed.value)
    assert failed.value.uri == bucket.uri(failing) and failed.value.__notes__[0].startswith("UDF 'size' failed on")
    # a request: 2 tries of TIMEOUT plus backoff; the UDF's read raises what its prefetch met, without a new wait
    assert elapsed < 4 * TIMEOUT, f"a silent server took {elapsed:.1f}s to fail with timeout={TIMEOUT}"

    calls.clear()
    with caplog.at_level(logging.INFO, logger="dagster_datachain"):
        saved = chain.map(size=size).save("sizes")
    resumed = re.search(rf"Continuing from checkpoint \((\d+) of {FILES} rows done\)", caplog.text)
    assert resumed is not None and 20 <= int(resumed[1]) <= int(failing[1:3])  # at least the two finished batches
    assert calls == [f"f{i:02d}.txt" for i in range(int(resumed[1]), FILES)]  # nothing committed is read again
    assert sorted(saved.to_values("size")) == list(range(FILES))
