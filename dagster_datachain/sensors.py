"""Buckets in the asset graph: an observable source asset per bucket (observing lists it and records the listing
fingerprint as its data version), and a sensor that observes it each tick and requests runs when files change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    AssetSpec,
    DataVersion,
    DefaultSensorStatus,
    MetadataValue,
    ObserveResult,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    SourceAsset,
    observable_source_asset,
    sensor,
)

from .chain.readers import read_storage
from .storage.filesystem import location_key, parse_uri
from .translator import asset_key_for


def bucket_key(uri: str) -> AssetKey:
    """A readable asset key for a storage location (the Knowledge Base names the bucket's page the same way).

    A local folder keeps its last two names plus a digest of its whole path (`bucket/file/pets/images_1f3a9c`), so
    folders that end the same way get different keys and the checkout's path never shows.

    Args:
        uri: a storage URI or local folder.

    Returns:
        `bucket/<scheme>/<bucket>/<prefix parts>`.

    Raises:
        StorageError: an unsupported scheme or credentials in the URI.

    Example:
        >>> bucket_key("s3://dc-readme/pets/").path
        ['bucket', 's3', 'dc_readme', 'pets']
    """
    return AssetKey(["bucket", *location_key(uri)])


def bucket_asset(uri: str, *, key: AssetKey | str | None = None, description: str | None = None,
                 group_name: str = "buckets", anon: bool = False, storage_options: dict[str, Any] | None = None,
                 resource_key: str = "data_memory") -> SourceAsset:
    """An observable source asset standing for a storage location, to put upstream of the datasets that read it.

    Observing it ("Observe" in the UI, or `bucket_sensor` on every tick) lists the location and records the listing
    fingerprint as its data version, so the datasets that read an older listing show as stale.

    Args:
        uri: the storage URI or local folder.
        key: the asset key; `bucket_key(uri)` by default.
        description: the asset's description; "Files under <uri>" by default.
        group_name: the asset group.
        anon: list without credentials (public buckets).
        storage_options: fsspec options for listing, e.g. `{"endpoint_url": ...}`.
        resource_key: the key of the `DataMemory` resource the listing is kept in.

    Returns:
        The observable source asset.

    Example:
        >>> images_bucket = bucket_asset("s3://dc-readme/oxford-pets-micro/images/", anon=True)
        >>> @dataset_asset(deps=[images_bucket])
        ... def pets_images() -> dc.DataChain: ...
    """
    scheme = parse_uri(uri).protocol

    @observable_source_asset(
        key=AssetKey.from_coercible(key) if key is not None else bucket_key(uri),
        description=description or f"Files under {uri}",
        group_name=group_name,
        metadata={"dagster_datachain/uri": MetadataValue.text(uri)},
        tags={f"dagster/kind/{scheme if scheme != 'file' else 'folder'}": ""},
        required_resource_keys={resource_key},
    )
    def _observe(context: Any) -> ObserveResult:
        fingerprint, count = observe_listing(getattr(context.resources, resource_key), uri, anon, storage_options)
        return ObserveResult(data_version=DataVersion(fingerprint), metadata=_observation_metadata(uri, count))

    return _observe


def observe_listing(resource: Any, uri: str, anon: bool = False,
                    storage_options: dict[str, Any] | None = None) -> tuple[str, int]:
    """List `uri` again (kept per file in Data Memory).

    Args:
        resource: the `DataMemory` resource whose Data Memory and storage options are used.
        uri: the storage URI or local folder.
        anon: list without credentials.
        storage_options: fsspec options for listing.

    Returns:
        The listing's fingerprint (32 hex digits) and its number of files.

    Raises:
        StorageError: the location cannot be listed.
    """
    with resource.scope():
        files = read_storage(uri, update=True, anon=anon, **(storage_options or {}))
        return files.fingerprint()[:32], files.count()


def _observation_metadata(uri: str, count: int) -> dict[str, MetadataValue]:
    return {"dagster_datachain/uri": MetadataValue.text(uri), "dagster_datachain/files": MetadataValue.int(count)}


def bucket_sensor(
    uri: str,
    target: Sequence[AssetsDefinition | AssetSpec | AssetKey | str] | AssetsDefinition,
    *,
    name: str | None = None,
    bucket: SourceAsset | AssetSpec | None = None,
    minimum_interval_seconds: int = 60,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    anon: bool = False,
    storage_options: dict[str, Any] | None = None,
    resource_key: str = "data_memory",
) -> SensorDefinition:
    """Each tick lists `uri` (the listing is kept per file in Data Memory) and requests a run of `target` when
    files are new, changed or deleted; the cursor holds only a fingerprint and a count of changes seen (the run
    key, unique per change), so it survives daemon restarts.
    With `bucket`, each change is recorded as an observation of the bucket asset with the listing as its data
    version, so the UI marks the datasets that read it stale.

    Args:
        uri: the storage URI or local folder to watch.
        target: the assets to run when files change (assets, specs, keys, or asset key strings / dataset names).
        name: the sensor's name; `<bucket key>_sensor` by default.
        bucket: the bucket asset to record observations of.
        minimum_interval_seconds: time between ticks.
        default_status: whether the sensor starts running.
        anon: list without credentials.
        storage_options: fsspec options for listing.
        resource_key: the key of the `DataMemory` resource.

    Returns:
        The sensor.

    Example:
        >>> images_bucket = bucket_asset("s3://bucket/images/")
        >>> images_sensor = bucket_sensor("s3://bucket/images/", [pets_images], bucket=images_bucket)
    """
    key = bucket.key if bucket is not None else bucket_key(uri)
    targets = [key for t in ([target] if isinstance(target, AssetsDefinition) else target) for key in _target_keys(t)]

    @sensor(
        name=name or f"{key.to_python_identifier()}_sensor",
        target=targets,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description=f"Requests a run when files under {uri} change",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        fingerprint, count = observe_listing(getattr(context.resources, resource_key), uri, anon, storage_options)
        last, changes = _read_cursor(context.cursor)
        if fingerprint == last:
            return SkipReason(f"no file under {uri} changed")
        observed = AssetObservation(asset_key=key, metadata=_observation_metadata(uri, count),
                                    tags={"dagster/data_version": fingerprint})
        cursor = f"{fingerprint}.{changes + 1}"  # unique per change, even when the files return to an earlier state
        return SensorResult(run_requests=[RunRequest(run_key=cursor)], cursor=cursor,
                            asset_events=[observed] if bucket is not None else [])

    return _sensor


def _read_cursor(cursor: str | None) -> tuple[str | None, int]:
    """The listing fingerprint of the last change seen and how many changes the sensor has seen."""
    if not cursor:
        return None, 0
    fingerprint, _, changes = cursor.partition(".")
    return fingerprint, int(changes) if changes.isdigit() else 0


def _target_keys(target: AssetsDefinition | AssetSpec | AssetKey | str) -> list[AssetKey]:
    """The asset keys a sensor target names (a dataset name maps to its key the one way names map everywhere)."""
    if isinstance(target, AssetsDefinition):
        return list(target.keys)
    if isinstance(target, AssetSpec):
        return [target.key]
    return [asset_key_for(target) if isinstance(target, str) else target]
