"""DataMemory: the Dagster resource that says where the Data Memory (and its Knowledge Base) live."""


from typing import Any, Optional

from dagster import ConfigurableResource
from pydantic import Field, field_validator

from .errors import DataChainError
from .memory.store import Memory, get_memory
from .storage.filesystem import register_storage_options

SECRET_OPTIONS = frozenset({
    "secret", "password", "token", "session_token", "account_key", "sas_token", "connection_string", "client_secret",
    "aws_secret_access_key", "aws_session_token", "credential", "credentials",
})  # fsspec options (s3fs, gcsfs, adlfs) that hold a credential
PUBLIC_TOKENS = frozenset({"anon", "google_default", "cloud", "browser"})  # gcsfs `token` modes naming no secret


class DataMemory(ConfigurableResource):
    """Where datasets are remembered. Nothing to configure for a local start: the default is `.datachain/`
    in the working directory (or `$DATACHAIN_ROOT_DIR`).

    Example:
        >>> from dagster import Definitions, EnvVar
        >>> memory = DataMemory(root=".datachain", storage_options={"s3://": {"endpoint_url": "http://minio:9000"}},
        ...                     storage_credentials={"s3://": {"key": EnvVar("S3_KEY"), "secret": EnvVar("S3_SECRET")}})
        >>> defs = Definitions(assets=[...], resources={"data_memory": memory})
    """

    root: str | None = Field(default=None, description="Data Memory directory; None: $DATACHAIN_ROOT_DIR or .datachain")
    knowledge_base: str | None = Field(
        default="dc-knowledge", description="Knowledge Base folder rewritten after each materialization; None: off"
    )
    lock_timeout: float = Field(default=300.0, description="Seconds to wait while another process writes")
    storage_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="fsspec options per bucket or scheme, e.g. {'s3://': {'endpoint_url': '...'}}. Dagster stores "
        "this config in its run storage: put secrets in storage_credentials",
    )
    storage_credentials: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="secret fsspec options per bucket or scheme, each given as dg.EnvVar('NAME'), e.g. "
        "{'s3://': {'secret': EnvVar('AWS_SECRET_ACCESS_KEY')}}: Dagster stores only the variable's name",
    )

    @field_validator("storage_options")
    @classmethod
    def _no_secrets(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Refuse credentials here (DataChainError, not ValueError: pydantic would quote the value)."""
        for location, options in value.items():
            for name, option in options.items():
                if name.lower() in SECRET_OPTIONS and not (isinstance(option, str) and option in PUBLIC_TOKENS):
                    raise DataChainError(
                        f"storage_options[{location!r}][{name!r}] is a credential, which Dagster would store in its "
                        f"run storage: pass it as storage_credentials={{{location!r}: "
                        f"{{{name!r}: dg.EnvVar('VARIABLE_NAME')}}}}")
        return value

    def memory(self) -> Memory:
        """The engine's Memory for this configuration (and its storage options registered for this process)."""
        for location in {**self.storage_options, **self.storage_credentials}:
            options = {**self.storage_options.get(location, {}), **self.storage_credentials.get(location, {})}
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
