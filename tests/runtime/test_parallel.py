"""Parallel workers, checkpoints under failure, kill -9 and gc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import dagster_datachain as dc
from dagster_datachain.memory import catalog


def make_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"f{i:04d}.txt").write_text("x" * (i % 17))


def length(file: dc.File) -> int:
    return len(file.read())


def test_parallel_run_matches_serial_run(memory, tmp_path):
    make_files(tmp_path / "in", 120)
    serial = dc.read_storage(str(tmp_path / "in")).settings(batch_size=10).map(n=length).save("serial")

    def worker_pid(file: dc.File) -> int:
        return os.getpid()

    parallel = (dc.read_storage(str(tmp_path / "in")).settings(batch_size=10, parallel=2)
                .map(n=length).map(pid=worker_pid).save("parallel"))
    assert sorted(parallel.select("file.path", "n").to_list()) == sorted(serial.select("file.path", "n").to_list())
    pids = set(parallel.to_values("pid"))
    assert len(pids) == 2 and os.getpid() not in pids


def test_failing_worker_stops_run_with_original_error_and_keeps_committed_parts(memory, tmp_path):
    make_files(tmp_path / "in", 60)
    calls = tmp_path / "calls.log"

    def fragile(file: dc.File) -> int:
        with open(calls, "a") as log:
            log.write(file.path + "\n")
        if file.path == "f0035.txt":
            raise ValueError("corrupt input")
        return 1

    chain = dc.read_storage(str(tmp_path / "in")).settings(batch_size=10, parallel=2).map(ok=fragile)
    started = time.monotonic()
    with pytest.raises(ValueError, match=r"f0035.txt.*ValueError: corrupt input") as error:  # the user's own type
        chain.save("fragile")
    assert time.monotonic() - started < 30
    assert error.value.__notes__ == ["UDF 'fragile' failed on input row f0035.txt: ValueError: corrupt input"]
    first_calls = calls.read_text().split()
    calls.unlink()

    def fixed(file: dc.File) -> int:
        with open(calls, "a") as log:
            log.write(file.path + "\n")
        return 1

    fixed.__name__ = "fragile"  # same UDF, bug removed: the checkpoint still applies
    result = dc.read_storage(str(tmp_path / "in")).settings(batch_size=10, parallel=2).map(ok=fixed).save("fragile")
    second_calls = calls.read_text().split()
    assert result.count() == 60
    assert sorted(set(result.to_values("file.path"))) == sorted(f"f{i:04d}.txt" for i in range(60))
    committed = 60 - len(second_calls)
    assert committed >= 5 and len(first_calls) >= committed
    # the rows before the failing one were committed first: the re-run starts at the failing row
    assert "f0035.txt" in second_calls and not {f"f{i:04d}.txt" for i in range(30, 35)} & set(second_calls)


SCRIPT = textwrap.dedent("""
    import sys, time
    import dagster_datachain as dc

    def slow(file: dc.File) -> int:
        with open(sys.argv[2], "a") as log:
            log.write(file.path + "\\n")
        time.sleep(0.01)
        return len(file.read())

    dc.read_storage(sys.argv[1]).settings(batch_size=20).map(size=slow).save("killed")
""")


def test_kill_minus_nine_loses_at_most_the_batch_in_flight(memory, tmp_path):
    make_files(tmp_path / "in", 200)
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    calls = tmp_path / "calls.log"
    env = {**os.environ, "DATACHAIN_ROOT_DIR": str(memory.root)}
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path / "in"), str(calls)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not calls.exists() or len(calls.read_text().split()) < 70):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(calls.read_text().split())
    assert 70 <= done_before < 200

    calls.unlink()
    subprocess.run([sys.executable, str(script), str(tmp_path / "in"), str(calls)], env=env, check=True)
    redone = len(calls.read_text().split())
    assert redone <= 200 - (done_before // 20 - 1) * 20  # committed batches were not run again
    result = dc.read_dataset("killed")
    paths = result.to_values("file.path")
    assert len(paths) == 200 and len(set(paths)) == 200  # every input row exactly once


def test_gc_removes_abandoned_checkpoints_and_orphan_tables(memory, tmp_path):
    make_files(tmp_path / "in", 30)

    def broken(file: dc.File) -> int:
        if file.path == "f0025.txt":
            raise RuntimeError("boom")
        return 1

    with pytest.raises(RuntimeError, match="boom"):
        dc.read_storage(str(tmp_path / "in")).settings(batch_size=10).map(x=broken).save("broken")
    assert any(memory.staging_dir.iterdir())
    with memory.connect() as con:
        con.execute('CREATE TABLE "ds_orphan_000000000000" (x INTEGER)')
    report = dc.gc()
    assert report.checkpoints == 1
    assert report.tables == ["ds_orphan_000000000000"]
    assert not any(memory.staging_dir.iterdir())


def test_gc_keeps_recent_checkpoints_when_asked(memory, tmp_path):
    make_files(tmp_path / "in", 5)

    def broken(file: dc.File) -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        dc.read_storage(str(tmp_path / "in")).map(x=broken).save("broken")
    assert dc.gc(older_than_hours=1).checkpoints == 0
    assert any(memory.staging_dir.iterdir())


def test_saved_version_records_lineage_and_code_hash(memory, tmp_path):
    make_files(tmp_path / "in", 3)
    dc.read_storage(str(tmp_path / "in")).map(n=length).save("lengths")
    with memory.connect() as con:
        record = catalog.get_version(con, "lengths")
    assert record.lineage[0].kind == "listing" and record.lineage[0].name.endswith("/in/")
    assert len(record.code_hash) == 16
