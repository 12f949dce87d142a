"""DataMemory: the Dagster resource that says where the Data Memory (and its Knowledge Base) live."""


from typing import Any, Optional

from dagster import ConfigurableResource
from pydantic import Field

from .memory.store import Memory, get_memory
from .storage.filesystem import register_storage_options


class DataMemory(ConfigurableResource):
    """Where datasets are remembered. Nothing to configure for a local start: the default is `.datachain/`
    in the working directory (or `$DATACHAIN_ROOT_DIR`).

    Example:
        >>> from dagster import Definitions
        >>> defs = Definitions(assets=[...], resources={"data_memory": DataMemory(root=".datachain")})
    """

    root: str | None = Field(default=None, description="Data Memory directory; None: $DATACHAIN_ROOT_DIR or .datachain")
    knowledge_base: str | None = Field(
        default="dc-knowledge", description="Knowledge Base folder rewritten after each materialization; None: off"
    )
    lock_timeout: float = Field(default=300.0, description="Seconds to wait while another process writes")
    storage_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="fsspec options per bucket or scheme, e.g. {'s3://': {'endpoint_url': '...'}}; kept in "
        "memory only (pass secrets through the environment, never through config that Dagster displays)",
    )

    def memory(self) -> Memory:
        """The engine's Memory for this configuration (and its storage options registered for this process)."""
        for location, options in self.storage_options.items():
            register_storage_options(location, options)
        memory = get_memory(self.root)
        memory.lock_timeout = self.lock_timeout
        return memory


def datachain_resources(root: Optional[str] = None, knowledge_base: Optional[str] = "dc-knowledge") -> dict[str, Any]:
    """The resources dataset assets need: `data_memory` and the `dataset_io_manager` that loads upstream chains.

    Example:
        >>> defs = Definitions(assets=[pets_images], resources=datachain_resources())
    """
    from .io_manager import DatasetIOManager

    data_memory = DataMemory(root=root, knowledge_base=knowledge_base)
    return {"data_memory": data_memory, "dataset_io_manager": DatasetIOManager(data_memory=data_memory)}
