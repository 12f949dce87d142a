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
from typing import Any, get_type_hints

from dagster import (
    AssetCheckResult,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DataVersion,
    MaterializeResult,
    PartitionsDefinition,
    SourceAsset,
    multi_asset,
)

from .chain.chain import DataChain
from .chain.readers import read_dataset
from .chain.save import set_run_id
from .checks import dataset_check_specs, evaluate_checks, missing_version_results
from .console import LIBRARY_LOGGER
from .errors import DataChainError
from .hooks import knowledge_base_hook
from .memory.catalog import VersionRecord
from .memory.names import split_reference
from .memory.store import Memory
from .metadata import latest_version, materialization_metadata
from .resource import DataMemory
from .translator import (
    DatasetTranslator,
    DatasetTranslatorData,
    asset_key_for,
    dataset_key,
    dataset_name,
)

DATASET_TAG = "dagster_datachain/dataset"

ChainFunction = Callable[..., DataChain]


def dataset_asset(
    name: str | None = None,
    *,
    ins: Mapping[str, str] | None = None,
    deps: Sequence[Any] = (),
    description: str | None = None,
    group_name: str | None = None,
    batch_size: int | None = None,
    parallel: int | bool | None = None,
    prefetch: int | None = None,
    partitions_def: PartitionsDefinition | None = None,
    max_row_drop: float = 0.5,
    owners: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    resource_key: str = "data_memory",
    io_manager_key: str = "dataset_io_manager",
    translator: DatasetTranslator | None = None,
    blocking: bool = False,
) -> Callable[[ChainFunction], AssetsDefinition]:
    """Turn a function that returns a DataChain into a dataset asset whose key names the dataset.

    Args:
        name: dataset (and asset) name; the function's name by default.
        ins: pin upstream datasets by parameter: `{"images": "pets_images@1.0.2"}`. Other parameters (except
            `context`) are upstream datasets named like the parameter, loaded as lazy chains.
        translator: decides the asset spec (key prefix, group, kinds, owners, tags, automation condition); the
            dataset is the one the key names (`vision/pets_images` -> `vision__pets_images`). `group_name`,
            `owners` and `tags` given here override it.
        deps: assets this one depends on without loading them (e.g. a `bucket_asset`).
        batch_size, parallel, prefetch: UDF execution settings applied to the returned chain.
        partitions_def: Dagster partitions; each partition is its own dataset `name.<partition key>` and the
            function receives `context` to read `context.partition_key`.
        max_row_drop: the row-count check fails when a version has lost more than this fraction of rows.
        blocking: a failed ERROR check (NULLs in required fields, a row-count collapse) stops the assets
            downstream of this one in the same run.
        resource_key, io_manager_key: the keys of the `DataMemory` resource and the `DatasetIOManager`.
        description: the dataset's and the asset's description; the function's docstring by default.
        group_name, owners, tags: asset attributes, over the translator's.

    A parameter annotated `DataMemory` receives the resource of that name (e.g. `data_memory: DataMemory`).

    Returns:
        A decorator that turns the function into an `AssetsDefinition` with the dataset checks (see `checks.py`)
        and a hook that rewrites the Knowledge Base after each materialization.

    Raises:
        InvalidDatasetNameError: the name (or a pinned reference in `ins`) cannot be a dataset name.
        DataChainError: at materialization, when the function returns something other than a DataChain.

    Example:
        >>> @dataset_asset(deps=[images_bucket], batch_size=64)
        ... def pets_images() -> dc.DataChain:
        ...     "Pet photos with their pixel size (the dataset's description)."
        ...     return dc.read_storage("images/", type="image").map(info=get_info)
        >>> defs = dg.Definitions(assets=[pets_images], resources=datachain_resources())
    """

    def decorator(fn: ChainFunction) -> AssetsDefinition:
        declared = name or fn.__name__
        split_reference(declared)  # a clear error now for a name that cannot be a dataset
        asset_description = description or inspect.getdoc(fn)
        naming = translator or DatasetTranslator()
        spec = naming.get_asset_spec(DatasetTranslatorData(declared, asset_description, tuple(map(_dep_key, deps))))
        spec = spec.replace_attributes(
            group_name=group_name or spec.group_name, owners=list(owners) if owners else spec.owners,
            tags={**spec.tags, **(tags or {})})
        key, dataset = spec.key, dataset_name(spec.key)
        signature = inspect.signature(fn)
        resources = _resource_parameters(fn)
        parameters = [p for p in signature.parameters if p != "context" and p not in resources]
        pinned = {param: split_reference(reference) for param, reference in (ins or {}).items()}
        asset_ins = {param: AssetIn(key=naming.get_asset_key(param)) for param in parameters if param not in pinned}
        wants_context = "context" in signature.parameters
        settings = {"batch_size": batch_size, "parallel": parallel, "prefetch": prefetch}

        asset_spec = spec.replace_attributes(
            code_version=_code_version(fn), metadata={**spec.metadata, DATASET_TAG: dataset},
            deps=[*spec.deps, *(asset_in.key for asset_in in asset_ins.values() if asset_in.key is not None),
                  *(dataset_key(dataset) for dataset, _ in pinned.values())],
        ).with_io_manager_key(io_manager_key)

        @multi_asset(
            name=key.to_python_identifier(),
            specs=[asset_spec],
            ins=asset_ins,
            partitions_def=partitions_def,
            required_resource_keys={resource_key, *resources},
            check_specs=dataset_check_specs(key, max_row_drop, blocking),
            hooks={knowledge_base_hook(key, dataset, resource_key)},
            can_subset=True,  # the checks also run on their own, against the latest version
        )
        def _compute(context, **inputs: DataChain) -> Iterator[MaterializeResult | AssetCheckResult]:
            resource = getattr(context.resources, resource_key)
            given = {param: getattr(context.resources, param) for param in resources}
            checks = {check.name for check in context.selected_asset_check_keys}
            target = partition_dataset(dataset, context.partition_key) if context.has_partition_key else dataset
            with run_scope(context, resource) as memory:
                inputs = {**inputs, **{param: read_dataset(pinned_name, version=str(version) if version else None)
                                       for param, (pinned_name, version) in pinned.items()}}
                if key not in context.selected_asset_keys:  # only checks: of the latest version, nothing rebuilt
                    latest = latest_version(memory, target)
                    yield from (evaluate_checks(memory, latest, max_row_drop, checks) if latest is not None
                                else missing_version_results(target, max_row_drop, checks))
                    return
                chain = build_chain(fn, dataset, settings, {**inputs, **given}, context if wants_context else None)
                previous = latest_version(memory, target)
                record = chain.save(target, description=asset_description).dataset
                assert record is not None
                yield MaterializeResult(
                    metadata=materialization_metadata(chain, record, previous, inputs, resource.knowledge_base),
                    data_version=data_version(record),
                    check_results=evaluate_checks(memory, record, max_row_drop, checks),
                )

        return _compute

    return decorator


def partition_dataset(dataset: str, partition_key: str) -> str:
    """The dataset that holds one partition of a partitioned dataset asset.

    Args:
        dataset: the asset's dataset name.
        partition_key: the Dagster partition key; characters a dataset name cannot hold become `_`.

    Returns:
        `dataset.<partition key>`.

    Example:
        >>> partition_dataset("daily_images", "2025-01-31")
        'daily_images.2025-01-31'
    """
    return f"{dataset}.{re.sub(r'[^A-Za-z0-9_.-]', '_', partition_key)}"


def build_chain(fn: ChainFunction, dataset: str, settings: dict[str, Any], inputs: Mapping[str, DataChain],
                context: Any = None) -> DataChain:
    """Call the user's function and apply the asset's execution settings to the chain it returns.

    Args:
        fn: the asset function.
        dataset: the dataset name, for the error message.
        settings: `batch_size`, `parallel`, `prefetch`; None values leave the chain's own.
        inputs: upstream chains and resources, by parameter name.
        context: passed first when the function takes `context`.

    Returns:
        The chain to save.

    Raises:
        DataChainError: the function returned something other than a DataChain.
    """
    chain = fn(context, **inputs) if context is not None else fn(**inputs)
    if not isinstance(chain, DataChain):
        raise DataChainError(f"dataset asset {dataset!r} must return a DataChain, got {type(chain).__name__}")
    return chain.settings(**settings) if any(v is not None for v in settings.values()) else chain


def data_version(record: VersionRecord) -> DataVersion:
    """The data version of a dataset asset: its version and the hash of the input and code that made it.

    Args:
        record: the saved dataset version.

    Returns:
        `DataVersion("name@1.0.2:<12 hex digits of the chain hash>")`.
    """
    return DataVersion(f"{record.reference}:{record.chain_hash[:12]}")


@contextmanager
def run_scope(context: Any, resource: DataMemory) -> Iterator[Memory]:
    """While a step runs: the resource's Data Memory and storage options are in effect, saves carry the run id,
    logs go to Dagster.

    Args:
        context: the step's execution context (its run id, log and instance are used).
        resource: the `DataMemory` resource of the step.

    Yields:
        The resource's Memory.

    Example:
        >>> with run_scope(context, context.resources.data_memory) as memory:
        ...     chain.save("pets_images")
    """
    with _logs_to(context), resource.scope() as memory, _run(context.run_id):
        yield memory


def _resource_parameters(fn: Callable[..., Any]) -> list[str]:
    """The parameters annotated with `DataMemory` (or a subclass): resources, not upstream datasets."""
    try:
        hints: dict[str, Any] = get_type_hints(fn)
    except (NameError, TypeError):  # an annotation naming a local type: read the text (`dc.DataMemory`)
        hints = {name: p.annotation for name, p in inspect.signature(fn).parameters.items()}
    return [name for name, hint in hints.items() if name != "return" and (
        (isinstance(hint, type) and issubclass(hint, DataMemory))
        or (isinstance(hint, str) and hint.rsplit(".", 1)[-1] == DataMemory.__name__))]


def _dep_key(dep: Any) -> AssetKey:
    """The key of a dependency given as an asset, a spec, a key, or text (an asset key string or dataset name)."""
    if isinstance(dep, str):
        return asset_key_for(dep)
    if isinstance(dep, (AssetsDefinition, AssetSpec, SourceAsset)):
        return dep.key
    return AssetKey.from_coercible(dep)


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
