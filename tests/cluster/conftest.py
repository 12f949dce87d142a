"""A small cluster on 127.0.0.1: Redis as the celery broker, a Dagster instance on PostgreSQL shared by every
process, a Data Memory on DuckLake (its catalog in the same PostgreSQL), and celery worker processes standing in
for machines, each in a working directory (and DAGSTER_HOME) of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cluster.servers import Redis, stop_group
from tests.storage_servers import ServerUnavailable, _in_ci
from tests.team import conftest as team
from tests.team.conftest import Lake, PostgresServer

REPO = Path(__file__).resolve().parents[2]
WORKER_START_SECONDS = 90
postgres_server = team.postgres_server  # the session's PostgreSQL: Dagster instance and lake catalog


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    try:
        server = Redis()
    except ServerUnavailable as exc:
        if _in_ci():
            pytest.fail(f"{exc}; CI=true requires it", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


def instance_yaml(postgres: PostgresServer, database: str) -> str:
    """dagster.yaml of an instance whose runs, events and schedules live in PostgreSQL (SQLAlchemy 2.1 needs the
    psycopg2 scheme spelled out); compute logs are not kept, so nothing depends on a local folder."""
    return f"""\
storage:
  postgres:
    postgres_db:
      hostname: 127.0.0.1
      port: {postgres.port}
      username: postgres
      password: {{env: PGPASSWORD}}
      db_name: {database}
      scheme: postgresql+psycopg2
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
telemetry:
  enabled: false
"""


@pytest.fixture(scope="module")
def dagster_home(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The coordinator's DAGSTER_HOME; the schema is created here, once, before any worker starts (two workers
    racing to create it on an empty database leave it broken)."""
    import dagster as dg

    home = tmp_path_factory.mktemp("coordinator-home")
    (home / "dagster.yaml").write_text(instance_yaml(postgres_server, postgres_server.create_database()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PGPASSWORD", postgres_server.password)
        with dg.DagsterInstance.from_config(str(home)):
            pass
        yield home


@dataclass
class Worker:
    name: str
    directory: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def hostname(self) -> str:
        return f"{self.name}@cluster"

    def stop(self) -> None:
        stop_group(self.process)


@dataclass
class Cluster:
    """Celery workers started by the test; `executor_config` points a run's celery executor at the same broker."""

    redis: Redis
    dagster_home: Path
    root: Path
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    @property
    def executor_config(self) -> dict[str, object]:
        return {"broker": f"{self.redis.url}/0", "backend": f"{self.redis.url}/1",
                "config_source": {"worker_prefetch_multiplier": 1}}

    def start_worker(self, name: str) -> Worker:
        """A `celery -A dagster_celery.app worker` process (one task at a time) in a folder of its own, with its own
        DAGSTER_HOME pointing at the shared PostgreSQL instance; started in its own session so its pool goes too."""
        directory = self.root / name
        (directory / "home").mkdir(parents=True)
        (directory / "home" / "dagster.yaml").write_text((self.dagster_home / "dagster.yaml").read_text())
        (directory / "dagster_celery_config.py").write_text(  # read by dagster_celery.app from the working dir
            f"broker_url = {self.redis.url + '/0'!r}\nresult_backend = {self.redis.url + '/1'!r}\n"
            "worker_prefetch_multiplier = 1\n")
        env = {**self.env, "DAGSTER_HOME": str(directory / "home"), "DC_CLUSTER_WORKER": name,
               "DATACHAIN_ROOT_DIR": str(directory / ".datachain"),  # this machine's own cache
               "PYTHONPATH": os.pathsep.join([str(directory), str(REPO)])}
        log = directory / "worker.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "dagster_celery.app", "worker", "-n", f"{name}@cluster",
                 "-c", "1", "-O", "fair", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        worker = Worker(name, directory, process, log)
        self.workers.append(worker)
        return worker

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WORKER_START_SECONDS
        for worker in self.workers:
            while b" ready." not in worker.log.read_bytes():
                if worker.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"celery worker {worker.name} did not start:\n{worker.log.read_text()[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def cluster(redis: Redis, dagster_home: Path, postgres_server: PostgresServer, s3_server, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """Celery workers (started by the test) and the environment they share with it: the input bucket on moto S3
    and the Data Memory, a DuckLake whose catalog is in PostgreSQL and whose data path is on the same moto S3
    (checkpoint parts are uploaded there, so a shard resumes on any worker). The test process sees the same
    variables (it imports the job's module as the run's coordinator)."""
    lake_bucket = s3_server.make_bucket(f"cluster-lake-{uuid.uuid4().hex[:8]}")
    lake = Lake(postgres_server.url(postgres_server.create_database()), f"{lake_bucket.rstrip('/')}/lake/")
    env = {
        "DC_CLUSTER_BUCKET": s3_server.make_bucket(f"cluster-{uuid.uuid4().hex[:8]}") + "/",
        "AWS_ENDPOINT_URL": s3_server.url,
        "AWS_ACCESS_KEY_ID": "cluster-test", "AWS_SECRET_ACCESS_KEY": "cluster-test", "AWS_REGION": "us-east-1",
        "DATACHAIN_CATALOG": lake.catalog, "DATACHAIN_DATA_PATH": lake.data_path,
        "PGPASSWORD": postgres_server.password,
        "DC_CLUSTER_CALLS": str(tmp_path / "calls.log"),
        "DC_CLUSTER_STALLED": str(tmp_path / "stalled"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.delenv("DC_CLUSTER_STALL_ON", raising=False)
    running = Cluster(redis, dagster_home, tmp_path / "workers", {**os.environ, **env})
    try:
        yield running
    finally:
        running.stop()
