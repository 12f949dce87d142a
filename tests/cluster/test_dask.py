"""The shards of a dataset asset as steps on the dask executor, over a LocalCluster of two worker processes on
127.0.0.1."""

from __future__ import annotations

import dagster as dg
import pytest

import dagster_datachain as dc

for _package in ("dagster_celery", "dagster_dask"):  # the [team] extra
    pytest.importorskip(_package)

FILES = 24
LOCAL_CLUSTER = {"n_workers": 2, "threads_per_worker": 1, "processes": True, "host": "127.0.0.1",
                 "dashboard_address": "127.0.0.1:0"}


@pytest.mark.timeout(180)
def test_shards_on_a_dask_local_cluster(s3_server, tmp_path, monkeypatch):
    from tests.cluster import jobs

    bucket = s3_server.make_bucket("dask-input")
    for i in range(FILES):
        s3_server.fs().pipe(f"dask-input/f{i:03d}.bin", b"x" * i)
    for name, value in {"DC_CLUSTER_BUCKET": bucket + "/", "AWS_ENDPOINT_URL": s3_server.url,
                        "AWS_ACCESS_KEY_ID": "dask-test", "AWS_SECRET_ACCESS_KEY": "dask-test",
                        "DC_CLUSTER_CALLS": str(tmp_path / "calls.log")}.items():
        monkeypatch.setenv(name, value)

    run_config = {"execution": {"config": {"cluster": {"local": LOCAL_CLUSTER}}}}
    with dg.instance_for_test() as instance:
        with dg.execute_job(dg.reconstructable(jobs.on_dask), instance=instance, run_config=run_config) as result:
            assert result.success
            shard_pids = {e.pid for e in result.all_events if e.is_step_start and "__shard_" in (e.step_key or "")}
    assert len(shard_pids) == 2  # both dask workers ran shards
    rows = dict(dc.read_dataset("cluster_sizes").select("file.path", "size").to_list())
    assert rows == {f"f{i:03d}.bin": i for i in range(FILES)}
