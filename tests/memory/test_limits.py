"""Limits refused or reported in our words: a full disk, versions past 32-bit parts, reserved column names."""

from __future__ import annotations

import subprocess
import uuid

import pytest

import dagster_datachain as dc
from dagster_datachain.errors import DataMemoryFullError, InvalidDatasetNameError, SchemaError


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB filesystem (tmpfs) holding the Data Memory."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"mounting a small tmpfs needs root: {done.stderr.decode().strip()}")
    memory = dc.Memory(mount / "dm")
    try:
        yield memory
    finally:
        memory.close()
        subprocess.run(["umount", "-l", str(mount)], check=True)


def staging_files(memory):
    return [p for p in memory.staging_dir.rglob("*") if p.is_file()] if memory.staging_dir.exists() else []


def big_text(n: int) -> str:
    return "y" * 1000 + str(n)


def test_full_disk_at_commit_names_the_file_and_keeps_the_old_state(small_disk):
    memory = small_disk
    dc.read_values(n=[1, 2], memory=memory).save("small")
    with pytest.raises(DataMemoryFullError) as raised:
        dc.read_values(n=list(range(3000)), memory=memory).map(text=big_text).save("big")
    assert str(memory.root) in str(raised.value) and "No space left on device" in str(raised.value)
    assert staging_files(memory) == []  # the failed run's checkpoint parts are freed
    assert dc.read_dataset("small", memory=memory).to_values("n") == [1, 2]
    with pytest.raises(dc.DataChainError):
        dc.read_dataset("big", memory=memory)
    assert dc.read_values(n=[3], memory=memory).save("after").count() == 1  # the Data Memory still works


def test_full_disk_while_staging_parts_names_the_part_and_frees_the_run(small_disk):
    memory = small_disk
    with pytest.raises(DataMemoryFullError) as raised:
        dc.read_values(n=list(range(30_000)), memory=memory).settings(batch_size=1000).map(text=big_text).save("big")
    message = str(raised.value)
    assert str(memory.staging_dir) in message and ".parquet" in message
    assert staging_files(memory) == []
    assert dc.read_values(n=[3], memory=memory).save("after").count() == 1


@pytest.mark.parametrize("version", ["2147483648.0.0", "1.2147483648.0", "1.0.99999999999999999999"])
def test_versions_past_32_bit_parts_are_refused(memory, version):
    with pytest.raises(InvalidDatasetNameError, match="at most 2147483647"):
        dc.read_values(n=[1]).save("v", version=version)
    with pytest.raises(InvalidDatasetNameError, match="at most 2147483647"):
        dc.read_dataset(f"v@{version}")


def test_a_major_bump_past_32_bits_is_refused(memory):
    dc.read_values(n=[1]).save("v", version="2147483647.0.0")
    with pytest.raises(InvalidDatasetNameError, match="major part of 2147483647.0.0 cannot grow"):
        dc.read_values(n=[1, 2]).save("v", update_version="major")
    assert dc.read_dataset("v").to_values("n") == [1]


@pytest.mark.parametrize("column", ["_dc_added", "_dc_removed"])
def test_reserved_column_names_are_refused_before_any_work(memory, column):
    ran = []

    def double(n: int) -> int:
        ran.append(n)
        return 2 * n

    with pytest.raises(SchemaError, match=f"{column!r} is reserved"):
        dc.read_values(**{column: [1, 2]}).save(f"r{uuid.uuid4().hex[:6]}")
    with pytest.raises(SchemaError, match=f"{column!r} is reserved"):
        dc.read_values(n=[1, 2]).map(**{column: double}).save("mapped")
    assert ran == []  # refused up front: the UDF never ran
    with memory.connect() as con:
        assert con.execute("SELECT count(*) FROM dc_versions").fetchall() == [(0,)]


def test_data_memory_connections_bound_duckdb_memory(memory, monkeypatch):
    with memory.connect() as con:
        default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert default == "244.1 MiB"  # DEFAULT_MEMORY_LIMIT, 256 MB, as DuckDB prints it
    monkeypatch.setenv("DATACHAIN_MEMORY_LIMIT", "bogus")
    other = dc.Memory(memory.root.parent / "other")
    with pytest.raises(dc.DataChainParamsError, match="DATACHAIN_MEMORY_LIMIT='bogus' is not a size"):
        with other.connect():
            pass


def test_a_save_larger_than_the_memory_limit_spills_instead_of_failing(tmp_path, monkeypatch):
    """40 MB of vectors saved from UDF parts under a 32 MB limit: the parts stream into the table in order."""
    monkeypatch.setenv("DATACHAIN_MEMORY_LIMIT", "32MB")
    vector = [float(i % 7) for i in range(512)]

    def embed(id: int) -> list[float]:  # noqa: A002 - the column's name
        return [id, *vector[1:]]

    memory = dc.Memory(tmp_path / "dm")
    saved = dc.read_values(id=list(range(20_000)), memory=memory).map(emb=embed).save("vectors")
    assert saved.count() == 20_000
    firsts = [emb[0] for emb in saved.limit(5).to_values("emb")]
    assert firsts == [0.0, 1.0, 2.0, 3.0, 4.0]  # input order kept without a sort
    memory.close()
