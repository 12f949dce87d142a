"""Partitions round-trip through the DatasetIOManager: each partition a dataset of its own, loaded per key."""

from pathlib import Path

import dagster as dg
import pandas as pd

import dagster_datachain as dc

DAYS = dg.StaticPartitionsDefinition(["mon", "tue", "wed"])


@dg.asset(partitions_def=DAYS, io_manager_key="dataset_io_manager")
def sales(context: dg.AssetExecutionContext) -> pd.DataFrame:
    day = context.partition_key
    size = {"mon": 1, "tue": 2, "wed": 3}[day]
    return pd.DataFrame({"day": [day] * size, "amount": list(range(size))})


@dg.asset(partitions_def=DAYS, io_manager_key="dataset_io_manager")
def doubled(sales: dc.DataChain) -> dc.DataChain:
    return sales.mutate(amount=dc.C("amount") * 2)


@dg.asset(io_manager_key="dataset_io_manager")
def all_sales(sales: dc.DataChain) -> pd.DataFrame:
    return sales.to_pandas()


def test_partitioned_plain_assets_store_and_load_each_partition(memory, tmp_path: Path):
    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=None)
    with dg.instance_for_test() as instance:
        for day in ("mon", "tue", "wed"):
            result = dg.materialize([sales, doubled], instance=instance, resources=resources, partition_key=day)
            assert result.success
        stored = instance.get_latest_materialization_event(dg.AssetKey("sales")).asset_materialization
        assert dg.materialize([sales, all_sales], instance=instance, resources=resources,
                              selection=[all_sales]).success

    assert stored.partition == "wed"
    assert stored.metadata["dagster_datachain/dataset"].value == "sales.wed@1.0.0"
    for day, size in {"mon": 1, "tue": 2, "wed": 3}.items():
        assert sorted(dc.read_dataset(f"sales.{day}").to_list()) == [(day, i) for i in range(size)]
        assert sorted(dc.read_dataset(f"doubled.{day}").to_list()) == [(day, 2 * i) for i in range(size)]
    assert sorted(dc.read_dataset("all_sales").to_list("day")) == [("mon",), ("tue",), ("tue",)] + [("wed",)] * 3
    assert sorted({d.name for d in dc.datasets(column="dataset").to_values("dataset")}) == [
        "all_sales", "doubled.mon", "doubled.tue", "doubled.wed", "sales.mon", "sales.tue", "sales.wed"]


def test_one_object_for_a_partition_range_is_refused_by_name(memory):
    @dg.asset(partitions_def=DAYS, io_manager_key="dataset_io_manager")
    def weekly(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return pd.DataFrame({"day": context.partition_keys})

    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=None)
    with dg.instance_for_test() as instance:
        result = dg.materialize([weekly], instance=instance, resources=resources, raise_on_error=False,
                                tags={"dagster/asset_partition_range_start": "mon",
                                      "dagster/asset_partition_range_end": "tue"})
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "asset 'weekly' returned one object for 2 partitions (mon..tue)" in str(failure.event_specific_data.error)
    assert dc.datasets().count() == 0
