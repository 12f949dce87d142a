"""A worker that dies, or a UDF that calls sys.exit(), is reported as a UDFError naming the UDF and the row."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

import dagster_datachain as dc


def make_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"f{i:04d}.txt").write_text("x" * i)


def exits_on_13(file: dc.File) -> int:
    if file.path == "f0013.txt":
        os._exit(3)
    return 1


def killed_on_13(file: dc.File) -> int:
    if file.path == "f0013.txt":
        os.kill(os.getpid(), signal.SIGKILL)
    return 1


def sys_exit_on_13(file: dc.File) -> int:
    if file.path == "f0013.txt":
        sys.exit(5)
    return 1


@pytest.mark.parametrize(("udf", "how"), [(exits_on_13, "exited with code 3"), (killed_on_13, "killed by SIGKILL")])
def test_a_dying_worker_names_the_udf_and_the_row(memory, tmp_path, udf, how):
    make_files(tmp_path / "in", 30)
    chain = dc.read_storage(str(tmp_path / "in")).settings(batch_size=5, parallel=2).map(ok=udf)
    started = time.monotonic()
    with pytest.raises(dc.UDFError, match=rf"UDF '{udf.__name__}'.*{how}.*input row f0013\.txt") as error:
        chain.save("dying")
    assert time.monotonic() - started < 30
    assert error.value.udf == udf.__name__ and error.value.row == "f0013.txt"


@pytest.mark.parametrize("parallel", [None, 2])
def test_sys_exit_in_a_udf_names_the_udf_and_the_row(memory, tmp_path, parallel):
    make_files(tmp_path / "in", 30)
    chain = dc.read_storage(str(tmp_path / "in")).settings(batch_size=5, parallel=parallel).map(ok=sys_exit_on_13)
    with pytest.raises(dc.UDFError, match=r"UDF 'sys_exit_on_13' called sys.exit\(5\) on input row f0013\.txt"):
        chain.save("exiting")
