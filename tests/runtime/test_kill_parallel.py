"""kill -9 of a parallel run: its workers die with it, and a re-run finishes with every input row exactly once."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import dagster_datachain as dc

FILES, TRIALS, TIMEOUT = 30, 10, 30.0


def _chain(root: Path, folder: Path, log: Path) -> dc.DataChain:
    def slow(file: dc.File) -> int:
        with open(log, "a") as out:
            out.write(f"{os.getpid()} {file.path}\n")
        time.sleep(0.01)
        return len(file.read())

    return dc.read_storage(str(folder), memory=str(root)).settings(batch_size=4, parallel=2).map(size=slow)


def _save(root: Path, folder: Path, log: Path) -> None:
    _chain(root, folder, log).save("killed")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def test_kill_minus_nine_of_a_parallel_run_leaves_no_workers_and_the_rerun_finishes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"f{i:03d}.txt").write_text("x" * i)
    fork = multiprocessing.get_context("fork")
    rng = random.Random(9)
    for trial in range(TRIALS):
        root, log = tmp_path / f"dm{trial}", tmp_path / f"calls{trial}.log"
        run = fork.Process(target=_save, args=(root, folder, log))
        run.start()
        kill_after = rng.randint(1, FILES - 5)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and (not log.exists() or len(log.read_text().splitlines()) < kill_after):
            time.sleep(0.01)
        os.kill(run.pid, signal.SIGKILL)
        run.join()
        workers = {int(line.split()[0]) for line in log.read_text().splitlines()}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], f"trial {trial}: workers outlived the killed run"

        rerun = fork.Process(target=_save, args=(root, folder, log))
        rerun.start()
        rerun.join(TIMEOUT)
        if rerun.is_alive():
            rerun.kill()
            raise AssertionError(f"trial {trial}: the re-run after kill -9 (after {kill_after} rows) hung")
        assert rerun.exitcode == 0
        paths = dc.read_dataset("killed", memory=str(root)).to_values("file.path")
        assert sorted(paths) == [f"f{i:03d}.txt" for i in range(FILES)], f"trial {trial}"
