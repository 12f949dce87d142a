"""Keeping Data Memory tidy: abandoned checkpoints and tables nothing refers to."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from ..memory import catalog, vector_index
from ..memory.store import Memory, get_memory
from ..udf.checkpoint import remove_abandoned

logger = logging.getLogger(__name__)

STALE_CHECKPOINT_SECONDS = 7 * 24 * 3600.0
"""Checkpoints untouched this long are removed after every save, so staging never grows without bound."""


class GCReport(BaseModel):
    """What `gc()` removed."""

    checkpoints: int
    tables: list[str]


def gc(older_than_hours: float = 0.0, *, memory: Memory | str | None = None) -> GCReport:
    """Remove checkpoints of abandoned runs (untouched for `older_than_hours`, not in use) and orphan tables.

    Example:
        >>> import dagster_datachain as dc
        >>> report = dc.gc(older_than_hours=24)
    """
    memory = get_memory(memory)
    checkpoints = remove_abandoned(memory.staging_dir, older_than_hours * 3600, memory.remote_staging)
    with memory.transaction() as con:
        tables = catalog.drop_orphan_tables(con) + vector_index.drop_stale(con)
    logger.info("gc: removed %s checkpoints and %s orphan tables", checkpoints, len(tables))
    return GCReport(checkpoints=checkpoints, tables=tables)
