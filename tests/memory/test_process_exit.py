"""A script ends when its last line has run, whatever it left open in Data Memory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_script(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `body` as a script; returns the result and the seconds between its last line and its exit."""
    script = tmp_path / "script.py"
    marker = tmp_path / "last_line"
    script.write_text(textwrap.dedent(body) + f"\nimport time; open({str(marker)!r}, 'w').write(repr(time.time()))\n")
    env = {**os.environ, "DATACHAIN_ROOT_DIR": str(tmp_path / "dm"), "PYTHONPATH": str(REPO)}
    try:
        result = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the script never exited")
    ended = time.time()
    return result, ended - float(marker.read_text())


@pytest.fixture(scope="module")
def plain_exit(tmp_path_factory) -> float:
    """Seconds a script that only imports the package takes to exit (interpreter teardown, on a busy machine)."""
    result, after_last_line = run_script(tmp_path_factory.mktemp("plain"), "import dagster_datachain")
    assert result.returncode == 0, result.stderr
    return after_last_line


@pytest.mark.parametrize("body", [
    # a partial iteration: the reader's connection is still in use when the interpreter shuts down
    """
    import dagster_datachain as dc
    dc.read_values(x=list(range(10))).save("h")
    it = iter(dc.read_dataset("h"))
    print(next(it))
    """,
    # the same, abandoned inside a function (the generator is collected before shutdown)
    """
    import dagster_datachain as dc
    def first():
        return next(iter(dc.read_values(x=list(range(10))).save("h")))
    print(first())
    """,
    # a plain save then the end: the lingering database must not delay the exit
    """
    import dagster_datachain as dc
    print(dc.read_values(x=[1, 2]).save("h").count())
    """,
], ids=["partial-iteration-at-shutdown", "partial-iteration-collected", "after-save"])
def test_script_exits_within_a_second_of_its_last_line(tmp_path, body, plain_exit):
    result, after_last_line = run_script(tmp_path, body)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in ("(0,)", "2")
    assert after_last_line < plain_exit + 1.0, (
        f"exited {after_last_line:.2f}s after its last line (a script that only imports: {plain_exit:.2f}s)")
