"""A bucket sensor requests a run for every change, even when a folder returns to a state it had before."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg

import dagster_datachain as dc


def launch_like_the_daemon(sensor: dg.SensorDefinition, defs: dg.Definitions, instance: dg.DagsterInstance,
                           cursor: str | None, asset: dg.AssetsDefinition) -> tuple[str | None, int]:
    """One sensor tick as the daemon runs it: a request whose run key an earlier run of this sensor used is
    dropped; the others start a run tagged with the key. Returns the new cursor and the runs started."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                      resources={"data_memory": defs.resources["data_memory"]})
    result = sensor.evaluate_tick(context)
    started = 0
    for request in result.run_requests:
        used = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": request.run_key,
                                                             "dagster/sensor_name": sensor.name}))
        if used:
            continue
        tags = {"dagster/run_key": request.run_key, "dagster/sensor_name": sensor.name}
        assert dg.materialize([asset], instance=instance, resources=defs.resources, tags=tags).success
        started += 1
    return result.cursor or cursor, started


def test_folder_restored_to_an_earlier_state_triggers_a_run(memory, tmp_path: Path):
    folder = tmp_path / "bucket"
    folder.mkdir()
    for i in range(57):
        (folder / f"f{i:02d}.txt").write_text("x" * (i + 1))

    @dc.dataset_asset()
    def sized() -> dc.DataChain:
        return dc.read_storage(str(folder), delta=True).map(n=lambda file: file.size, output=int)

    sensor = dc.bucket_sensor(str(folder), target=[sized], name="sized_sensor")
    defs = dg.Definitions(assets=[sized], sensors=[sensor],
                          resources=dc.datachain_resources(root=str(memory.root), knowledge_base=None))
    aside = tmp_path / "aside"
    aside.mkdir()
    with dg.instance_for_test() as instance:
        first, started = launch_like_the_daemon(sensor, defs, instance, None, sized)
        assert started == 1 and dc.read_dataset("sized").count() == 57

        for i in range(17, 57):  # delete 40 files (kept aside with their times)
            shutil.copy2(folder / f"f{i:02d}.txt", aside)
            (folder / f"f{i:02d}.txt").unlink()
        cursor, started = launch_like_the_daemon(sensor, defs, instance, first, sized)
        assert started == 1 and dc.read_dataset("sized").count() == 17

        for path in aside.iterdir():  # restore them exactly: the folder is as it was at the first tick
            shutil.copy2(path, folder / path.name)
            os.utime(folder / path.name, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
        restored, started = launch_like_the_daemon(sensor, defs, instance, cursor, sized)
        assert started == 1
        assert dc.read_dataset("sized").count() == 57

        quiet, started = launch_like_the_daemon(sensor, defs, instance, restored, sized)
        assert started == 0 and quiet == restored
        run_keys = [run.tags["dagster/run_key"] for run in instance.get_runs()]
    assert len(run_keys) == 3 and len(set(run_keys)) == 3 and restored != first
