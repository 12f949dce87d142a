"""Dataset pipelines declared in YAML, as Dagster components.

Scaffold one with `dg scaffold defs dagster_datachain.components.DatasetComponent <folder>`:

    # defs/pet_masks/defs.yaml
    type: dagster_datachain.components.DatasetComponent
    attributes:
      name: pet_masks
      source: "{{ project_root }}/.demo/oxford-pets-micro/annotations/trimaps/*.png"
      steps:
        - map: {image: my_project.udfs:mask_image}
      deps: [bucket/folder/oxford_pets_micro/annotations]

    # defs/images_bucket/defs.yaml
    type: dagster_datachain.components.BucketComponent
    attributes:
      uri: s3://my-bucket/images/
      sensor_targets: [pets_images]

Functions are named `module:attribute` and imported when the definitions load. Resources (`data_memory`,
`dataset_io_manager`) come from the project, e.g. a `defs/resources.py` returning `datachain_resources()`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, Literal

import dagster as dg
from pydantic import Field, model_validator

from .asset_decorator import dataset_asset
from .chain.chain import DataChain
from .chain.readers import read_storage
from .errors import DataChainError
from .sensors import bucket_asset, bucket_sensor
from .translator import DatasetTranslator, asset_key_for

UDF_KINDS = ("map", "gen", "agg")


def import_object(reference: str) -> Any:
    """The object a `module:attribute` reference names, imported.

    Args:
        reference: `package.module:attribute`, the attribute possibly dotted (`udfs:Model.build`).

    Returns:
        The object.

    Raises:
        DataChainError: the reference is malformed or names nothing importable (the message names it).

    Example:
        >>> import_object("os.path:join")("a", "b")
        'a/b'
    """
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise DataChainError(f"{reference!r} is not a `module:attribute` reference")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise DataChainError(f"cannot import {reference!r}: {error}") from error
    return target


class UDFStep(dg.Model):
    """One UDF step: exactly one of `map`, `gen` or `agg`, each `{output_column: "module:function"}`."""

    map: dict[str, str] | None = None
    gen: dict[str, str] | None = None
    agg: dict[str, str] | None = None
    partition_by: str | None = Field(default=None, description="Column that groups rows for `agg`")

    @model_validator(mode="after")
    def _one_kind(self) -> UDFStep:
        given = [kind for kind in UDF_KINDS if getattr(self, kind)]
        if len(given) != 1:
            raise ValueError(f"a step needs exactly one of {', '.join(UDF_KINDS)} (got {given or 'none'})")
        return self

    def apply(self, chain: DataChain) -> DataChain:
        """Add this step to `chain`.

        Args:
            chain: the chain so far.

        Returns:
            The chain with the step's `map`, `gen` or `agg` (grouped by `partition_by`) added.

        Raises:
            DataChainError: a function reference cannot be imported.
        """
        kind = next(kind for kind in UDF_KINDS if getattr(self, kind))
        functions = {output: import_object(reference) for output, reference in getattr(self, kind).items()}
        if kind == "agg" and self.partition_by:
            return chain.agg(partition_by=self.partition_by, **functions)
        return getattr(chain, kind)(**functions)


class DatasetComponent(dg.Component, dg.Model, dg.Resolvable):
    """A dataset asset from a storage location or an upstream dataset, through UDF steps, saved as versions.

    Give either `source` (a storage URI or glob) or `dataset` (an upstream dataset asset), or `chain`, a
    `module:function` returning a DataChain, for anything the steps cannot say.

    Example:
        A `defs/pets/defs.yaml`::

            type: dagster_datachain.components.DatasetComponent
            attributes:
              name: pets_images
              source: s3://dc-readme/oxford-pets-micro/images/*.jpg
              file_type: image
              steps:
                - map: {info: my_project.udfs:image_info}
    """

    name: str = Field(description="Dataset and asset name")
    source: str | None = Field(default=None, description="Storage URI or glob: s3://bucket/images/**/*.jpg")
    dataset: str | None = Field(default=None, description="Upstream dataset asset to read instead of storage")
    chain: str | None = Field(default=None, description="`module:function` returning the whole DataChain")
    file_type: Literal["binary", "text", "image"] = Field(default="binary", description="File model of `source`")
    anon: bool = False
    delta: bool = Field(default=False, description="Process only new or changed inputs on re-runs")
    setup: dict[str, str] = Field(default_factory=dict, description="UDF arguments built once: name -> factory")
    steps: list[UDFStep] = Field(default_factory=list)
    batch_size: int | None = None
    parallel: int | None = None
    prefetch: int | None = None
    description: str | None = None
    group_name: str = "datasets"
    deps: list[str] = Field(default_factory=list, description="Asset keys this dataset depends on, e.g. a bucket")
    owners: list[str] | None = None
    tags: dict[str, str] | None = None
    key_prefix: list[str] = Field(default_factory=list, description="Asset key prefix; the dataset is named "
                                  "after the whole key (`[vision]` + `pets` -> `vision__pets`)")

    @model_validator(mode="after")
    def _one_input(self) -> DatasetComponent:
        given = [field for field in ("source", "dataset", "chain") if getattr(self, field)]
        if len(given) != 1:
            raise ValueError(f"dataset {self.name!r} needs exactly one of source, dataset or chain (got {given})")
        return self

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The dataset asset, built as `@dataset_asset` builds it.

        Args:
            context: the component's load context (unused: references are imported by module name).

        Returns:
            Definitions holding the one asset.

        Raises:
            DataChainError: `chain` names nothing importable.
        """
        compute = self._chain_function()
        asset = dataset_asset(
            self.name,
            ins={"upstream": self.dataset} if self.dataset else None,
            deps=[asset_key_for(key) for key in self.deps],
            description=self.description,
            group_name=self.group_name,
            batch_size=self.batch_size,
            parallel=self.parallel,
            prefetch=self.prefetch,
            owners=self.owners,
            tags=self.tags,
            translator=DatasetTranslator(key_prefix=self.key_prefix),
        )(compute)
        return dg.Definitions(assets=[asset])

    def _chain_function(self) -> Callable[..., DataChain]:
        if self.chain:
            return import_object(self.chain)

        def compute(upstream: DataChain | None = None) -> DataChain:
            chain = upstream if upstream is not None else self._read()
            if self.setup:
                factories = {name: import_object(reference) for name, reference in self.setup.items()}
                chain = chain.setup(**factories)
            for step in self.steps:
                chain = step.apply(chain)
            return chain

        parameters = [inspect.Parameter("upstream", inspect.Parameter.POSITIONAL_OR_KEYWORD)] if self.dataset else []
        compute.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        compute.__doc__ = self.description
        return compute

    def _read(self) -> DataChain:
        assert self.source is not None
        return read_storage(self.source, type=self.file_type, anon=self.anon, delta=self.delta)


class BucketComponent(dg.Component, dg.Model, dg.Resolvable):
    """A storage location as an asset, with a sensor that requests runs of `sensor_targets` when files change.

    Example:
        A `defs/images_bucket/defs.yaml`::

            type: dagster_datachain.components.BucketComponent
            attributes:
              uri: s3://my-bucket/images/
              sensor_targets: [pets_images]
    """

    uri: str = Field(description="Storage URI: s3://bucket/prefix/, gs://..., az://..., or a local folder")
    key: str | None = Field(default=None, description="Asset key; bucket/<scheme>/<bucket>/<prefix> by default")
    description: str | None = None
    group_name: str = "buckets"
    sensor_targets: list[str] = Field(default_factory=list, description="Asset keys to run when files change")
    minimum_interval_seconds: int = 60
    anon: bool = False

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The bucket asset (see `bucket_asset`), and its sensor when there are `sensor_targets`.

        Args:
            context: the component's load context (unused).

        Returns:
            Definitions holding the asset and the sensor.
        """
        bucket = bucket_asset(self.uri, key=dg.AssetKey.from_user_string(self.key) if self.key else None,
                              description=self.description, group_name=self.group_name)
        sensors = []
        if self.sensor_targets:
            targets = [asset_key_for(key) for key in self.sensor_targets]
            sensors.append(bucket_sensor(self.uri, targets, bucket=bucket, anon=self.anon,
                                         minimum_interval_seconds=self.minimum_interval_seconds))
        return dg.Definitions(assets=[bucket], sensors=sensors)

