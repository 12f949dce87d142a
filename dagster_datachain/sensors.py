"""Buckets in the asset graph: an external asset per bucket, and a sensor that requests runs when files change."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    AssetSpec,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from .chain.readers import read_storage
from .storage.filesystem import parse_uri
from .translator import asset_key_for


def bucket_key(uri: str) -> AssetKey:
    """A readable asset key for a storage location: `s3://dc-readme/pets/` -> bucket/s3/dc_readme/pets."""
    parsed = parse_uri(uri)
    scheme, location = parsed.source.split("://", 1)
    parts = [scheme, *[p for p in (location + "/" + parsed.prefix).split("/") if p]]
    if scheme == "file":
        parts = [scheme, *parts[-2:]]
    return AssetKey(["bucket", *[re.sub(r"[^A-Za-z0-9_]", "_", p) for p in parts]])


def bucket_asset(uri: str, *, key: AssetKey | str | None = None, description: str | None = None,
                 group_name: str = "buckets") -> AssetSpec:
    """An external asset standing for a storage location, to put upstream of the datasets that read it."""
    scheme = parse_uri(uri).protocol
    return AssetSpec(
        key=AssetKey.from_coercible(key) if key is not None else bucket_key(uri),
        description=description or f"Files under {uri}",
        group_name=group_name,
        kinds={scheme if scheme != "file" else "folder"},
        metadata={"uri": MetadataValue.text(uri)},
    )


def bucket_sensor(
    uri: str,
    target: Sequence[AssetsDefinition | AssetSpec | AssetKey | str] | AssetsDefinition,
    *,
    name: str | None = None,
    bucket: AssetSpec | None = None,
    minimum_interval_seconds: int = 60,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    anon: bool = False,
    storage_options: dict[str, Any] | None = None,
    resource_key: str = "data_memory",
) -> SensorDefinition:
    """Each tick lists `uri` (the listing is kept per file in Data Memory) and requests a run of `target` when
    files are new, changed or deleted; the cursor holds only a fingerprint and a count of changes seen (the run
    key, unique per change), so it survives daemon restarts.
    With `bucket`, the bucket asset is reported with the listing as its data version, so the UI marks the
    datasets that read it stale."""
    key = bucket.key if bucket is not None else bucket_key(uri)
    targets = [asset_key_for(t) if isinstance(t, str) else t
               for t in ([target] if isinstance(target, AssetsDefinition) else target)]

    @sensor(
        name=name or f"{key.to_python_identifier()}_sensor",
        target=targets,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description=f"Requests a run when files under {uri} change",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        with getattr(context.resources, resource_key).scope():
            files = read_storage(uri, update=True, anon=anon, **(storage_options or {}))
            fingerprint = files.fingerprint()[:32]
            last, changes = _read_cursor(context.cursor)
            if fingerprint == last:
                return SkipReason(f"no file under {uri} changed")
            count = files.count()
        observed = AssetMaterialization(
            asset_key=key,
            metadata={"uri": MetadataValue.text(uri), "files": MetadataValue.int(count)},
            tags={"dagster/data_version": fingerprint},
        )
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
