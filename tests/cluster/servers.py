"""Servers a cluster test starts on 127.0.0.1: Redis (the celery broker) and PostgreSQL (the shared Dagster
instance). Each runs in its own process session and is stopped with its whole group.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.storage_servers import ServerUnavailable

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the process's group, SIGKILL it after `grace` seconds (its children too: celery's pool)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} after {timeout}s:\n{log.read_text()[-3000:]}")


class Redis:
    """`redis-server` without persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerUnavailable("redis-server is not installed (apt-get install redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="cluster-redis-"))
        self.port = free_port()
        log = self.dir / "redis.log"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, self.process, log)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_group(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


class Postgres:
    """A private PostgreSQL cluster (trust auth on 127.0.0.1), run as user `postgres` when the tests run as root."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise ServerUnavailable(f"PostgreSQL is not installed in {PG_BIN} (apt-get install postgresql)")
        self.dir = Path(tempfile.mkdtemp(prefix="cluster-pg-"))
        self.port = free_port()
        self.data = self.dir / "data"
        as_user: Sequence[str] = ("runuser", "-u", "postgres", "--") if os.geteuid() == 0 else ()
        if as_user:
            shutil.chown(self.dir, "postgres")
        self._as_user = as_user
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "pg.log"), "-w", "start",
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as_user, str(PG_BIN / tool), *args], capture_output=True, text=True,
                              start_new_session=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
