from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

import dagster_datachain as dc

pytest_plugins = ["tests.storage_servers"]

BREEDS = {
    "dogs/cocker_spaniel": "cocker_spaniel",
    "dogs/shiba_inu": "shiba_inu",
    "cats/abyssinian": "abyssinian",
}


@dataclass(frozen=True)
class Images:
    root: Path
    sizes: dict[str, tuple[int, int]]

    def breed(self, path: str) -> str:
        return Path(path).parent.name


@pytest.fixture(autouse=True)
def isolated_data_memory(tmp_path_factory, monkeypatch):
    """Every test gets a Data Memory of its own, so nothing ever lands in the repository's .datachain/."""
    monkeypatch.setenv("DATACHAIN_ROOT_DIR", str(tmp_path_factory.mktemp("default-dm")))


@pytest.fixture
def memory(tmp_path, monkeypatch):
    monkeypatch.setenv("DATACHAIN_ROOT_DIR", str(tmp_path / "dm"))
    return dc.Memory(tmp_path / "dm")


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    sizes = {}
    for b, (folder, breed) in enumerate(BREEDS.items()):
        (root / folder).mkdir(parents=True)
        for i in range(4):
            width, height = 60 + 45 * i + 7 * b, 40 + 30 * b + 11 * i
            relative = f"{folder}/{breed}_{i}.jpg"
            Image.new("RGB", (width, height), (40 * i, 80 * b, 120)).save(root / relative, "JPEG")
            sizes[relative] = (width, height)
    return Images(root, sizes)
