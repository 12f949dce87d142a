"""DataMemory: the Dagster resource that says where the Data Memory (and its Knowledge Base) live."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetExecutionContext,
    ConfigurableResource,
    MaterializeResult,
)
from pydantic import Field, field_validator

from .errors import DataChainError
from .memory.config import resolve_lake, resolve_root
from .memory.lake import LakeConfig
from .memory.store import Memory, using_memory
from .storage.filesystem import using_storage_options
from .storage.secrets import has_credentials

if TYPE_CHECKING:
    from .chain.chain import DataChain

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
    catalog: str | None = Field(
        default=None, description="a shared Data Memory on DuckLake: its catalog, postgresql://user@host:port/db, "
        "sqlite:///file.sqlite or file.ducklake (password from $PGPASSWORD); None: $DATACHAIN_CATALOG, else the "
        "local file under root")
    data_path: str | None = Field(
        default=None, description="the lake's rows: a local or shared folder, or s3://bucket/prefix/ (keys from "
        "storage_credentials for that bucket or AWS_* variables); None: $DATACHAIN_DATA_PATH")
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

    @field_validator("catalog")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        """Refuse a password in the catalog URL: Dagster would store it in its run storage."""
        if value is not None and has_credentials(value):
            raise DataChainError("the catalog URL carries a password, which Dagster would store in its run storage: "
                                 "give the password as the environment variable PGPASSWORD instead")
        return value

    def memory(self) -> Memory:
        """This resource's own Memory.

        Returns:
            The Memory of `root` (or of the lake `catalog` and `data_path` name) with `lock_timeout`, one per
            process and configuration: resources configured alike share it (and its warm database), others never do.

        Example:
            >>> DataMemory(root=".datachain").memory().db_path
            PosixPath('/project/.datachain/db.duckdb')
        """
        lake = resolve_lake(self.catalog, self.data_path)
        options = storage_options_for_path(lake.data_path, self.storage_options_by_location()) if lake else {}
        return _memory_for(resolve_root(self.root), lake, self.lock_timeout, options)

    def storage_options_by_location(self) -> dict[str, dict[str, Any]]:
        """`storage_options` merged with `storage_credentials`, per bucket or scheme.

        Returns:
            `{location: options}`, a credential winning over a plain option of the same name.
        """
        return {location: {**self.storage_options.get(location, {}), **self.storage_credentials.get(location, {})}
                for location in {**self.storage_options, **self.storage_credentials}}

    @contextmanager
    def scope(self) -> Iterator[Memory]:
        """Inside the block, readers and saves use this resource's Memory and storage options (nothing global is
        changed: two resources in one process never see each other's settings).

        Yields:
            The resource's Memory.

        Example:
            >>> with data_memory.scope():
            ...     dc.read_storage("s3://bucket/images/").save("images")
        """
        with using_memory(self.memory()) as memory, using_storage_options(self.storage_options_by_location()):
            yield memory

    def save(self, context: AssetExecutionContext, chain: DataChain, name: str | None = None) -> MaterializeResult:
        """Save `chain` as the next version of the dataset behind `context`'s asset (or `name`) and return what a
        plain `@asset` returns: the version, row count, schema, lineage and preview as metadata, and the version as
        the data version. The Knowledge Base page is rewritten.

        Build the chain inside `scope()` so that it reads this resource's Data Memory and storage options. The
        dataset's description is the asset's (its docstring, for a plain `@asset`).

        Args:
            context: the asset's execution context; its asset key names the dataset (`a/b` -> `a__b`).
            chain: the chain to save.
            name: the dataset, instead of the one the asset key names.

        Returns:
            The materialization: the version as data version, and the version, row count, schema, lineage, change
            counts, preview and Knowledge Base link as metadata.

        Raises:
            DataChainError: the chain was built for another Data Memory (outside `scope()`).

        Example:
            >>> @dg.asset
            ... def pets_images(context: dg.AssetExecutionContext, data_memory: DataMemory) -> dg.MaterializeResult:
            ...     with data_memory.scope():
            ...         chain = dc.read_storage("images/").map(info=get_info)
            ...     return data_memory.save(context, chain)
        """
        from .asset_decorator import data_version, run_scope
        from .metadata import latest_version, materialization_metadata
        from .translator import dataset_name

        target = name or dataset_name(context.asset_key)
        if chain.memory.location != self.memory().location:
            raise DataChainError(
                f"the chain for dataset {target!r} reads Data Memory {chain.memory.location}, but this resource's is "
                f"{self.memory().location}: build the chain inside `with data_memory.scope():`")
        description = context.assets_def.specs_by_key[context.asset_key].description
        with run_scope(context, self) as memory:
            previous = latest_version(memory, target)
            record = chain.save(target, description=description).dataset
            assert record is not None
            metadata = materialization_metadata(chain, record, previous, {}, self.knowledge_base)
        if self.knowledge_base:
            from .kb import build_knowledge_base

            build_knowledge_base(self.knowledge_base, memory=self.memory(), datasets=[target])
        return MaterializeResult(metadata=metadata, data_version=data_version(record))


_memories: dict[tuple[Path, LakeConfig | None, float], Memory] = {}
_memories_lock = threading.Lock()


def _memory_for(root: Path, lake: LakeConfig | None, lock_timeout: float, options: dict[str, Any]) -> Memory:
    """One Memory per configuration and process, so a warm database (or attached lake) is reused across steps and
    resources."""
    with _memories_lock:
        key = (root, lake, lock_timeout)
        if key not in _memories:
            _memories[key] = Memory(root, lock_timeout=lock_timeout, catalog=lake.catalog if lake else None,
                                    data_path=lake.data_path if lake else None, storage_options=options)
        return _memories[key]


def storage_options_for_path(path: str, by_location: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The options of `path`'s scheme (`s3://`), updated with its bucket's own (`s3://bucket`)."""
    scheme, _, rest = path.partition("://")
    if not rest:
        return {}
    bucket = f"{scheme}://{rest.split('/', 1)[0]}"
    return {**by_location.get(f"{scheme}://", {}), **by_location.get(bucket, {})}


def datachain_resources(root: str | None = None, knowledge_base: str | None = "dc-knowledge") -> dict[str, Any]:
    """The resources dataset assets need: `data_memory` and the `dataset_io_manager` that loads upstream chains.

    Args:
        root: the Data Memory directory; None: `$DATACHAIN_ROOT_DIR`, else `.datachain`.
        knowledge_base: the Knowledge Base folder rewritten after each materialization; None: none is written.

    Returns:
        `{"data_memory": DataMemory, "dataset_io_manager": DatasetIOManager}`, sharing one DataMemory.

    Example:
        >>> defs = Definitions(assets=[pets_images], resources=datachain_resources())
    """
    from .io_manager import DatasetIOManager

    data_memory = DataMemory(root=root, knowledge_base=knowledge_base)
    return {"data_memory": data_memory, "dataset_io_manager": DatasetIOManager(data_memory=data_memory)}
