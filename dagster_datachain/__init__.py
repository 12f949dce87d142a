"""dagster_datachain: run Python over heavy files and tables, remember every result as a typed, versioned dataset.

The chain API mirrors the DataChain library, so its scripts run with only the import changed:

    import dagster_datachain as dc

    dc.read_storage("images/**/*.jpg").map(info=get_info).save("pets_images")
"""

from __future__ import annotations

from .chain import func
from .chain.chain import DataChain
from .chain.expr import C, Expr
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
    read_storage,
    read_values,
)
from .errors import (
    ColumnNotFoundError,
    DataChainError,
    DataMemoryLockedError,
    DatasetNotFoundError,
    DatasetVersionExistsError,
    DatasetVersionNotFoundError,
    InvalidDatasetNameError,
    SchemaError,
    StorageError,
    UDFError,
)
from .memory.store import Memory
from .storage.file import File, ImageFile, TextFile

__all__ = [
    "C",
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
]
