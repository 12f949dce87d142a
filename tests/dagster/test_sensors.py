"""Bucket sensors against real files added, changed and deleted between ticks."""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc


def definitions(folder: Path, memory: dc.Memory, tmp_path: Path):
    bucket = dc.bucket_asset(str(folder))

    @dc.dataset_asset(deps=[bucket])
    def files() -> dc.DataChain:
        return dc.read_storage(str(folder), delta=True).map(n=lambda file: file.size, output=int)

    sensor = dc.bucket_sensor(str(folder), target=[files], bucket=bucket, name="files_sensor")
    defs = dg.Definitions(assets=[bucket, files], sensors=[sensor],
                          resources=dc.datachain_resources(root=str(memory.root), knowledge_base=None))
    return defs, sensor, bucket, files


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    (bucket / "a.txt").write_text("a")
    return bucket


def tick(sensor: dg.SensorDefinition, defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                      resources={"data_memory": defs.resources["data_memory"]})
    return sensor.evaluate_tick(context)


def test_sensor_requests_runs_only_when_files_change(memory, tmp_path, folder):
    defs, sensor, bucket, files = definitions(folder, memory, tmp_path)
    with dg.instance_for_test() as instance:
        first = tick(sensor, defs, instance, None)
        assert len(first.run_requests) == 1
        assert sensor.targets[0].resolvable_to_job.selection.selected_keys == [dg.AssetKey("files")]

        quiet = tick(sensor, defs, instance, first.cursor)
        assert quiet.run_requests == [] and "no file under" in quiet.skip_message

        (folder / "b.txt").write_text("bb")
        added = tick(sensor, defs, instance, quiet.cursor or first.cursor)
        assert len(added.run_requests) == 1 and added.cursor != first.cursor

        time.sleep(0.01)
        (folder / "a.txt").write_text("changed")
        changed = tick(sensor, defs, instance, added.cursor)
        assert len(changed.run_requests) == 1

        (folder / "b.txt").unlink()
        deleted = tick(sensor, defs, instance, changed.cursor)
        assert len(deleted.run_requests) == 1
        assert len({first.cursor, added.cursor, changed.cursor, deleted.cursor}) == 4


def test_cursor_survives_a_restart_and_listing_lives_in_data_memory(memory, tmp_path, folder):
    defs, sensor, _, _ = definitions(folder, memory, tmp_path)
    with dg.instance_for_test() as instance:
        cursor = tick(sensor, defs, instance, None).cursor
    # a new instance (the daemon restarted) with the stored cursor: nothing new, no run
    with dg.instance_for_test() as instance:
        assert tick(sensor, defs, instance, cursor).run_requests == []
    assert dc.read_storage(str(folder)).count() == 1  # the per-file listing is in Data Memory


def test_bucket_data_version_marks_dataset_stale(memory, tmp_path, folder):
    defs, sensor, bucket, files = definitions(folder, memory, tmp_path)
    with dg.instance_for_test() as instance:
        first = tick(sensor, defs, instance, None)
        for event in first.asset_events:  # the daemon stores these; in a test we report them ourselves
            instance.report_runless_asset_event(event)
        dg.materialize([files], instance=instance, resources=defs.resources)
        (folder / "b.txt").write_text("b")
        second = tick(sensor, defs, instance, first.cursor)
        for event in second.asset_events:
            instance.report_runless_asset_event(event)
        observed = instance.fetch_observations(bucket.key, limit=1).records[0].asset_observation
        used = instance.get_latest_materialization_event(dg.AssetKey("files")).asset_materialization
    assert observed.metadata["dagster_datachain/files"].value == 2
    read = used.tags[f"dagster/input_data_version/{bucket.key.to_user_string()}"]
    assert second.cursor.startswith(observed.tags["dagster/data_version"])  # cursor: listing fingerprint.change
    assert first.cursor.startswith(read) and read != observed.tags["dagster/data_version"]  # stale now
