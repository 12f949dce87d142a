"""The DataMemory resource owns its state: typed injection, configurable keys, no process-wide settings written,
and `DataMemory.save` for plain `@asset` users."""

from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain.memory.store import get_memory
from dagster_datachain.storage.filesystem import storage_options_for


def write_notes(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"n{i}.txt").write_text("word " * (i + 1))
    return folder


def test_plain_asset_saves_through_a_typed_resource_under_its_own_key(tmp_path):
    notes = write_notes(tmp_path / "notes", 3)
    root, kb = tmp_path / "custom_dm", tmp_path / "kb"

    @dg.asset
    def word_counts(context: dg.AssetExecutionContext, memory_of_pets: dc.DataMemory) -> dg.MaterializeResult:
        with memory_of_pets.scope():
            chain = dc.read_storage(str(notes)).map(words=lambda file: len(file.read_text().split()), output=int)
        return memory_of_pets.save(context, chain)

    @dg.asset
    def outside_scope(context: dg.AssetExecutionContext, memory_of_pets: dc.DataMemory) -> dg.MaterializeResult:
        return memory_of_pets.save(context, dc.read_values(n=[1, 2], memory=dc.Memory(tmp_path / "elsewhere")))

    with dg.instance_for_test() as instance:
        result = dg.materialize([word_counts], instance=instance, resources={
            "memory_of_pets": dc.DataMemory(root=str(root), knowledge_base=str(kb))})
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey("word_counts"))
    materialization = event.asset_materialization
    assert materialization.metadata["dagster/row_count"].value == 3
    assert materialization.tags["dagster/data_version"].startswith("word_counts@1.0.0:")
    assert sorted(dc.read_dataset("word_counts", memory=dc.Memory(root)).to_values("words")) == [1, 2, 3]
    assert (kb / "datasets" / "word_counts.md").exists()

    with dg.instance_for_test() as instance, pytest.raises(dc.DataChainError, match="outside_scope.*scope"):
        dg.materialize([outside_scope], instance=instance, resources={
            "memory_of_pets": dc.DataMemory(root=str(root), knowledge_base=None)})


def test_dataset_asset_takes_the_resource_typed_and_under_a_configured_key(tmp_path):
    notes = write_notes(tmp_path / "notes", 4)
    root = tmp_path / "dm"
    seen: list[str] = []

    @dc.dataset_asset(resource_key="pets_memory", io_manager_key="pets_io")
    def counted(pets_memory: dc.DataMemory) -> dc.DataChain:
        seen.append(str(pets_memory.memory().root))
        return dc.read_storage(str(notes)).map(chars=lambda file: len(file.read_text()), output=int)

    @dc.dataset_asset(resource_key="pets_memory", io_manager_key="pets_io")
    def long_ones(counted: dc.DataChain) -> dc.DataChain:
        return counted.filter(dc.C("chars") > 10)

    data_memory = dc.DataMemory(root=str(root), knowledge_base=None)
    with dg.instance_for_test() as instance:
        result = dg.materialize([counted, long_ones], instance=instance, resources={
            "pets_memory": data_memory, "pets_io": dc.DatasetIOManager(data_memory=data_memory)})
        assert result.success
    assert seen == [str(root.resolve())]
    assert dc.read_dataset("long_ones", memory=dc.Memory(root)).count() == 2


def test_two_resources_in_one_process_keep_their_own_memory_and_storage_options(tmp_path):
    one = dc.DataMemory(root=str(tmp_path / "one"), lock_timeout=5,
                        storage_options={"s3://": {"endpoint_url": "http://one:9000"}})
    two = dc.DataMemory(root=str(tmp_path / "two"), lock_timeout=60,
                        storage_options={"s3://": {"endpoint_url": "http://two:9000"}})
    assert one.memory() is not two.memory()
    assert (one.memory().root, one.memory().lock_timeout) == ((tmp_path / "one").resolve(), 5)
    assert (two.memory().root, two.memory().lock_timeout) == ((tmp_path / "two").resolve(), 60)
    with one.scope():
        assert storage_options_for("s3://bucket")["endpoint_url"] == "http://one:9000"
        with two.scope():
            assert storage_options_for("s3://bucket")["endpoint_url"] == "http://two:9000"
        assert storage_options_for("s3://bucket")["endpoint_url"] == "http://one:9000"
    assert "endpoint_url" not in storage_options_for("s3://bucket")
    assert get_memory().root != one.memory().root  # the process-wide default is untouched


def test_a_resource_annotation_read_as_text_still_injects_the_resource():
    def counted(data_memory: "dc.DataMemory", other: "Missing" = None) -> "dc.DataChain":  # noqa: F821
        return dc.read_values(n=[1, 2])  # annotations Python cannot resolve (a local or postponed type)

    asset = dc.dataset_asset()(counted)
    assert set(asset.keys_by_input_name) == {"other"}
    assert "data_memory" in asset.required_resource_keys
