"""A UDF's finished results are reused only by the same code: body, closures, globals, setup code, partition_by."""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import dagster_datachain as dc
from dagster_datachain.udf.code_hash import code_hash

SCRIPT = """
import dagster_datachain as dc

def f(num: int) -> int:
    return num * {factor}

print(dc.read_values(num=[1, 2, 3]).map(r=f).to_values("r"))
"""


def _run_script(path: Path, root: Path) -> str:
    env = {**os.environ, "DATACHAIN_ROOT_DIR": str(root), "PYTHONPATH": str(Path(dc.__file__).parents[1])}
    done = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.strip()


def test_editing_the_udf_body_between_two_runs_recomputes(tmp_path):
    script, root = tmp_path / "pipeline.py", tmp_path / "dm"
    script.write_text(SCRIPT.format(factor=2))
    assert _run_script(script, root) == "[2, 4, 6]"
    script.write_text(SCRIPT.format(factor=3))
    assert _run_script(script, root) == "[3, 6, 9]"
    assert _run_script(script, root) == "[3, 6, 9]"


def _scaled(factor: int):
    def f(num: int) -> int:
        return num * factor

    return f


def test_a_changed_closure_value_recomputes(memory):
    chain = dc.read_values(num=[1, 2, 3])
    assert chain.map(r=_scaled(2)).to_values("r") == [2, 4, 6]
    assert chain.map(r=_scaled(3)).to_values("r") == [3, 6, 9]


def test_a_changed_setup_recomputes(memory):
    def f(num: int, k: int) -> int:
        return num * k

    chain = dc.read_values(num=[1, 2, 3])
    assert chain.setup(k=lambda: 2).map(r=f).to_values("r") == [2, 4, 6]
    assert chain.setup(k=lambda: 3).map(r=f).to_values("r") == [3, 6, 9]


def test_a_changed_partition_by_regroups(memory):
    def total(num: list[int]) -> Iterator[int]:
        yield sum(num)

    chain = dc.read_values(num=[1, 2, 3, 4], a=["x", "x", "y", "y"], b=["p", "q", "p", "q"])
    assert sorted(chain.agg(s=total, partition_by="a").to_values("s")) == [3, 7]
    assert sorted(chain.agg(s=total, partition_by="b").to_values("s")) == [4, 6]
    by_b = chain.agg(s=total, partition_by="b").save("sums")
    assert sorted(by_b.to_values("s")) == [4, 6]
    assert sorted(chain.agg(s=total, partition_by="a").save("sums").to_values("s")) == [3, 7]


def test_the_same_code_reuses_the_finished_checkpoint_and_says_why(memory, caplog, tmp_path):
    marks = tmp_path / "calls"

    def f(num: int) -> int:
        with open(marks, "a") as out:
            out.write("x")
        return num * 2

    chain = dc.read_values(num=[1, 2, 3]).map(r=f)
    assert chain.to_values("r") == [2, 4, 6]
    with caplog.at_level(logging.INFO, logger="dagster_datachain"):
        assert chain.to_values("r") == [2, 4, 6]
    assert marks.read_text() == "xxx"
    assert "reusing its checkpoint" in caplog.text and "same input, parameters and code" in caplog.text


def test_a_fixed_udf_continues_an_unfinished_run(memory, caplog):
    def f(num: int) -> int:
        if num == 3:
            raise ValueError("bug")
        return num * 2

    chain = dc.read_values(num=[1, 2, 3, 4]).settings(batch_size=1)
    try:
        chain.map(r=f).to_values("r")
    except ValueError:  # the user's own exception, as in DataChain
        pass

    def f(num: int) -> int:  # noqa: F811 - the user fixes the function
        return num * 10

    with caplog.at_level(logging.INFO, logger="dagster_datachain"):
        assert chain.map(r=f).to_values("r") == [2, 4, 30, 40]
    assert "since an unfinished run" in caplog.text


class Scale:
    def __init__(self, factor: int) -> None:
        self.factor = factor

    def __call__(self, num: int) -> int:
        return num * self.factor


def _times(num: int, factor: int) -> int:
    return num * factor


LIMIT = 10


def _clipped(num: int) -> int:
    return min(num, LIMIT)


def test_code_hash_follows_what_the_code_sees():
    assert code_hash(Scale(2)) == code_hash(Scale(2)) != code_hash(Scale(3))
    assert code_hash(functools.partial(_times, factor=2)) != code_hash(functools.partial(_times, factor=3))
    assert code_hash(lambda n: n + 1) != code_hash(lambda n: n + 2)
    assert code_hash(_scaled(2)) == code_hash(_scaled(2))
    before = code_hash(_clipped)
    globals()["LIMIT"] = 20
    try:
        assert code_hash(_clipped) != before
    finally:
        globals()["LIMIT"] = 10
    nested = textwrap.dedent("""
        def outer(n):
            return [x * {k} for x in range(n)]
    """)
    hashes = set()
    for k in (2, 3):
        namespace: dict[str, object] = {}
        exec(nested.format(k=k), namespace)  # noqa: S102 - two versions of a function, as a user edits them
        hashes.add(code_hash(namespace["outer"]))
    assert len(hashes) == 2
