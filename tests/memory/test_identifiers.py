"""Column names of any spelling reach SQL quoted: quotes, spaces and apostrophes in a CSV header."""

from __future__ import annotations

import dagster_datachain as dc


def test_csv_header_with_quote_and_space_saves_and_delta_updates(memory, tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text('my "id",the value,it\'s\n1,a,x\n2,b,y\n')
    source = dc.read_csv(str(csv))
    key = 'my "id"'
    assert source.column_names == [key, "the value", "it's"]
    source.save("src")
    dc.read_dataset("src", delta=True, delta_on=key).save("out")
    dc.read_dataset("src", delta=True, delta_on="it's").save("by_apostrophe")

    csv.write_text('my "id",the value,it\'s\n1,a,x\n2,changed,y\n3,c,z\n')
    dc.read_csv(str(csv)).save("src")
    updated = dc.read_dataset("src", delta=True, delta_on=key).save("out")

    assert sorted(updated.to_list()) == [(1, "a", "x"), (2, "changed", "y"), (3, "c", "z")]
    with memory.connect() as con:
        versions = con.execute("SELECT version FROM dc_versions WHERE name = 'out' ORDER BY seq").fetchall()
    assert versions == [("1.0.0",), ("1.0.1",)]  # a delta (PATCH) version, rows closed by their quoted key
    by_apostrophe = dc.read_dataset("src", delta=True, delta_on="it's").save("by_apostrophe")
    assert sorted(by_apostrophe.to_list()) == [(1, "a", "x"), (2, "changed", "y"), (3, "c", "z")]
