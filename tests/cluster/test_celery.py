"""The shards of a dataset asset as steps on the celery executor, run by two worker processes; one of them dies
mid-shard and the re-executed run resumes from the parts that shard had committed."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain.memory import catalog
from tests.cluster.conftest import Cluster

for _package in ("dagster_celery", "dagster_dask", "redis"):  # the [team] extra
    pytest.importorskip(_package)

FILES = 64
BATCH = 4


def _step(op: str) -> str:
    return f"cluster_sizes.cluster_sizes__{op}"


def _upload(cluster: Cluster, s3_server) -> dict[str, int]:
    fs = s3_server.fs()
    bucket = cluster.env["DC_CLUSTER_BUCKET"].removeprefix("s3://").strip("/")
    sizes = {f"f{i:03d}.bin": i for i in range(FILES)}
    for name, size in sizes.items():
        fs.pipe(f"{bucket}/{name}", b"x" * size)
    return sizes


def _shard_rows(cluster: Cluster, shard: int) -> list[str]:
    """The rows one shard step computes, in the order it computes them."""
    from tests.cluster import jobs

    with dc.DataMemory().scope():
        return dc.read_storage(cluster.env["DC_CLUSTER_BUCKET"]).shard(shard, jobs.SHARDS).to_values("file.path")


def _workers_by_step(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Which celery worker ran each step, as the worker reported it to the shared event log."""
    ran = {}
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        metadata = record.dagster_event.engine_event_data.metadata if record.dagster_event else {}
        if "Celery worker" in metadata:
            ran[record.step_key] = str(metadata["Celery worker"].value).split("@")[0]
    return ran


def _calls(cluster: Cluster) -> list[tuple[str, str]]:
    path = Path(cluster.env["DC_CLUSTER_CALLS"])
    return [tuple(line.split(" ", 1)) for line in path.read_text().splitlines()] if path.exists() else []  # type: ignore[misc]


def _kill_when_stalled(cluster: Cluster, killed: dict[str, str]) -> None:
    """Wait for the UDF to stall on its chosen row, then SIGKILL the worker process running it."""
    marker = Path(cluster.env["DC_CLUSTER_STALLED"])
    deadline = time.monotonic() + 150
    while not marker.exists() or len(marker.read_text().split()) < 2:
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
    pid, worker = marker.read_text().split()
    killed.update(pid=pid, worker=worker)
    os.kill(int(pid), signal.SIGKILL)


@pytest.mark.timeout(280)
def test_shards_on_two_celery_workers_survive_a_killed_worker(cluster: Cluster, s3_server, dagster_home):
    from tests.cluster import jobs

    sizes = _upload(cluster, s3_server)
    stalled_shard = _shard_rows(cluster, 0)
    assert len(stalled_shard) > 2 * BATCH + 1
    cluster.env["DC_CLUSTER_STALL_ON"] = stalled_shard[2 * BATCH + 1]  # after two committed batches of shard 0
    for name in ("w1", "w2"):
        cluster.start_worker(name)
    cluster.wait_ready()
    run_config = {"execution": {"config": cluster.executor_config}}
    shard_0 = _step("shard_0")

    killed: dict[str, str] = {}
    killer = threading.Thread(target=_kill_when_stalled, args=(cluster, killed), daemon=True)
    killer.start()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        recon = dg.reconstructable(jobs.on_celery)
        with dg.execute_job(recon, instance=instance, run_config=run_config, raise_on_error=False) as first:
            assert not first.success
            first_id = first.run_id
        killer.join()
        assert killed, "the UDF never stalled"
        first_workers = _workers_by_step(instance, first_id)
        succeeded = {e.step_key for e in instance.all_logs(first_id, of_type=dg.DagsterEventType.STEP_SUCCESS)}
        # both machines ran shards; the killed one was running shard 0, the others finished
        assert set(first_workers.values()) == {"w1", "w2"}, first_workers
        assert first_workers[shard_0] == killed["worker"]
        assert succeeded == {_step(f"shard_{i}") for i in range(1, jobs.SHARDS)}
        before = Counter(path for _, path in _calls(cluster))

        # the whole machine is gone: only the other worker is left to re-execute
        victim = next(w for w in cluster.workers if w.name == killed["worker"])
        victim.stop()
        survivor = next(w for w in cluster.workers if w.name != killed["worker"]).name
        Path(cluster.env["DC_CLUSTER_CALLS"]).unlink()

        options = dg.ReexecutionOptions.from_failure(first_id, instance)
        with dg.execute_job(recon, instance=instance, run_config=run_config, reexecution_options=options) as second:
            assert second.success
            second_id = second.run_id
        second_workers = _workers_by_step(instance, second_id)
        assert second_workers == {shard_0: survivor, _step("save"): survivor}
        resumed = [m for r in instance.all_logs(second_id) if (m := re.search(
            r"Continuing from checkpoint \((\d+) of (\d+) rows done\)", r.user_message or ""))]

    assert len(resumed) == 1
    done, total = map(int, resumed[0].groups())
    assert total == len(stalled_shard)
    assert done == 2 * BATCH  # the two batches committed before the kill were kept
    redone = _calls(cluster)
    assert {worker for worker, _ in redone} == {survivor}
    assert sorted(path for _, path in redone) == sorted(stalled_shard[done:])  # only the rows not committed
    assert all(before[path] == 1 for path in stalled_shard[:done])

    # no step output went through a filesystem IO manager (it would write under the instance's storage folder)
    assert [p for p in (dagster_home / "storage").rglob("*") if p.is_file()] == []
    for worker in cluster.workers:
        assert not (worker.directory / ".datachain" / "db.duckdb").exists()  # the lake, not a local file
    rows = dict(dc.read_dataset("cluster_sizes").select("file.path", "size").to_list())
    assert rows == sizes  # every input row exactly once
    assert dc.read_dataset("cluster_sizes").count() == FILES
    with dc.DataMemory().memory().connect() as con:
        assert [v.version for v in catalog.list_versions(con, "cluster_sizes")] == ["1.0.0"]
    staging = os.environ["DATACHAIN_DATA_PATH"].removeprefix("s3://") + "_dc_staging"
    assert s3_server.fs().find(staging) == []  # the save removed every shard's parts from the bucket
