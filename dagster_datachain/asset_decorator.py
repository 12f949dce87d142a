"""@dataset_asset: a function returning a chain becomes a versioned Dagster asset.

    @dataset_asset(deps=[images_bucket])
    def pets_images() -> dc.DataChain:
        return dc.read_storage("images/", delta=True).map(info=get_info)

    @dataset_asset()
    def pets_embeddings(pets_images: dc.DataChain) -> dc.DataChain:   # upstream dataset, as a lazy chain
        return pets_images.map(emb=encode)

Materializing runs the chain's UDFs in checkpointed batches (a failed run resumes on re-execution), saves the next
version, and reports it: `dataset`, row count, column schema and lineage, a preview, checks, and the version as the
asset's data version. The Knowledge Base is rewritten by a success hook.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from dagster import (
    AssetIn,
    AssetKey,
    AssetsDefinition,
    DataVersion,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from .chain.chain import DataChain, set_run_id
from .checks import dataset_check_specs, evaluate_checks
from .console import LIBRARY_LOGGER
from .errors import DataChainError
from .hooks import knowledge_base_hook
from .memory.names import split_reference
from .memory.store import Memory, using_memory
from .metadata import latest_version, materialization_metadata

DATASET_TAG = "dagster_datachain/dataset"

ChainFunction = Callable[..., DataChain]


def dataset_asset(
    name: str | None = None,
    *,
    ins: Mapping[str, str] | None = None,
    deps: Sequence[Any] = (),
    description: str | None = None,
    group_name: str = "datasets",
    batch_size: int | None = None,
    parallel: int | bool | None = None,
    prefetch: int | None = None,
    partitions_def: PartitionsDefinition | None = None,
    max_row_drop: float = 0.5,
    owners: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Callable[[ChainFunction], AssetsDefinition]:
    """Turn a function that returns a DataChain into a dataset asset whose key is the dataset name.

    Args:
        name: dataset (and asset) name; the function's name by default.
        ins: pin upstream datasets by parameter: `{"images": "pets_images@1.0.2"}`. Other parameters (except
            `context`) are upstream datasets named like the parameter, loaded as lazy chains.
        deps: assets this one depends on without loading them (e.g. a `bucket_asset`).
        batch_size, parallel, prefetch: UDF execution settings applied to the returned chain.
        partitions_def: Dagster partitions; each partition is its own dataset `name.<partition key>` and the
            function receives `context` to read `context.partition_key`.
        max_row_drop: the row-count check fails when a version has lost more than this fraction of rows.
    """

    def decorator(fn: ChainFunction) -> AssetsDefinition:
        dataset = name or fn.__name__
        split_reference(dataset)  # a clear error now for a name that cannot be a dataset
        key = AssetKey(dataset)
        parameters = [p for p in inspect.signature(fn).parameters if p != "context"]
        pinned = dict(ins or {})
        asset_ins = {param: _asset_in(param, pinned.get(param)) for param in parameters}
        wants_context = "context" in inspect.signature(fn).parameters
        settings = {"batch_size": batch_size, "parallel": parallel, "prefetch": prefetch}
        asset_description = description or inspect.getdoc(fn)

        @asset(
            name=dataset,
            ins=asset_ins,
            deps=list(deps),
            description=asset_description,
            group_name=group_name,
            partitions_def=partitions_def,
            code_version=_code_version(fn),
            kinds={"duckdb", "python"},
            required_resource_keys={"data_memory"},
            io_manager_key="dataset_io_manager",
            metadata={DATASET_TAG: dataset},
            check_specs=dataset_check_specs(key, max_row_drop),
            hooks={knowledge_base_hook(key, dataset)},
            owners=list(owners) if owners else None,
            tags=dict(tags) if tags else None,
        )
        def _compute(context, **inputs: DataChain) -> MaterializeResult:  # noqa: ANN001 - Dagster reads it
            resource = context.resources.data_memory
            memory = resource.memory()
            with run_scope(context, memory):
                chain = build_chain(fn, dataset, settings, inputs, context if wants_context else None)
                target = partition_dataset(dataset, context.partition_key) if context.has_partition_key else dataset
                previous = latest_version(memory, target)
                record = chain.save(target, description=asset_description).dataset
                assert record is not None
                return MaterializeResult(
                    metadata=materialization_metadata(chain, record, previous, inputs, resource.knowledge_base),
                    data_version=DataVersion(f"{record.reference}:{record.chain_hash[:12]}"),
                    check_results=evaluate_checks(memory, record, max_row_drop),
                )

        return _compute

    return decorator


def partition_dataset(dataset: str, partition_key: str) -> str:
    """The dataset that holds one partition of a partitioned dataset asset."""
    return f"{dataset}.{re.sub(r'[^A-Za-z0-9_.-]', '_', partition_key)}"


def build_chain(fn: ChainFunction, dataset: str, settings: dict[str, Any], inputs: Mapping[str, DataChain],
                context: Any = None) -> DataChain:
    """Call the user's function and apply the asset's execution settings to the chain it returns."""
    chain = fn(context, **inputs) if context is not None else fn(**inputs)
    if not isinstance(chain, DataChain):
        raise DataChainError(f"dataset asset {dataset!r} must return a DataChain, got {type(chain).__name__}")
    return chain.settings(**settings) if any(v is not None for v in settings.values()) else chain


@contextmanager
def run_scope(context: Any, memory: Memory) -> Iterator[None]:
    """While a step runs: the resource's Data Memory is the default, saves carry the run id, logs go to Dagster."""
    with _logs_to(context), using_memory(memory), _run(context.run_id):
        yield


def _asset_in(param: str, pinned: str | None) -> AssetIn:
    if pinned is None:
        return AssetIn(key=AssetKey(param), metadata={"version": "latest"})
    dataset, version = split_reference(pinned)
    return AssetIn(key=AssetKey(dataset), metadata={"version": str(version) if version else "latest"})


def _code_version(fn: Callable[..., Any]) -> str:
    """Changes when the asset function's code does (UDF bodies are hashed per version in Data Memory)."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = repr(fn.__code__.co_code)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


@contextmanager
def _run(run_id: str) -> Iterator[None]:
    set_run_id(run_id)
    try:
        yield
    finally:
        set_run_id(None)


class _ToDagster(logging.Handler):
    """Forwards the library's log records (progress, checkpoints, delta summaries) to the run's log."""

    def __init__(self, context: Any) -> None:
        super().__init__(logging.INFO)
        self._log = context.log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._log.log(record.levelno, record.getMessage())
        except Exception:  # noqa: BLE001 - logging must never break the run
            self.handleError(record)


@contextmanager
def _logs_to(context: Any) -> Iterator[None]:
    if LIBRARY_LOGGER in context.instance.managed_python_loggers:  # Dagster already captures them
        yield
        return
    logger = logging.getLogger(LIBRARY_LOGGER)
    handler, level = _ToDagster(context), logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
