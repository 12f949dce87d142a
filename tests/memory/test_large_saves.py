"""Saves big enough to span several DuckDB row groups, read back in the same process right away."""

from __future__ import annotations

import dagster_datachain as dc

ROWS = 300_000  # more than two DuckDB row groups (122,880 rows each)


def test_large_save_is_readable_at_once_in_the_same_process(memory):
    widths = [i % 900 for i in range(ROWS)]
    saved = dc.read_values(path=[f"p{i}" for i in range(ROWS)], width=widths).save("big")
    expected = sum(1 for w in widths if w > 400)
    assert saved.filter(dc.C("width") > 400).count() == expected
    assert dc.read_dataset("big").limit(2).to_list() == [("p0", 0), ("p1", 1)]


def test_large_listing_and_delta_state_are_readable_at_once(memory, tmp_path):
    folder = tmp_path / "many"
    for d in range(3):
        (folder / f"d{d}").mkdir(parents=True)
        for i in range(200):
            (folder / f"d{d}" / f"f{i}.txt").write_text(str(i))
    first = dc.read_storage(str(folder), delta=True).save("files")
    (folder / "d0" / "new.txt").write_text("new")
    second = dc.read_storage(str(folder), delta=True).save("files")
    assert (first.count(), second.count()) == (600, 601)
    assert second.filter(dc.C("file.path").like("%new.txt")).count() == 1
