"""DatasetIOManager: upstream datasets arrive as lazy chains; plain assets' chains, DataFrames and Arrow tables
are saved as dataset versions."""


from typing import Any

import pandas as pd
import pyarrow as pa
from dagster import ConfigurableIOManager, InputContext, MetadataValue, OutputContext

from .asset_decorator import partition_dataset
from .chain.chain import DataChain
from .chain.readers import read_arrow, read_dataset, read_pandas
from .errors import DataChainError
from .metadata import NS, change_metadata, latest_version
from .resource import DataMemory
from .translator import dataset_name


class DatasetIOManager(ConfigurableIOManager):
    """Loads `name` (or a version pinned with `AssetIn(metadata={"version": "1.0.2"})`) as a chain that copies
    no rows; stores a returned DataChain, pandas DataFrame or pyarrow Table as the next version of `name`.
    A partitioned asset stores each partition as dataset `name.<partition key>` (as `@dataset_asset` does) and
    loads the partitions asked for as one chain. A stored dataset's description is the asset's.

    Example:
        >>> data_memory = DataMemory()
        >>> defs = dg.Definitions(assets=[...], resources={
        ...     "data_memory": data_memory, "dataset_io_manager": DatasetIOManager(data_memory=data_memory)})
    """

    data_memory: DataMemory

    def load_input(self, context: InputContext) -> DataChain:
        """The upstream dataset as a lazy chain.

        Args:
            context: the input's context; its asset key names the dataset, `metadata={"version": ...}` on the
                `AssetIn` pins a version, and a partitioned input reads the partitions asked for.

        Returns:
            A chain over the stored rows (nothing is copied).

        Raises:
            DatasetNotFoundError: the dataset (or a partition of it) has no version yet.
            DatasetVersionNotFoundError: the pinned version does not exist.
        """
        name = dataset_name(context.asset_key)
        memory = self.data_memory.memory()
        if context.has_asset_partitions:  # one dataset per partition: the ones asked for, as one chain
            chains = [read_dataset(partition_dataset(name, key), memory=memory) for key in context.asset_partition_keys]
            union = chains[0]
            for chain in chains[1:]:
                union = union.union(chain)
            return union
        version = (context.definition_metadata or {}).get("version")
        return read_dataset(name, version=None if version in (None, "latest") else str(version), memory=memory)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        """Save what the asset returned as the next version of its dataset, and report it as output metadata.

        Args:
            context: the output's context; its asset key names the dataset.
            obj: a DataChain, pandas DataFrame or pyarrow Table; None stores nothing.

        Raises:
            DataChainError: `obj` is of another type, or one object was returned for several partitions.
        """
        if obj is None:
            return
        name = dataset_name(context.asset_key)
        if context.has_asset_partitions:  # one dataset per partition, as load_input reads them
            keys = context.asset_partition_keys
            if len(keys) != 1:
                span = context.asset_partition_key_range
                raise DataChainError(
                    f"asset {name!r} returned one object for {len(keys)} partitions ({span.start}..{span.end}); "
                    "the DatasetIOManager stores one partition per run: materialize them one at a time")
            name = partition_dataset(name, keys[0])
        memory = self.data_memory.memory()
        previous = latest_version(memory, name)
        with self.data_memory.scope():
            record = _as_chain(obj, name).save(name, description=context.asset_spec.description).dataset
        assert record is not None
        context.add_output_metadata({
            f"{NS}dataset": MetadataValue.text(record.reference),
            f"{NS}version": MetadataValue.text(record.version),
            "dagster/row_count": MetadataValue.int(record.row_count),
            **change_metadata(memory, previous, record),
        })


def _as_chain(obj: Any, name: str) -> DataChain:
    if isinstance(obj, DataChain):
        return obj
    if isinstance(obj, pd.DataFrame):
        return read_pandas(obj)
    if isinstance(obj, pa.Table):
        return read_arrow(obj)
    raise DataChainError(f"asset {name!r} returned {type(obj).__name__}; return a DataChain, DataFrame or Arrow table")

