"""A DatasetTranslator decides each dataset asset's spec; multi-part asset keys name datasets one way in the
decorator, the IO manager, the sensors and the Knowledge Base."""

from pathlib import Path

import dagster as dg
import pandas as pd

import dagster_datachain as dc
from dagster_datachain.translator import dataset_key, dataset_name


class VisionTranslator(dc.DatasetTranslator):
    def get_asset_spec(self, data: dc.DatasetTranslatorData) -> dg.AssetSpec:
        return super().get_asset_spec(data).replace_attributes(owners=["team:vision"])


def test_translator_sets_the_spec_and_the_prefixed_key_names_the_dataset_everywhere(memory, tmp_path: Path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(3):
        (notes / f"n{i}.txt").write_text("word " * (i + 1))
    translator = VisionTranslator(key_prefix=["vision"], group_name="pets", kinds=["duckdb", "pydantic"],
                                  tags={"tier": "gold"}, automation_condition=dg.AutomationCondition.eager())

    @dc.dataset_asset(translator=translator)
    def counts() -> dc.DataChain:
        return dc.read_storage(str(notes)).map(words=lambda file: len(file.read_text().split()), output=int)

    @dc.dataset_asset(translator=translator)
    def big(counts: dc.DataChain) -> dc.DataChain:   # upstream through the same translator: vision/counts
        return counts.filter(dc.C("words") > 1)

    @dg.asset(key=["vision", "frame"], io_manager_key="dataset_io_manager")
    def frame() -> pd.DataFrame:                      # a plain asset through the IO manager
        return pd.DataFrame({"n": [1, 2, 3]})

    spec = next(iter(counts.specs))
    assert spec.key == dg.AssetKey(["vision", "counts"]) and spec.group_name == "pets"
    assert spec.owners == ["team:vision"] and spec.tags["tier"] == "gold" and "pydantic" in spec.kinds
    assert spec.automation_condition is not None
    assert big.asset_deps[dg.AssetKey(["vision", "big"])] == {dg.AssetKey(["vision", "counts"])}

    kb = tmp_path / "kb"
    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=str(kb))
    sensor = dc.bucket_sensor(str(notes), target=["vision__counts", "vision/big"])
    defs = dg.Definitions(assets=[counts, big, frame], sensors=[sensor], resources=resources)
    assert set(sensor.targets[0].resolvable_to_job.selection.resolve(defs.resolve_asset_graph())) == {
        dg.AssetKey(["vision", "counts"]), dg.AssetKey(["vision", "big"])}
    with dg.instance_for_test() as instance:
        result = dg.materialize([counts, big, frame], instance=instance, resources=resources)
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey(["vision", "big"]))
    assert event.asset_materialization.metadata["dagster_datachain/dataset"].value == "vision__big@1.0.0"
    assert dc.read_dataset("vision__big").count() == 2 and dc.read_dataset("vision__frame").count() == 3
    page = (kb / "datasets" / "vision__big.md").read_text()
    assert "dagster_asset_key: vision/big" in page or 'dagster_asset_key: "vision/big"' in page


def test_one_mapping_between_keys_and_dataset_names():
    key = dg.AssetKey(["team", "pets_images"])
    assert dataset_name(key) == "team__pets_images" and dataset_key("team__pets_images") == key
    assert dataset_key("pets_images") == dg.AssetKey("pets_images")


def test_dataset_component_key_prefix_names_the_dataset(tmp_path):
    from dagster_datachain.components import DatasetComponent

    defs = DatasetComponent(name="masks", source=str(tmp_path), key_prefix=["vision"]).build_defs(None)
    [asset] = defs.assets
    assert asset.key == dg.AssetKey(["vision", "masks"])
    assert asset.specs_by_key[asset.key].metadata["dagster_datachain/dataset"] == "vision__masks"
