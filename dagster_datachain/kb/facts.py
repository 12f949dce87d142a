"""Facts read from rows, computed in DuckDB: bucket file statistics and dataset previews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from ..chain.output import flat_columns
from ..memory.catalog import ListingRecord, VersionRecord, version_rows
from ..memory.sql import quote


@dataclass(frozen=True)
class BucketStats:
    """What the stored listings of one source hold: files, bytes, extensions and sizes by decade."""

    files: int
    total_size: int
    extensions: list[tuple[str, int, int]]  # (extension, files, bytes), most files first
    sizes: list[tuple[int, int, int]]  # (from bytes, below bytes, files); (0, 0, n) counts empty files


def bucket_stats(con: duckdb.DuckDBPyConnection, listings: list[ListingRecord], top: int = 20) -> BucketStats:
    """Statistics over the distinct latest files of all `listings` (of one source)."""
    if not listings:
        return BucketStats(0, 0, [], [])
    files = " UNION ".join(
        f"SELECT file.path AS path, file.size AS size FROM {quote(listing.table_name)} WHERE file.is_latest"
        for listing in listings
    )
    totals = con.sql(f"WITH f AS ({files}) SELECT count(*), coalesce(sum(size), 0) FROM f").fetchall()[0]
    extensions = con.sql(f"""WITH f AS ({files})
        SELECT lower(regexp_extract(path, '\\.([A-Za-z0-9]{{1,12}})$', 1)) AS ext, count(*), sum(size)::BIGINT
        FROM f GROUP BY ext ORDER BY count(*) DESC, ext LIMIT {int(top)}""").fetchall()
    sizes = con.sql(f"""WITH f AS ({files}),
        d AS (SELECT CASE WHEN size > 0 THEN floor(log10(size))::INTEGER END AS decade FROM f)
        SELECT coalesce((10 ** decade)::BIGINT, 0), coalesce((10 ** (decade + 1))::BIGINT, 0), count(*)
        FROM d GROUP BY decade ORDER BY decade NULLS FIRST""").fetchall()
    return BucketStats(int(totals[0]), int(totals[1]), [tuple(r) for r in extensions], [tuple(r) for r in sizes])


def preview(con: duckdb.DuckDBPyConnection, record: VersionRecord, limit: int = 5) -> dict[str, list[Any]]:
    """The first `limit` rows in sort order, as leaf columns by dotted name (hidden File fields left out)."""
    table = version_rows(con, record).order("ALL").limit(limit).to_arrow_table()
    return {name: array.to_pylist() for name, array in flat_columns(table, record.dataset_schema, False).items()}
