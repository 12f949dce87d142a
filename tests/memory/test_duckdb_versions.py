"""Data Memory files across DuckDB versions: 2.x reads what 1.5.5 wrote; 1.5.5 refuses a 2.x file with a clear
error naming the file and both versions. The files under data/ were saved by each version (`numbers`: 1, 2, 3)."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

import dagster_datachain as dc
from dagster_datachain.errors import DataMemoryVersionError

DATA = Path(__file__).parent / "data"
RUNNING = tuple(int(part) for part in duckdb.__version__.split(".")[:2])


def memory_written_by(version: str, root: Path) -> dc.Memory:
    root.mkdir()
    (root / "db.duckdb").write_bytes(gzip.decompress((DATA / f"datamemory-duckdb-{version}.duckdb.gz").read_bytes()))
    return dc.Memory(root)


def test_a_file_written_by_duckdb_1_5_is_read_by_this_version(tmp_path):
    memory = memory_written_by("1.5.5", tmp_path / "dm")
    assert sorted(dc.read_dataset("numbers", memory=memory).to_values("x")) == [1, 2, 3]
    dc.read_values(x=[4], memory=memory).save("numbers")
    assert dc.read_dataset("numbers", memory=memory).to_values("x") == [4]


@pytest.mark.skipif(RUNNING < (2, 0), reason="DuckDB 1.x cannot read a file DuckDB 2 wrote (tested below)")
def test_a_file_written_by_duckdb_2_is_read_by_duckdb_2(tmp_path):
    memory = memory_written_by("2.0.1", tmp_path / "dm")
    assert sorted(dc.read_dataset("numbers", memory=memory).to_values("x")) == [1, 2, 3]


@pytest.mark.skipif(RUNNING >= (2, 0), reason="DuckDB 2 reads the file (tested above)")
def test_duckdb_1_refuses_a_file_written_by_duckdb_2_naming_both_versions(tmp_path):
    memory = memory_written_by("2.0.1", tmp_path / "dm")
    before = memory.db_path.read_bytes()
    with pytest.raises(DataMemoryVersionError) as raised:
        dc.read_dataset("numbers", memory=memory).count()
    message = str(raised.value)
    assert str(memory.db_path) in message
    assert "DuckDB 2.0.1" in message and f"DuckDB {duckdb.__version__}" in message
    assert memory.db_path.read_bytes() == before  # not written to
