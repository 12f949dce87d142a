"""How a chain runs its UDFs: batch size, prefetch, parallel workers, file cache."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """Execution settings, set with `chain.settings(...)`; later calls override earlier ones."""

    model_config = {"frozen": True}

    batch_size: int = Field(default=1000, ge=1, description="Rows per checkpointed batch")
    prefetch: int = Field(default=2, ge=0, description="Remote files read ahead on threads")
    parallel: int | None = Field(default=None, ge=1, description="Worker processes for UDFs (None: in-process)")
    cache: bool = Field(default=False, description="Keep remote file bytes in the local cache")
    on_error: Literal["raise", "skip"] = Field(
        default="raise", description="A row the UDF fails on stops the run ('raise') or is left out and recorded "
                                     "in the '<name>__errors' dataset on save ('skip')")
    ephemeral: bool = Field(default=False, description="DataChain's no-job mode: `chain.job` is refused")
    namespace: str | None = Field(default=None, description="DataChain's namespace to save in (only `local` here)")
    project: str | None = Field(default=None, description="DataChain's project to save in (only `local` here)")
