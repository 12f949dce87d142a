"""dagster_datachain: run Python over heavy files and tables, remember every result as a typed, versioned dataset.

The chain API mirrors the DataChain library, so its scripts run with only the import changed:

    import dagster_datachain as dc

    dc.read_storage("images/**/*.jpg").map(info=get_info).save("pets_images")

What it exports:
    Chains: `read_storage`, `read_dataset`, `read_values`, `read_records`, `read_parquet`, `read_csv`, `read_json`,
        `read_pandas`, `read_arrow`; `DataChain`, `C`/`Column`, `Expr`, `func`; `datasets`, `delete_dataset`, `gc`.
    Files and models: `File`, `ImageFile`, `TextFile`, `DataModel`, the UDF classes (`Mapper`, `Generator`,
        `Aggregator`, `BatchMapper`); `register_storage_options` for credentials kept in this process.
    Data Memory and the Knowledge Base: `Memory`, `build_knowledge_base`.
    The Dagster face (imported on first use, so plain scripts do not import Dagster): `dataset_asset`,
        `sharded_dataset_asset`, `DataMemory`, `datachain_resources`, `DatasetIOManager`, `bucket_asset`,
        `bucket_sensor`, `DatasetTranslator`, `DatasetComponent`, `BucketComponent`.
    Errors: `DataChainError` and its subclasses.

Example:
    >>> @dc.dataset_asset(deps=[dc.bucket_asset("s3://bucket/images/")])
    ... def pets_images() -> dc.DataChain:
    ...     "Pet photos with their pixel size."
    ...     return dc.read_storage("s3://bucket/images/", type="image").map(info=get_info)
    >>> defs = dg.Definitions(assets=[pets_images], resources=dc.datachain_resources())
"""

from __future__ import annotations

from importlib import metadata as _metadata
from typing import TYPE_CHECKING

from . import console
from .chain import func
from .chain.chain import DataChain
from .chain.export import ArrowRow
from .chain.expr import C, Expr
from .chain.expr import C as Column
from .chain.maintenance import GCReport, gc
from .chain.readers import (
    DatasetInfo,
    datasets,
    delete_dataset,
    read_arrow,
    read_csv,
    read_dataset,
    read_json,
    read_pandas,
    read_parquet,
    read_records,
    read_storage,
    read_values,
)
from .errors import (
    ColumnNotFoundError,
    DataChainColumnError,
    DataChainError,
    DataChainParamsError,
    DataMemoryLockedError,
    DatasetInvalidVersionError,
    DatasetMergeError,
    DatasetNotFoundError,
    DatasetVersionExistsError,
    DatasetVersionNotFoundError,
    InvalidDatasetNameError,
    SchemaError,
    SetupError,
    SignalResolvingError,
    StorageError,
    UDFError,
    UdfSignatureError,
)
from .kb import build_knowledge_base
from .memory.store import Memory
from .storage.file import File, ImageFile, TextFile
from .storage.filesystem import register_storage_options
from .udf.classes import AbstractUDF, Aggregator, BatchMapper, Generator, Mapper
from .udf.model import DataModel, is_chain_type

console.install()

try:
    __version__ = _metadata.version("dagster_datachain")
except _metadata.PackageNotFoundError:  # a checkout on sys.path, not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:  # what the lazy loader below returns, visible to type checkers and IDEs
    from .asset_decorator import dataset_asset
    from .components import BucketComponent, DatasetComponent
    from .io_manager import DatasetIOManager
    from .resource import DataMemory, datachain_resources
    from .sensors import bucket_asset, bucket_sensor
    from .sharding import sharded_dataset_asset
    from .translator import DatasetTranslator, DatasetTranslatorData

# The Dagster face, imported on first use so plain scripts do not pay for importing Dagster.
_DAGSTER_FACE = {
    "BucketComponent": ".components",
    "DataMemory": ".resource",
    "DatasetComponent": ".components",
    "datachain_resources": ".resource",
    "dataset_asset": ".asset_decorator",
    "DatasetIOManager": ".io_manager",
    "DatasetTranslator": ".translator",
    "DatasetTranslatorData": ".translator",
    "bucket_asset": ".sensors",
    "bucket_sensor": ".sensors",
    "sharded_dataset_asset": ".sharding",
}


def __getattr__(name: str) -> object:
    if name in _DAGSTER_FACE:
        import importlib

        return getattr(importlib.import_module(_DAGSTER_FACE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "AbstractUDF",
    "Aggregator",
    "ArrowRow",
    "BatchMapper",
    "BucketComponent",
    "C",
    "Column",
    "DataChainColumnError",
    "DataChainParamsError",
    "DataModel",
    "DatasetInvalidVersionError",
    "DatasetMergeError",
    "Generator",
    "Mapper",
    "SetupError",
    "SignalResolvingError",
    "UdfSignatureError",
    "is_chain_type",
    "read_records",
    "DataMemory",
    "DatasetComponent",
    "DatasetIOManager",
    "DatasetTranslator",
    "DatasetTranslatorData",
    "ColumnNotFoundError",
    "DataChain",
    "DataChainError",
    "DataMemoryLockedError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "DatasetVersionExistsError",
    "DatasetVersionNotFoundError",
    "Expr",
    "File",
    "GCReport",
    "ImageFile",
    "InvalidDatasetNameError",
    "Memory",
    "SchemaError",
    "StorageError",
    "TextFile",
    "UDFError",
    "bucket_asset",
    "build_knowledge_base",
    "bucket_sensor",
    "datachain_resources",
    "dataset_asset",
    "datasets",
    "delete_dataset",
    "func",
    "gc",
    "read_arrow",
    "read_csv",
    "read_dataset",
    "read_json",
    "read_pandas",
    "read_parquet",
    "read_storage",
    "read_values",
    "register_storage_options",
    "sharded_dataset_asset",
]
