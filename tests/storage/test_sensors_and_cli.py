"""Bucket sensors and the command line against every store (file, s3, gs, az)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

import dagster_datachain as dc
from tests.storage.conftest import Bucket

CLI = str(Path(sys.executable).parent / "dagster-datachain")


def tick(sensor: dg.SensorDefinition, defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                      resources={"data_memory": defs.resources["data_memory"]})
    return sensor.evaluate_tick(context)


def test_bucket_sensor_sees_added_changed_and_deleted_objects(bucket: Bucket, memory):
    bucket.put({"in/a.txt": b"a", "in/b.txt": b"b"})
    uri = bucket.uri("in/")

    @dc.dataset_asset()
    def objects() -> dc.DataChain:
        return dc.read_storage(uri, **bucket.options)

    sensor = dc.bucket_sensor(uri, target=[objects], storage_options=bucket.options, name="objects_sensor")
    defs = dg.Definitions(assets=[objects], sensors=[sensor],
                          resources=dc.datachain_resources(root=str(memory.root), knowledge_base=None))
    with dg.instance_for_test() as instance:
        cursors = [tick(sensor, defs, instance, None).cursor]
        assert tick(sensor, defs, instance, cursors[-1]).run_requests == []
        for change in (lambda: bucket.put({"in/c.txt": b"c"}), lambda: bucket.put({"in/a.txt": b"a, longer"}),
                       lambda: bucket.rm("in/b.txt")):
            change()
            result = tick(sensor, defs, instance, cursors[-1])
            assert len(result.run_requests) == 1
            cursors.append(result.cursor)
    assert len(set(cursors)) == 4


def cli(bucket: Bucket, *args: str, root: Path) -> subprocess.CompletedProcess[str]:
    options = [f"-o{key}={json.dumps(value)}" for key, value in bucket.options.items()]
    env = {**os.environ, "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    return subprocess.run([CLI, "--root", str(root), *options, *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_cli_copies_both_ways_and_lists(bucket: Bucket, memory, tmp_path):
    local = tmp_path / "local"
    (local / "sub").mkdir(parents=True)
    (local / "one.txt").write_text("first")
    (local / "sub" / "two.txt").write_text("second file")

    up = cli(bucket, "cp", "-r", str(local), bucket.uri("up/"), root=memory.root)
    assert up.returncode == 0, up.stderr
    listed = cli(bucket, "ls", bucket.uri("up/"), root=memory.root)
    assert listed.returncode == 0, listed.stderr
    assert "one.txt" in listed.stdout and "sub" in listed.stdout
    usage = cli(bucket, "du", bucket.uri("up/"), root=memory.root)
    assert usage.returncode == 0, usage.stderr
    assert usage.stdout.split("\t")[:2] == [f"{len('first') + len('second file')} B", "2 files"]

    down = cli(bucket, "cp", "-r", bucket.uri("up/"), str(tmp_path / "back"), root=memory.root)
    assert down.returncode == 0, down.stderr
    copied = {p.relative_to(tmp_path / "back").as_posix(): p.read_text()
              for p in (tmp_path / "back").rglob("*") if p.is_file()}
    assert copied == {"one.txt": "first", "sub/two.txt": "second file"}

    missing = cli(bucket, "ls", bucket.uri("nothing-here/"), root=memory.root)
    assert missing.returncode in (0, 1) and "Traceback" not in missing.stderr
