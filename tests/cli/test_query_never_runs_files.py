"""`query NAME` queries the dataset NAME, even in a folder holding a file of that name; scripts run only by `run`."""

from __future__ import annotations

from pathlib import Path

import dagster_datachain as dc

from .test_cli import run

TRAP = "open('ran.txt', 'w').write('the file was executed')\n"


def test_query_reads_the_dataset_not_a_file_of_the_same_name(memory: dc.Memory, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "keep").write_text(TRAP)
    (folder / "keep.py").write_text(TRAP)
    dc.read_values(n=[1, 2, 3]).save("keep")

    result = run("query", "keep", "--where", "n > 1", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert [line.split()[-1] for line in result.stdout.splitlines()[1:] if line[:1].isdigit()] == ["2", "3"]
    assert not (folder / "ran.txt").exists()

    missing = run("query", "keep.py", cwd=folder)  # no such dataset: an error that points at `run`, not a run
    assert missing.returncode == 1 and "dagster-datachain run keep.py" in missing.stderr
    assert not (folder / "ran.txt").exists()

    assert run("run", "keep", cwd=folder).returncode == 0  # asked for explicitly
    assert (folder / "ran.txt").read_text() == "the file was executed"
