"""Several dataset steps at once on the multiprocess executor: all succeed, no lock errors; sharded fan-out."""

from __future__ import annotations

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain.memory import catalog

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
    assert materialization.asset_materialization.metadata["dataset"].value == "sharded_sizes@1.0.0"
