"""The command line never creates a Data Memory by looking for one, `diff` compares versions of one dataset and
prints vectors in short, and `gc`/`rm` report once."""

from __future__ import annotations

from pathlib import Path

import pytest

import dagster_datachain as dc

from .test_cli import run

NO_ENV = {"DATACHAIN_ROOT_DIR": ""}  # the default: .datachain/ in the working directory


@pytest.mark.parametrize("command", [["datasets"], ["show", "x"], ["kb", "build"], ["gc"]], ids=" ".join)
def test_no_data_memory_says_where_it_looked_and_creates_nothing(command: list[str], tmp_path: Path) -> None:
    result = run(*command, cwd=tmp_path, env=NO_ENV)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"no Data Memory at {tmp_path / '.datachain'} (the default, in the working folder)" in result.stderr
    assert list(tmp_path.iterdir()) == []  # (--root: tests/cli/test_cli.py::test_gc_and_the_root_option)


def with_embeddings(memory: dc.Memory) -> None:
    """`emb` 1.0.0 and 1.0.1 (one file's 64-float embedding changed), `other` 1.0.0."""
    files = [dc.File(path=f"img/{i}.jpg") for i in range(3)]
    vectors = [[0.125 * i + j / 1024 for j in range(64)] for i in range(3)]
    dc.read_values(file=files, emb=vectors, memory=memory).save("emb", version="1.0.0")
    vectors[1] = [-v for v in vectors[1]]
    dc.read_values(file=files, emb=vectors, memory=memory).save("emb", version="1.0.1")
    dc.read_values(file=files, emb=vectors, memory=memory).save("other", version="1.0.0")


def test_diff_refuses_two_datasets_and_never_dumps_vectors(memory: dc.Memory) -> None:
    with_embeddings(memory)
    result = run("diff", "emb@1.0.0", "other@1.0.0")
    assert result.returncode == 1 and result.stdout == ""
    assert "emb and other are different datasets" in result.stderr

    result = run("diff", "emb@1.0.0", "emb@1.0.1")
    assert result.returncode == 0, result.stderr
    head, changed = result.stdout.splitlines()
    assert head == "emb@1.0.0 -> emb@1.0.1: 0 added, 1 changed, 0 removed"
    assert changed.startswith("~ ") and "img/1.jpg" in changed and "64 values" in changed
    assert len(changed) < 300 and changed.count(",") < 20  # not 64 floats


def test_gc_and_rm_report_once(memory: dc.Memory) -> None:
    dc.read_values(n=[1], memory=memory).save("scratch")
    for command, report in ((["gc"], "removed 0 checkpoint"), (["rm", "scratch"], "deleted 1 version(s) of scratch")):
        result = run(*command)
        assert result.returncode == 0, result.stderr
        assert (result.stdout + result.stderr).lower().count(report) == 1, (result.stdout, result.stderr)
        assert report in result.stdout.lower()
