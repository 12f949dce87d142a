"""Buckets are observable source assets: observing records the listing fingerprint as their data version (the
UI's "Observe" and the bucket sensor alike), and local folders that end the same way get different keys."""

from pathlib import Path

import dagster as dg

import dagster_datachain as dc
from definitions.definitions import defs as demo_defs


def observations(instance: dg.DagsterInstance, key: dg.AssetKey) -> list[dg.AssetObservation]:
    return [record.asset_observation for record in instance.fetch_observations(key, limit=10).records]


def test_observing_a_bucket_records_its_listing_as_data_version(memory, tmp_path: Path):
    folder = tmp_path / "bucket"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    bucket = dc.bucket_asset(str(folder))
    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=None)
    # as a schedule runs it
    observe = dg.define_asset_job("observe_bucket", selection=dg.AssetSelection.keys(bucket.key))
    job = dg.Definitions(assets=[bucket], jobs=[observe], resources=resources).resolve_job_def("observe_bucket")
    with dg.instance_for_test() as instance:
        assert job.execute_in_process(instance=instance).success
        (folder / "b.txt").write_text("b")
        assert job.execute_in_process(instance=instance).success
        seen = observations(instance, bucket.key)
    assert [o.metadata["dagster_datachain/files"].value for o in seen] == [2, 1]  # newest first
    versions = [o.tags["dagster/data_version"] for o in seen]
    assert versions[0] != versions[1] and all(len(v) == 32 for v in versions)
    assert bucket.is_observable and bucket.key.path[:2] == ["bucket", "file"]


def test_local_folders_that_end_the_same_way_get_different_keys(tmp_path: Path):
    one, two = tmp_path / "a" / "pets" / "images", tmp_path / "b" / "pets" / "images"
    assert dc.bucket_asset(str(one)).key != dc.bucket_asset(str(two)).key
    assert dc.bucket_asset(str(one)).key == dc.bucket_asset(f"{one}/").key
    assert dc.bucket_asset("s3://dc-readme/pets/").key == dg.AssetKey(["bucket", "s3", "dc_readme", "pets"])


def test_every_demo_bucket_is_observable_and_has_its_sensor():
    graph = demo_defs.resolve_asset_graph()
    buckets = [key for key in graph.get_all_asset_keys() if key.path[0] == "bucket"]
    assert len(buckets) == 2
    assert all(graph.get(key).is_observable for key in buckets)
    observed_by_sensors = set()
    for sensor in demo_defs.sensors:
        targets = sensor.targets[0].resolvable_to_job.selection.resolve(graph)
        observed_by_sensors |= {key for key in buckets if any(key in graph.get(t).parent_keys for t in targets)}
    assert observed_by_sensors == set(buckets)
