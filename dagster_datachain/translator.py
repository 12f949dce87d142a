"""How datasets and Dagster assets name each other, and what a dataset asset looks like in the asset graph.

One mapping everywhere (decorator, IO manager, sensors, Knowledge Base): asset key parts joined by `__` form the
dataset name, `AssetKey(["team", "pets"])` <-> dataset `team__pets`, as `AssetKey.to_python_identifier()` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dagster import AssetKey, AssetSpec, AutomationCondition

from .memory.names import validate_name

KEY_SEPARATOR = "__"


def dataset_name(key: AssetKey | Sequence[str] | str) -> str:
    """The dataset an asset key stands for.

    Args:
        key: an asset key, its parts, or an asset key string.

    Returns:
        The key's parts joined by `__`.

    Raises:
        InvalidDatasetNameError: the joined name cannot be a dataset name.

    Example:
        >>> dataset_name(AssetKey(["team", "pets_images"]))
        'team__pets_images'
    """
    return validate_name(KEY_SEPARATOR.join(AssetKey.from_coercible(key).path))


def dataset_key(name: str) -> AssetKey:
    """The asset key of a dataset (the inverse of `dataset_name`).

    Args:
        name: a dataset name.

    Returns:
        The key whose parts are the name split at `__`.

    Raises:
        InvalidDatasetNameError: `name` is not a valid dataset name.

    Example:
        >>> dataset_key("team__pets_images").path
        ['team', 'pets_images']
    """
    return AssetKey(validate_name(name).split(KEY_SEPARATOR))


def asset_key_for(target: str) -> AssetKey:
    """The asset key of a target given as text.

    Args:
        target: an asset key string (`team/pets_images`) or a dataset name (`team__pets_images`).

    Returns:
        The same key for both spellings.

    Example:
        >>> asset_key_for("team/pets_images") == asset_key_for("team__pets_images")
        True
    """
    return AssetKey.from_user_string(target) if "/" in target else dataset_key(target)


@dataclass(frozen=True)
class DatasetTranslatorData:
    """What a translator knows about a dataset asset: the name it was declared with, its description, its deps."""

    name: str
    description: str | None = None
    deps: tuple[AssetKey, ...] = field(default_factory=tuple)


class DatasetTranslator:
    """Decides the AssetSpec (key, group, kinds, owners, tags, automation condition) of each dataset asset; the
    dataset saved is the one its key names. Configure it, or subclass it and override `get_asset_spec`.

    Args:
        key_prefix: parts put before every dataset asset's key (also the upstream keys its parameters name).
        group_name: the asset group.
        kinds: the kinds shown in the UI.
        owners, tags, automation_condition: given to every spec.

    Example:
        >>> class TeamTranslator(DatasetTranslator):
        ...     def get_asset_spec(self, data: DatasetTranslatorData) -> AssetSpec:
        ...         return super().get_asset_spec(data).replace_attributes(owners=["team:vision"])
        >>> @dataset_asset(translator=TeamTranslator(key_prefix=["vision"]))   # asset vision/pets_images,
        ... def pets_images() -> dc.DataChain: ...                              # dataset vision__pets_images
    """

    def __init__(
        self,
        *,
        key_prefix: Sequence[str] | str = (),
        group_name: str = "datasets",
        kinds: Sequence[str] = ("duckdb", "python"),
        owners: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        automation_condition: AutomationCondition | None = None,
    ) -> None:
        self.key_prefix = [key_prefix] if isinstance(key_prefix, str) else list(key_prefix)
        self.group_name = group_name
        self.kinds = set(kinds)
        self.owners = list(owners or [])
        self.tags = dict(tags or {})
        self.automation_condition = automation_condition

    def get_asset_key(self, name: str) -> AssetKey:
        """The key of the dataset declared as `name` (also used for the upstream datasets its parameters name).

        Args:
            name: the name the asset was declared with (or an upstream parameter's name).

        Returns:
            `key_prefix` + the name's parts.

        Example:
            >>> DatasetTranslator(key_prefix="vision").get_asset_key("pets").path
            ['vision', 'pets']
        """
        return AssetKey([*self.key_prefix, *dataset_key(name).path])

    def get_asset_spec(self, data: DatasetTranslatorData) -> AssetSpec:
        """The asset spec of one dataset asset.

        Args:
            data: what is known of the asset: its declared name, description and dependencies.

        Returns:
            The spec `@dataset_asset` builds the asset from; its key names the dataset.
        """
        return AssetSpec(
            key=self.get_asset_key(data.name),
            deps=list(data.deps),
            description=data.description,
            group_name=self.group_name,
            kinds=self.kinds,
            owners=self.owners,
            tags=self.tags,
            automation_condition=self.automation_condition,
        )
