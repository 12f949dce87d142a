from dataclasses import dataclass
from pathlib import Path

import pytest

import dagster_datachain as dc

from .pets import build_pets


@dataclass(frozen=True)
class Pets:
    memory: dc.Memory
    images: Path
    kb: Path

    def page(self, relative: str) -> str:
        return (self.kb / relative).read_text()

    def bucket_page(self) -> str:
        (page,) = (self.kb / "buckets" / "file").glob("**/*.md")
        return page.read_text()


@pytest.fixture
def pets(memory, images, tmp_path) -> Pets:
    """The pets Data Memory (see pets.py) and where its Knowledge Base goes."""
    build_pets(images)
    return Pets(memory, images.root, tmp_path / "dc-knowledge")
