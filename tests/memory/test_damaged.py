"""A damaged Data Memory file is refused on open with one clear error, never written to or half-read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dagster_datachain as dc
from dagster_datachain.errors import DataMemoryCorruptError

REPO = Path(__file__).resolve().parents[2]


def damage(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if kind == "zero-bytes":
        path.write_bytes(b"")
    elif kind == "truncated-half":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "truncated-in-header":
        path.write_bytes(data[:5000])
    elif kind == "garbage-header":
        path.write_bytes(b"\x13\x37" * 4096 + data[8192:])
    elif kind == "text-file":
        path.write_text("name,version\nh,1.0.0\n")


KINDS = ["zero-bytes", "truncated-half", "truncated-in-header", "garbage-header", "text-file"]


@pytest.fixture
def damaged(tmp_path, request):
    root = tmp_path / "dm"
    memory = dc.Memory(root)
    dc.read_values(x=list(range(1000)), memory=memory).save("h")
    memory.close()
    damage(memory.db_path, request.param)
    return root


@pytest.mark.parametrize("damaged", KINDS, indirect=True)
def test_damaged_file_is_refused_naming_it_and_what_to_do(damaged):
    before = sorted(p.name for p in damaged.iterdir())
    memory = dc.Memory(damaged)
    for use in (lambda: dc.read_dataset("h", memory=memory).count(),
                lambda: dc.read_values(y=[1, 2, 3], memory=memory).save("new")):
        with pytest.raises(DataMemoryCorruptError) as raised:
            use()
        message = str(raised.value)
        assert str(memory.db_path) in message and "damaged" in message
        assert "backup" in message and "move it aside" in message
    assert sorted(p.name for p in damaged.iterdir() if p.name != "db.gate") == before  # nothing written (no WAL)


@pytest.mark.parametrize("damaged", KINDS, indirect=True)
def test_cli_reports_a_damaged_file_in_one_line(damaged):
    env = {**os.environ, "DATACHAIN_ROOT_DIR": str(damaged), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "dagster_datachain.cli", "datasets"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(damaged / "db.duckdb") in lines[0] and "damaged" in lines[0]


def test_healthy_files_open_after_drops_and_unfinished_writes(tmp_path):
    """No false alarm: a file whose tail DuckDB trimmed after a drop, or with rows only in its WAL."""
    memory = dc.Memory(tmp_path / "dm", linger=0)
    dc.read_values(x=list(range(300_000)), memory=memory).save("big")
    dc.read_values(x=[1], memory=memory).save("small")
    dc.delete_dataset("big", memory=memory)
    assert dc.read_dataset("small", memory=memory).count() == 1
    script = ("import os, dagster_datachain as dc\n"
              f"dc.read_values(x=[1, 2], memory=dc.Memory({str(tmp_path / 'dm')!r})).save('unfinished')\n"
              "os._exit(0)\n")  # killed before the WAL is written into the file
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert dc.read_dataset("unfinished", memory=memory).count() == 2
    assert dc.read_dataset("small", memory=memory).count() == 1
