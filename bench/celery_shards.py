"""A 4-shard CPU-bound UDF on the celery executor with 1 and 2 workers, and on the multiprocess executor.

Run by hand (not CI) in an environment with the [team] extra, and apt's redis-server and PostgreSQL 15 (the
Dagster instance every process shares, and the catalog of the DuckLake Data Memory; its data path is a local folder
all workers see, as a shared volume would be):

    python bench/celery_shards.py [ROWS]

Each configuration gets a fresh Data Memory and fresh workers; a small warm-up asset runs first so that the timed
run does not pay for importing Dagster in the worker processes. Prints seconds per configuration and the ratios.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from dagster_celery import celery_executor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster_datachain as dc  # noqa: E402
from tests.team.conftest import PostgresServer  # noqa: E402

SHARDS = 4
ROWS = int(os.environ.get("BENCH_ROWS", "48"))
SPINS = 1_500_000  # pure-Python loop iterations per row (~0.1 s of one core)


def spin(n: int) -> int:
    """CPU-bound: no I/O, holds the GIL."""
    total = 0
    for i in range(SPINS):
        total = (total + i * n) % 1_000_003
    return total


def same(n: int) -> int:
    return n


@dc.sharded_dataset_asset(shards=SHARDS, batch_size=4)
def bench_warmup() -> dc.DataChain:
    return dc.read_values(n=list(range(8))).map(spun=same)


@dc.sharded_dataset_asset(shards=SHARDS, batch_size=4)
def bench_cpu() -> dc.DataChain:
    return dc.read_values(n=list(range(ROWS))).map(spun=spin)


defs = dg.Definitions(
    assets=[bench_warmup, bench_cpu],
    jobs=[dg.define_asset_job("warmup", selection=[bench_warmup], executor_def=celery_executor),
          dg.define_asset_job("celery", selection=[bench_cpu], executor_def=celery_executor),
          dg.define_asset_job("multiprocess", selection=[bench_cpu])],
    resources=dc.datachain_resources(knowledge_base=None),
)


def warmup() -> dg.JobDefinition:
    return defs.resolve_job_def("warmup")


def celery() -> dg.JobDefinition:
    return defs.resolve_job_def("celery")


def multiprocess() -> dg.JobDefinition:
    return defs.resolve_job_def("multiprocess")


def timed(job: Callable[[], dg.JobDefinition], instance: dg.DagsterInstance, run_config: dict) -> float:
    started = time.perf_counter()
    with dg.execute_job(dg.reconstructable(job), instance=instance, run_config=run_config) as result:
        assert result.success
    return time.perf_counter() - started


def fresh_lake(postgres: PostgresServer, data_path: Path) -> None:
    """Point this process (and the workers it starts) at a new lake, created here before any worker attaches."""
    os.environ["DATACHAIN_CATALOG"] = postgres.url(postgres.create_database())
    os.environ["DATACHAIN_DATA_PATH"] = str(data_path)
    with dc.DataMemory().memory().connect():
        pass


def main() -> None:
    from tests.cluster.conftest import Cluster, instance_yaml
    from tests.cluster.servers import Redis

    scratch = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    redis, postgres = Redis(), PostgresServer()
    postgres.start()
    os.environ["PGPASSWORD"] = postgres.password
    home = scratch / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml(postgres, postgres.create_database()))
    os.environ["DAGSTER_HOME"] = str(home)
    times: dict[str, float] = {}
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            for workers in (1, 2):
                fresh_lake(postgres, scratch / f"lake-celery-{workers}")
                cluster = Cluster(redis, home, scratch / f"workers-{workers}", dict(os.environ))
                try:
                    for i in range(workers):
                        cluster.start_worker(f"w{i + 1}")
                    cluster.wait_ready()
                    config = {"execution": {"config": cluster.executor_config}}
                    timed(warmup, instance, config)
                    times[f"celery, {workers} worker{'s' * (workers > 1)}"] = timed(celery, instance, config)
                finally:
                    cluster.stop()
            fresh_lake(postgres, scratch / "lake-multiprocess")
            times["multiprocess (max_concurrent 2)"] = timed(
                multiprocess, instance, {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}})
    finally:
        redis.stop()
        postgres.stop()
    print(f"{SHARDS} shards, {ROWS} rows, {SPINS:,} loop iterations per row, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, seconds in times.items():
        print(f"{name:34s} {seconds:7.1f} s")
    one, two = times["celery, 1 worker"], times["celery, 2 workers"]
    print(f"celery 1 worker / 2 workers: {one / two:.2f}x;  multiprocess / celery 2 workers: "
          f"{times['multiprocess (max_concurrent 2)'] / two:.2f}x")


if __name__ == "__main__":
    main()
