"""Several dataset steps at once on the multiprocess executor: all succeed, no lock errors; sharded fan-out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain.memory import catalog

REPO = Path(__file__).resolve().parents[2]
MULTIPROCESS = {"execution": {"config": {"multiprocess": {"max_concurrent": 4}}}}


@pytest.fixture
def bucket(tmp_path, monkeypatch, memory):
    folder = tmp_path / "bucket"
    folder.mkdir()
    for i in range(60):
        (folder / f"f{i:03d}.bin").write_bytes(b"x" * i)
    monkeypatch.setenv("DC_TEST_BUCKET", str(folder))
    return folder


def run(job: str, instance: dg.DagsterInstance) -> dg.ExecutionResult:
    from tests.dagster import jobs

    with dg.execute_job(dg.reconstructable(getattr(jobs, job)), instance=instance, run_config=MULTIPROCESS) as result:
        failures = [e.event_specific_data.error.message for e in result.all_events if e.is_step_failure]
        assert result.success, failures
        return result


def test_four_dataset_assets_materialize_at_once(bucket, memory):
    with dg.instance_for_test() as instance:
        result = run("four_at_once", instance)
        pids = {e.pid for e in result.all_events if e.is_step_start}
    assert len(pids) == 4  # four step processes, all writing the same Data Memory file
    assert dc.read_dataset("even_sizes").count() == 30
    assert dc.read_dataset("odd_sizes").count() == 30
    assert dc.read_dataset("triple_sizes").sum("scaled") == 3 * sum(range(60))


def test_sharded_asset_commits_one_version_from_parallel_shards(bucket, memory):
    with dg.instance_for_test() as instance:
        result = run("sharded", instance)
        shard_pids = {e.pid for e in result.all_events if e.is_step_start and "__shard_" in (e.step_key or "")}
        materialization = instance.get_latest_materialization_event(dg.AssetKey("sharded_sizes"))
    assert len(shard_pids) == 3
    with memory.connect() as con:
        versions = catalog.list_versions(con, "sharded_sizes")
    assert [v.version for v in versions] == ["1.0.0"]
    rows = dict(dc.read_dataset("sharded_sizes").select("file.path", "size").to_list())
    assert rows == {f"f{i:03d}.bin": i for i in range(60)}
    assert materialization.asset_materialization.metadata["dagster_datachain/dataset"].value == "sharded_sizes@1.0.0"


def test_killed_materialization_resumes_from_checkpoint(bucket, memory, tmp_path):
    calls = tmp_path / "calls.log"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DC_TEST_CALLS": str(calls), "DAGSTER_HOME": str(home)}
    command = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m", "tests.dagster.jobs",
               "--select", "killable_sizes"]
    process = subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not calls.exists() or len(calls.read_text().split()) < 35):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its step process, mid-batch
    process.wait()
    before = len(calls.read_text().split())
    assert 35 <= before < 60
    calls.unlink()

    rerun = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "Continuing from checkpoint" in rerun.stderr + rerun.stdout
    redone = calls.read_text().split()
    assert len(redone) <= 60 - 30  # at least the three batches finished before the kill were kept
    paths = dc.read_dataset("killable_sizes").to_values("file.path")
    assert sorted(paths) == [f"f{i:03d}.bin" for i in range(60)]  # every input exactly once
