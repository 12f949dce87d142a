"""Processes sharing one Data Memory: a reader polling all the time never keeps writers out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

READER = """
import sys, time
from pathlib import Path
import dagster_datachain as dc
root, stop = sys.argv[1], Path(sys.argv[2])
memory = dc.Memory(root)
polls = 0
while not stop.exists():
    dc.read_dataset("base", memory=memory).count()  # a sensor or dashboard polling twice a second
    polls += 1
    Path(root, "polls").write_text(str(polls))
    time.sleep(0.5)
print(polls)
"""

WRITER = """
import json, sys, time
from pathlib import Path
import dagster_datachain as dc
root, index, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
dc.read_values(n=[0], memory=dc.Memory(f"{root}-warm{index}", linger=0)).save("warm")  # lazy imports done
memory = dc.Memory(root, lock_timeout=10)
Path(root, f"ready{index}").touch()
while not go.exists():
    time.sleep(0.01)
started = time.monotonic()
dc.read_values(n=list(range(100)), memory=memory).save(f"w{index}")
print(json.dumps(time.monotonic() - started))
"""


def spawn(tmp_path: Path, source: str, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / f"{abs(hash(source))}.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_polling_reader_does_not_starve_writers(tmp_path):
    root = tmp_path / "dm"
    import dagster_datachain as dc

    memory = dc.Memory(root)
    dc.read_values(n=[1, 2, 3], memory=memory).save("base")
    memory.close()
    stop, go = tmp_path / "stop", tmp_path / "go"
    reader = spawn(tmp_path, READER, str(root), str(stop))
    writers = [spawn(tmp_path, WRITER, str(root), str(i), str(go)) for i in range(4)]
    try:
        deadline = time.monotonic() + 60
        ready = [root / "polls", *(root / f"ready{i}" for i in range(len(writers)))]
        while not all(p.exists() for p in ready) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6)  # the reader has polled again: it holds the database when the writers start
        go.touch()
        results = [w.communicate(timeout=60) for w in writers]
        after_writers = int((root / "polls").read_text() or 0)
        while int((root / "polls").read_text() or 0) < after_writers + 2 and time.monotonic() < deadline + 60:
            time.sleep(0.05)  # the reader goes on polling after the writers are done
    finally:
        stop.touch()
        for process in writers:
            if process.poll() is None:
                process.kill()
        polls, _ = reader.communicate(timeout=30)
    for process, (_out, err) in zip(writers, results, strict=True):
        assert process.returncode == 0, err
    durations = [json.loads(out) for out, _ in results]
    # each save waits its turn behind the others (~0.1 s each on an idle machine), never behind the reader
    assert max(durations) < 2.0 * len(writers), f"writers took {sorted(round(d, 2) for d in durations)} s"
    assert int(polls) >= 4  # the reader kept polling all along
    assert [dc.read_dataset(f"w{i}", memory=memory).count() for i in range(4)] == [100] * 4
