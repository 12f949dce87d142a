"""DataChain's `listings()`: a chain over the storage listings kept in Data Memory, one `ListingInfo` per row."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ..memory import catalog
from ..memory.store import Memory
from .chain import DataChain
from .readers import REMOTE_LISTING_TTL, DatasetInfo, _memory, read_records
from .session import Session, memory_of

LISTING_PREFIX = "lst__"


class ListingInfo(DatasetInfo):
    """One stored listing, as DataChain's `ListingInfo` (a listing is a dataset there): `name` is `lst__<uri>`,
    in the `system.listing` project; `num_objects` files of `size` bytes."""

    namespace: str = "system"
    project: str = "listing"
    version: str = "1.0.0"

    @property
    def uri(self) -> str:
        """The listed location, e.g. `s3://bucket/images/`."""
        return self.name.removeprefix(LISTING_PREFIX)

    @property
    def versions(self) -> bool:
        """Whether the listing keeps object versions (DataChain's listings do unless `versions=False`)."""
        return True

    @property
    def expires(self) -> datetime | None:
        """When `read_storage` lists the bucket again instead of reusing this listing."""
        return self.finished_at + timedelta(seconds=REMOTE_LISTING_TTL) if self.finished_at else None

    @property
    def is_expired(self) -> bool:
        return datetime.now(UTC) > self.expires if self.expires else False

    def contains(self, other_name: str) -> bool:
        """Whether the listing named `other_name` lies inside this one."""
        return other_name.startswith(self.name)


def listings(session: Session | None = None, in_memory: bool = False, column: str = "listing", *,
             memory: Memory | str | os.PathLike[str] | None = None, **kwargs: Any) -> DataChain:
    """A chain with one `ListingInfo` (column `column`) per storage listing kept in Data Memory.

    Example:
        >>> listings().to_values("listing")[0].uri
        'file:///data/images/'
    """
    memory = _memory(memory_of(memory, session))
    with memory.connect() as con:
        records = catalog.list_listings(con)
    infos = [ListingInfo(name=LISTING_PREFIX + r.uri, uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, r.table_name)),
                         created_at=r.listed_at, finished_at=r.listed_at, num_objects=r.file_count, size=r.total_size,
                         row_count=r.file_count)
             for r in records]
    return read_records([{column: info} for info in infos], schema={column: ListingInfo}, memory=memory)
