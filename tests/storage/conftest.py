"""A fresh bucket per test on each real store (file, s3, gs, az)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

import dagster_datachain as dc
from tests.storage_servers import StorageServer


@dataclass
class Bucket:
    """A bucket on a real storage server, written through the server's own fsspec client."""

    server: StorageServer
    name: str

    @property
    def kind(self) -> str:
        return self.server.kind

    @property
    def options(self) -> dict[str, Any]:
        """The storage options a user passes to `read_storage` to reach this server."""
        return dict(self.server.storage_options)

    def uri(self, path: str = "") -> str:
        return self.server.uri(self.name, path)

    def put(self, files: dict[str, bytes]) -> None:
        self.server.fs().pipe({self.uri(path): data for path, data in files.items()})

    def rm(self, path: str) -> None:
        self.server.fs().rm(self.uri(path))

    def read(self, pattern: str = "", **options: Any) -> dc.DataChain:
        """`read_storage` over this bucket (always a fresh listing), with the server's storage options."""
        return dc.read_storage(self.uri(pattern), update=True, **{**self.options, **options})


def new_bucket(server: StorageServer, versioned: bool = False) -> Bucket:
    name = f"t-{uuid.uuid4().hex[:12]}"
    server.make_bucket(name, versioned=versioned)
    return Bucket(server, name)


@pytest.fixture
def bucket(storage: StorageServer, memory: dc.Memory) -> Bucket:
    """An empty bucket on the store under test (file, s3, gs, az), with a fresh Data Memory."""
    return new_bucket(storage)
