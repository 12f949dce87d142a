"""Scaling a dataset past one process: its UDF work split into hash shards, each a Dagster step.

Every shard step runs the chain's UDFs on its slice of the input and commits the results as checkpoint parts
(on a DuckLake under its data path's `_dc_staging/`, so steps on other machines see them). A final step saves the
union of all shards as one dataset version, reusing those parts, so the save is one short transaction and
steps running at once never fight over the database. Works with any Dagster executor.
"""

import inspect
from collections.abc import Callable
from typing import Any

from dagster import (
    AssetsDefinition,
    In,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    graph_asset,
    op,
)

from .asset_decorator import ChainFunction, build_chain, data_version, run_scope
from .chain.chain import DataChain
from .hooks import knowledge_base_hook
from .memory.names import split_reference
from .metadata import latest_version, materialization_metadata
from .translator import dataset_key


def sharded_dataset_asset(
    name: str | None = None,
    *,
    shards: int = 4,
    description: str | None = None,
    group_name: str = "datasets",
    batch_size: int | None = None,
    prefetch: int | None = None,
    resource_key: str = "data_memory",
    io_manager_key: str = "dataset_io_manager",
) -> Callable[[ChainFunction], AssetsDefinition]:
    """Like `@dataset_asset` for a function without inputs, with its UDF work fanned out over `shards` steps.

    Args:
        name: dataset (and asset) name; the function's name by default.
        shards: how many steps share the UDF work (each takes a hash slice of the input).
        description: the dataset's and the asset's description; the function's docstring by default.
        group_name: the asset group.
        batch_size, prefetch: UDF execution settings applied to the returned chain.
        resource_key, io_manager_key: the keys of the `DataMemory` resource and the `DatasetIOManager`.

    Returns:
        A decorator that turns the function into a graph asset: `shards` shard steps, then one save step.

    Raises:
        ValueError: `shards` is below 1.
        InvalidDatasetNameError: the name cannot be a dataset name.

    Example:
        >>> @sharded_dataset_asset(shards=4)
        ... def pets_embeddings() -> dc.DataChain:
        ...     return dc.read_dataset("pets_images").map(emb=encode)
    """
    if shards < 1:
        raise ValueError("shards must be at least 1")

    def decorator(fn: ChainFunction) -> AssetsDefinition:
        dataset = name or fn.__name__
        split_reference(dataset)
        asset_description = description or inspect.getdoc(fn)
        settings = {"batch_size": batch_size, "parallel": None, "prefetch": prefetch}

        def whole_chain() -> DataChain:
            return build_chain(fn, dataset, settings, {})

        shard_ops = [_shard_op(dataset, i, shards, whole_chain, resource_key) for i in range(shards)]

        @op(name=f"{dataset}__save", ins={"shards": In(Nothing)}, out=Out(io_manager_key=io_manager_key),
            required_resource_keys={resource_key})
        def save_op(context: OpExecutionContext) -> Output[None]:
            resource = getattr(context.resources, resource_key)
            with run_scope(context, resource) as memory:
                chain = whole_chain()
                union = chain.shard(0, shards)
                for i in range(1, shards):
                    union = union.union(chain.shard(i, shards))
                previous = latest_version(memory, dataset)
                record = union.save(dataset, description=asset_description).dataset
                assert record is not None
                metadata = materialization_metadata(union, record, previous, {}, resource.knowledge_base)
            return Output(None, metadata=metadata, data_version=data_version(record))

        @graph_asset(name=dataset, description=asset_description, group_name=group_name, kinds={"duckdb", "python"},
                     hooks={knowledge_base_hook(dataset_key(dataset), dataset, resource_key)})
        def _asset() -> Any:
            return save_op([shard() for shard in shard_ops])

        return _asset

    return decorator


def _shard_op(dataset: str, index: int, count: int, whole_chain: Callable[[], DataChain], resource_key: str) -> Any:
    @op(name=f"{dataset}__shard_{index}", out=Out(Nothing), required_resource_keys={resource_key})
    def _shard(context: OpExecutionContext) -> None:
        with run_scope(context, getattr(context.resources, resource_key)):
            whole_chain().shard(index, count).checkpoint()
            context.log.info(f"shard {index + 1}/{count} of {dataset} computed")

    return _shard


