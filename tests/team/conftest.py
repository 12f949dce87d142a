"""A running DuckLake for tests: a private PostgreSQL on 127.0.0.1 (the catalog) and moto S3 (the data path).

Reuse it from any test package (the celery tests, benches) by importing the fixtures into its conftest.py
(`s3_server` comes from tests/conftest.py's `tests.storage_servers` plugin):

    from tests.team.conftest import lake_bucket, pg_s3_lake, postgres_server  # noqa: F401 - fixtures

    def test_shared(pg_s3_lake):                  # a fresh lake per test: own database, own bucket prefix
        memory = pg_s3_lake.memory()              # dc.Memory(catalog=..., data_path=..., storage_options=...)
        subprocess.run([...], env=pg_s3_lake.env())  # DATACHAIN_CATALOG / _DATA_PATH, PGPASSWORD, AWS_* for workers

`sqlite_lake` is the same on one machine (SQLite catalog, local data path); `lake` runs a test on both.
Outside pytest, `running_lake()` starts both servers and yields a `Lake` (bench/ uses it).

The PostgreSQL cluster is made with initdb (as user postgres when run as root) with password authentication,
so tests see a real password travel (and never leak). Without the PostgreSQL binaries (apt's postgresql 15) or
the DuckLake extension wheels (`pip install -e '.[team]'`), these tests skip with the reason; under CI=true
they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.storage_servers import S3Server, ServerUnavailable, _free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PASSWORD = "pg-Secret-4711"
S3_KEY, S3_SECRET = "lake-key-id", "lake-Secret-0815"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def lake_reason() -> str | None:
    """Why the lake tests cannot run here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries missing in {PG_BIN} (apt-get install postgresql)"
    try:
        from dagster_datachain.memory import extensions

        for name in ("ducklake", "postgres_scanner", "sqlite_scanner", "httpfs"):
            extensions.extension_file(name)
    except Exception as exc:  # noqa: BLE001 - any reason is a reason to skip
        return str(exc)
    return None


class PostgresServer:
    """A private PostgreSQL cluster in a temporary folder, listening only on 127.0.0.1 (password required)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lake-pg-"))
        self.port = _free_port()
        self.password = PG_PASSWORD

    def _run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> None:
        data = self.dir / "data"
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=200", "start")

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, database: str, sql: str) -> str:
        """Run SQL over the socket as the superuser; its output, unaligned."""
        return self._run(str(PG_BIN / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-At", "-c", sql).stdout.strip()

    def create_database(self) -> str:
        name = f"lake_{uuid.uuid4().hex[:10]}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def url(self, database: str, user: str = "postgres") -> str:
        """The catalog URL, without the password (it travels as $PGPASSWORD)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"


@dataclass
class Lake:
    """One DuckLake's settings: hand `memory()` to the API, `env()` to another process."""

    catalog: str
    data_path: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # environment variables holding credentials
    database: str | None = None

    def memory(self, **kwargs: Any) -> Any:
        import dagster_datachain as dc

        return dc.Memory(catalog=self.catalog, data_path=self.data_path, storage_options=self.storage_options,
                         **kwargs)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a process working on this lake (settings and credentials as variables)."""
        env = dict(os.environ if base is None else base)
        env.update(DATACHAIN_CATALOG=self.catalog, DATACHAIN_DATA_PATH=self.data_path, **self.secrets)
        return env


def s3_secrets(s3: S3Server) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET, "AWS_ENDPOINT_URL": s3.url,
            "AWS_REGION": "us-east-1"}


def new_pg_s3_lake(pg: PostgresServer, s3: S3Server, bucket: str) -> Lake:
    """A fresh lake: its own catalog database, its own prefix in `bucket`."""
    database = pg.create_database()
    return Lake(pg.url(database), f"s3://{bucket}/{database}/", {},
                {"PGPASSWORD": pg.password, **s3_secrets(s3)}, database)


@contextlib.contextmanager
def running_lake() -> Iterator[Lake]:
    """Start PostgreSQL and moto S3, yield a lake on them with its credentials in os.environ, stop both."""
    reason = lake_reason()
    if reason:
        raise ServerUnavailable(reason)
    pg, s3 = PostgresServer(), S3Server()
    try:
        pg.start()
        s3.start()
        s3.make_bucket("lake")
        lake = new_pg_s3_lake(pg, s3, "lake")
        saved = dict(os.environ)
        os.environ.update(lake.secrets)
        try:
            yield lake
        finally:
            os.environ.clear()
            os.environ.update(saved)
    finally:
        s3.stop()
        pg.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL 15 on 127.0.0.1 for the session."""
    reason = lake_reason()
    if reason:
        _unavailable(reason)
    server = PostgresServer()
    try:
        server.start()
    except (OSError, subprocess.CalledProcessError) as exc:
        server.stop()
        _unavailable(f"PostgreSQL did not start: {getattr(exc, 'stderr', exc)}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def lake_bucket(s3_server: S3Server) -> str:
    return s3_server.make_bucket("team-lake").removeprefix("s3://").strip("/")


@pytest.fixture
def pg_s3_lake(postgres_server: PostgresServer, s3_server: S3Server, lake_bucket: str,
               monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A fresh lake (PostgreSQL catalog, moto S3 data path); its credentials are in this test's environment."""
    lake = new_pg_s3_lake(postgres_server, s3_server, lake_bucket)
    for name, value in lake.secrets.items():
        monkeypatch.setenv(name, value)
    return lake


@pytest.fixture
def sqlite_lake(tmp_path: Path) -> Lake:
    """A lake on one machine: SQLite catalog file, local data folder."""
    reason = lake_reason()
    if reason:
        _unavailable(reason)
    return Lake(f"sqlite:///{tmp_path / 'catalog.sqlite'}", str(tmp_path / "lake-data"))


@pytest.fixture(params=["postgres+s3", "sqlite+local"])
def lake(request: pytest.FixtureRequest) -> Lake:
    """Each test on both kinds of lake."""
    return request.getfixturevalue("pg_s3_lake" if request.param == "postgres+s3" else "sqlite_lake")
