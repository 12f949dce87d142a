"""Rewriting the Knowledge Base after every successful materialization, with no user code."""

from __future__ import annotations

import logging

from dagster import AssetKey, HookContext, HookDefinition, success_hook

logger = logging.getLogger(__name__)


def knowledge_base_hook(key: AssetKey, dataset: str, resource_key: str = "data_memory") -> HookDefinition:
    """A success hook that rebuilds the Knowledge Base pages of `dataset` (and the index and its buckets).

    Dagster runs it after the step's materialization is stored, in `materialize()`, in multiprocess runs and
    under `dagster dev` alike.

    Args:
        key: the dataset asset's key (names the hook).
        dataset: the dataset whose pages are rewritten.
        resource_key: the key of the `DataMemory` resource; its `knowledge_base` folder is written (nothing when
            it is None).

    Returns:
        The hook, for `@multi_asset(hooks=...)` or a job.

    Example:
        >>> hook = knowledge_base_hook(dg.AssetKey("pets_images"), "pets_images")
    """

    @success_hook(name=f"datachain_kb_{key.to_python_identifier()}", required_resource_keys={resource_key})
    def _rewrite(context: HookContext) -> None:
        resource = getattr(context.resources, resource_key)
        if not resource.knowledge_base:
            return
        from .kb import build_knowledge_base

        report = build_knowledge_base(resource.knowledge_base, memory=resource.memory(), datasets=[dataset])
        context.log.info(f"Knowledge Base updated for {dataset}: {report}")

    return _rewrite
