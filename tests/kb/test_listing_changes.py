"""Bucket pages change when the bucket's files do, not each time it is listed again (sensors list every tick)."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

import dagster_datachain as dc
from dagster_datachain.memory.catalog import get_listing, list_listings

from .test_knowledge_base import front_matter


def bucket_page(kb) -> str:
    (page,) = (kb / "buckets").glob("**/*.md")
    return page.read_text()


def test_listing_again_rewrites_no_page_until_the_files_change(memory, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "b.txt").write_text("bb")
    dc.read_storage(folder).save("notes")
    kb = tmp_path / "kb"
    dc.build_knowledge_base(kb)
    first_page, first_index = bucket_page(kb), (kb / "index.md").read_text()
    with memory.connect() as con:
        [first] = list_listings(con)

    dc.read_storage(folder)  # a local folder is listed again on every read: same files
    with memory.connect() as con:
        again = get_listing(con, first.source, first.prefix)
    assert again is not None and again.listed_at > first.listed_at  # it was listed again...
    assert again.changed_at == first.changed_at == first.listed_at  # ...and found nothing new
    report = dc.build_knowledge_base(kb)
    assert report.written == []
    assert bucket_page(kb) == first_page and (kb / "index.md").read_text() == first_index

    (folder / "c.txt").write_text("ccc")
    dc.read_storage(folder)
    with memory.connect() as con:
        changed = get_listing(con, first.source, first.prefix)
    assert changed is not None and changed.changed_at == changed.listed_at > first.listed_at
    report = dc.build_knowledge_base(kb)
    page = bucket_page(kb)
    assert any(p.startswith("buckets/") for p in report.written) and "index.md" in report.written
    assert front_matter(page)["files"] == 3
    assert front_matter(page)["last_changed"] == changed.changed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"- Content last changed: {changed.changed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" in page
    assert "Last listed" not in page


def test_a_data_memory_from_before_the_change_time_gets_it_from_its_last_listing(tmp_path):
    root = tmp_path / "dm"
    root.mkdir()
    listed = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    with duckdb.connect(str(root / "db.duckdb")) as old:  # the catalog as earlier releases wrote it
        old.execute("CREATE TABLE dc_listings (source VARCHAR NOT NULL, prefix VARCHAR NOT NULL, table_name VARCHAR, "
                    "listed_at TIMESTAMPTZ, fingerprint VARCHAR, file_count BIGINT, total_size BIGINT)")
        old.execute("CREATE TABLE lst_old (file STRUCT(path VARCHAR, size BIGINT, is_latest BOOLEAN))")
        old.execute("INSERT INTO lst_old VALUES ({'path': 'a.txt', 'size': 5, 'is_latest': true})")
        old.execute("INSERT INTO dc_listings VALUES ('s3://old-bucket', '', 'lst_old', ?, 'f1', 1, 5)", [listed])
    memory = dc.Memory(root)
    with memory.connect() as con:
        listing = get_listing(con, "s3://old-bucket", "")
    assert listing is not None and listing.changed_at == listed == listing.listed_at
    dc.build_knowledge_base(tmp_path / "kb", memory=memory)
    page = bucket_page(tmp_path / "kb")
    assert front_matter(page)["last_changed"] == "2025-03-01T12:30:00Z" and front_matter(page)["files"] == 1
