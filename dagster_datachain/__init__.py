"""dagster_datachain: run Python over heavy files and tables, remember every result as a typed, versioned dataset.

The chain API mirrors the DataChain library, so its scripts run with only the import changed:

    import dagster_datachain as dc

    dc.read_storage("images/**/*.jpg").map(info=get_info).save("pets_images")

Every public name is imported on first use (PEP 562): `import dagster_datachain` loads almost nothing, a script pays
for DuckDB and pyarrow when it first touches the chain API, and for Dagster only when it uses the Dagster face.

What it exports:
    Chains: `read_storage`, `read_dataset`, `read_values`, `read_records`, `read_parquet`, `read_csv`, `read_json`,
        `read_pandas`, `read_arrow`; `DataChain`, `C`/`Column`, `Expr`, `func`; `datasets`, `delete_dataset`, `gc`.
    Files and models: `File`, `ImageFile`, `TextFile`, `DataModel`, the UDF classes (`Mapper`, `Generator`,
        `Aggregator`, `BatchMapper`); `register_storage_options` for credentials kept in this process.
    Data Memory and the Knowledge Base: `Memory`, `build_knowledge_base`.
    The Dagster face: `dataset_asset`, `sharded_dataset_asset`, `DataMemory`, `datachain_resources`,
        `DatasetIOManager`, `bucket_asset`, `bucket_sensor`, `DatasetTranslator`, `DatasetComponent`,
        `BucketComponent`.
    Errors: `DataChainError` and its subclasses.

Example:
    >>> @dc.dataset_asset(deps=[dc.bucket_asset("s3://bucket/images/")])
    ... def pets_images() -> dc.DataChain:
    ...     "Pet photos with their pixel size."
    ...     return dc.read_storage("s3://bucket/images/", type="image").map(info=get_info)
    >>> defs = dg.Definitions(assets=[pets_images], resources=dc.datachain_resources())
"""

from __future__ import annotations

import importlib
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

from . import console

console.install()

try:
    __version__ = _metadata.version("dagster_datachain")
except _metadata.PackageNotFoundError:  # a checkout on sys.path, not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:  # what the lazy loader below returns, visible to type checkers and IDEs
    from .asset_decorator import dataset_asset
    from .chain import func, metrics
    from .chain.chain import DataChain
    from .chain.database import read_database
    from .chain.export import ArrowRow
    from .chain.expr import C, Expr
    from .chain.expr import C as Column
    from .chain.hf import read_hf
    from .chain.listings import ListingInfo, listings
    from .chain.maintenance import GCReport, gc
    from .chain.namespaces import create_project, delete_namespace, is_local, is_studio
    from .chain.params import param
    from .chain.readers import (
        DatasetInfo,
        datasets,
        delete_dataset,
        move_dataset,
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
    from .chain.session import Session
    from .chain.types import ColumnExpr, DataChainSchema, DataType, ModelStore, Sys
    from .chain.zarr import read_zarr
    from .components import BucketComponent, DatasetComponent
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
        FileError,
        InvalidDatasetNameError,
        InvalidNamespaceNameError,
        NamespaceDeleteNotAllowedError,
        NamespaceNotFoundError,
        NotAllowedError,
        NotFoundError,
        ProjectCreateNotAllowedError,
        ProjectDeleteNotAllowedError,
        ProjectNotFoundError,
        SchemaError,
        SetupError,
        SignalResolvingError,
        StorageError,
        UDFError,
        UdfSignatureError,
    )
    from .io_manager import DatasetIOManager
    from .kb import build_knowledge_base
    from .memory.store import Memory
    from .resource import DataMemory, datachain_resources
    from .sensors import bucket_asset, bucket_sensor
    from .sharding import sharded_dataset_asset
    from .storage.buckets import BucketStatus, bucket_status
    from .storage.file import File, ImageFile, TextFile
    from .storage.filesystem import register_storage_options
    from .storage.media import Audio, AudioFile, AudioFragment, Image, Video, VideoFile, VideoFragment, VideoFrame
    from .storage.tar import TarVFile
    from .translator import DatasetTranslator, DatasetTranslatorData
    from .udf.classes import AbstractUDF, Aggregator, BatchMapper, Generator, Mapper
    from .udf.model import DataModel, is_chain_type

# The module each public name lives in, imported when the name is first used.
_EXPORTS: dict[str, tuple[str, ...]] = {
    ".asset_decorator": ("dataset_asset",),
    ".chain.chain": ("DataChain",),
    ".chain.database": ("read_database",),
    ".chain.export": ("ArrowRow",),
    ".chain.expr": ("C", "Column", "Expr"),
    ".chain.hf": ("read_hf",),
    ".chain.listings": ("ListingInfo", "listings"),
    ".chain.maintenance": ("gc", "GCReport"),
    ".chain.namespaces": ("create_project", "delete_namespace", "is_local", "is_studio"),
    ".chain.params": ("param",),
    ".chain.readers": (
        "DatasetInfo", "datasets", "delete_dataset", "move_dataset", "read_arrow", "read_csv", "read_dataset",
        "read_json", "read_pandas", "read_parquet", "read_records", "read_storage", "read_values",
    ),
    ".chain.session": ("Session",),
    ".chain.types": ("ColumnExpr", "DataChainSchema", "DataType", "ModelStore", "Sys"),
    ".chain.zarr": ("read_zarr",),
    ".components": ("BucketComponent", "DatasetComponent"),
    ".errors": (
        "ColumnNotFoundError", "DataChainColumnError", "DataChainError", "DataChainParamsError",
        "DataMemoryLockedError", "DatasetInvalidVersionError", "DatasetMergeError", "DatasetNotFoundError",
        "DatasetVersionExistsError", "DatasetVersionNotFoundError", "FileError", "InvalidDatasetNameError",
        "SchemaError",
        "SetupError", "SignalResolvingError", "StorageError", "UDFError", "UdfSignatureError",
        "InvalidNamespaceNameError", "NamespaceDeleteNotAllowedError", "NamespaceNotFoundError", "NotAllowedError",
        "NotFoundError", "ProjectCreateNotAllowedError", "ProjectDeleteNotAllowedError", "ProjectNotFoundError",
    ),
    ".io_manager": ("DatasetIOManager",),
    ".kb": ("build_knowledge_base",),
    ".memory.store": ("Memory",),
    ".resource": ("datachain_resources", "DataMemory"),
    ".sensors": ("bucket_asset", "bucket_sensor"),
    ".sharding": ("sharded_dataset_asset",),
    ".storage.buckets": ("BucketStatus", "bucket_status"),
    ".storage.file": ("File", "ImageFile", "TextFile"),
    ".storage.filesystem": ("register_storage_options",),
    ".storage.media": ("Audio", "AudioFile", "AudioFragment", "Image", "Video", "VideoFile", "VideoFragment",
                       "VideoFrame"),
    ".storage.tar": ("TarVFile",),
    ".translator": ("DatasetTranslator", "DatasetTranslatorData"),
    ".udf.classes": ("AbstractUDF", "Aggregator", "BatchMapper", "Generator", "Mapper"),
    ".udf.model": ("DataModel", "is_chain_type"),
}
_ALIASES = {"Column": "C"}  # public name -> its name in the module
_SUBMODULES = {"func": ".chain.func", "metrics": ".chain.metrics"}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted([*_HOME, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value: Any = importlib.import_module(_SUBMODULES[name], __name__)
    elif name in _HOME:
        value = getattr(importlib.import_module(_HOME[name], __name__), _ALIASES.get(name, name))
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later uses skip this hook
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
