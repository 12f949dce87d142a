"""A dataset's description is its asset's (the docstring by default) however the asset saves it: a plain `@asset`
through `DataMemory.save`, the IO manager, or a sharded asset; and the sharded asset takes configured keys."""

import dagster as dg
import pandas as pd

import dagster_datachain as dc


def description(name: str, memory: dc.Memory) -> str | None:
    [info] = dc.datasets(column="info", memory=memory).filter(dc.C("info.name") == name).to_values("info")
    return info.description


def test_plain_assets_and_sharded_assets_describe_their_datasets(tmp_path):
    data_memory = dc.DataMemory(root=str(tmp_path / "dm"), knowledge_base=None)

    @dg.asset
    def counted(context: dg.AssetExecutionContext, data_memory: dc.DataMemory) -> dg.MaterializeResult:
        """Numbers saved by a plain asset."""
        with data_memory.scope():
            chain = dc.read_values(n=[1, 2, 3])
        return data_memory.save(context, chain)

    @dg.asset(io_manager_key="dataset_io_manager")
    def table() -> pd.DataFrame:
        """A table the IO manager stores."""
        return pd.DataFrame({"n": [1, 2]})

    @dc.sharded_dataset_asset(shards=2, resource_key="memory_of_pets", io_manager_key="pets_io")
    def sharded() -> dc.DataChain:
        """Doubled numbers, computed in two shards."""
        return dc.read_values(n=list(range(10))).map(double=lambda n: n * 2, output=int)

    with dg.instance_for_test() as instance:
        result = dg.materialize([counted, table, sharded], instance=instance, resources={
            "data_memory": data_memory, "memory_of_pets": data_memory,
            "dataset_io_manager": dc.DatasetIOManager(data_memory=data_memory),
            "pets_io": dc.DatasetIOManager(data_memory=data_memory)})
        assert result.success
    memory = data_memory.memory()
    assert description("counted", memory) == "Numbers saved by a plain asset."
    assert description("table", memory) == "A table the IO manager stores."
    assert description("sharded", memory) == "Doubled numbers, computed in two shards."
    assert sorted(dc.read_dataset("sharded", memory=memory).to_values("double")) == list(range(0, 20, 2))
