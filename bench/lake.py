"""Local Data Memory file vs DuckLake (PostgreSQL catalog on 127.0.0.1 + moto S3 data path), same data, same code.

Run by hand (not CI), in an environment with the [team] extra (DuckDB 1.5.5 and the extension wheels) and apt's
PostgreSQL 15:

    python bench/lake.py

Prints seconds per step (best of N) for both Data Memories and the ratio lake / file.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster_datachain as dc  # noqa: E402
from tests.team.conftest import running_lake  # noqa: E402

SEED = 7
SAVE_ROWS, FILTER_ROWS, EMB_ROWS, EMB_DIM = 100_000, 1_000_000, 100_000, 512
BREEDS = ["abyssinian", "bengal", "birman", "bombay", "cocker_spaniel", "shiba_inu", "pug", "beagle"]


def best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def steps(memory: dc.Memory) -> dict[str, tuple[float, Any]]:
    rng = np.random.default_rng(SEED)
    results: dict[str, tuple[float, Any]] = {}
    ids = list(range(SAVE_ROWS))
    names = [f"images/{BREEDS[i % 8]}/{i}.jpg" for i in ids]
    counter = iter(range(100))
    results["save 100k rows"] = best(lambda: dc.read_values(id=ids, path=names, memory=memory).save(
        f"bench_save_{next(counter)}").dataset.row_count, 3)  # type: ignore[union-attr]

    picks = rng.integers(0, len(BREEDS), FILTER_ROWS).tolist()
    paths = [f"images/{BREEDS[b]}/{BREEDS[b]}_{i}.jpg" for i, b in enumerate(picks)]
    widths = rng.integers(64, 513, FILTER_ROWS).tolist()
    dc.read_values(path=paths, width=widths, memory=memory).save("bench_1m")
    results["filter+count 1M"] = best(lambda: dc.read_dataset("bench_1m", memory=memory).filter(
        (dc.C("width") > 400) & ~dc.C("path").ilike("%cocker%")).count(), 5)

    flat = pa.array(rng.standard_normal(EMB_ROWS * EMB_DIM, dtype=np.float32))
    emb = pa.ListArray.from_arrays(pa.array(np.arange(0, EMB_ROWS * EMB_DIM + 1, EMB_DIM, dtype=np.int32)), flat)
    ref = rng.standard_normal(EMB_DIM).tolist()
    table = pa.table({"id": pa.array(np.arange(EMB_ROWS)), "emb": emb})  # FLOAT[] (DuckLake takes no FLOAT[n])
    dc.read_arrow(table, memory=memory).save("bench_emb")
    results["cosine top-3 100k x 512"] = best(lambda: dc.read_dataset("bench_emb", memory=memory).mutate(
        dist=dc.func.cosine_distance(dc.C("emb"), ref)).order_by("dist").limit(3).to_list("id"), 3)
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        local = steps(dc.Memory(Path(folder) / "dm"))
    with running_lake() as lake:
        shared = steps(lake.memory())
    print(f"{'step':<26} {'file (s)':>9} {'lake (s)':>9} {'lake/file':>9}  same answer")
    for name, (seconds, answer) in local.items():
        lake_seconds, lake_answer = shared[name]
        print(f"{name:<26} {seconds:9.3f} {lake_seconds:9.3f} {lake_seconds / seconds:8.2f}x  {answer == lake_answer}")


if __name__ == "__main__":
    main()
