"""What `show()` and `print_schema()` print."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pydantic import BaseModel, Field

import dagster_datachain as dc
from dagster_datachain import C


class ImageInfo(BaseModel):
    width: int
    height: int


class Detection(BaseModel):
    label: str = Field(description="What was found")
    score: float
    box: ImageInfo
    tags: list[str]


def get_info(file: dc.File) -> ImageInfo:
    image = Image.open(io.BytesIO(file.read()))
    return ImageInfo(width=image.width, height=image.height)


FILE_HIDDEN = ["source", "version", "etag", "is_latest", "last_modified", "location"]


@pytest.fixture
def pets(images):
    return dc.read_storage(f"{images.root}/**/*.jpg").map(info=get_info).save("pets_images")


def test_show_has_a_two_level_header_and_notes_the_limit(pets, images, capsys):
    pets.show(5)
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    top, second = lines[0].split(), lines[1].split()
    assert top == ["file", "file", "info", "info"]
    assert second == ["path", "size", "width", "height"]
    body = lines[2:7]
    assert [int(line.split()[0]) for line in body] == list(range(5))
    expected_paths = sorted(images.sizes)[:5]
    for line, path in zip(body, expected_paths, strict=True):
        cells = line.split()
        width, height = images.sizes[path]
        assert cells[1:] == [path, str((images.root / path).stat().st_size), str(width), str(height)]
    assert lines[-1] == "[Limited by 5 rows]"
    assert lines[-2] == ""
    assert len(lines) == 2 + 5 + 2


def test_show_hides_file_internals_unless_asked(pets, capsys):
    pets.show(3)
    out = capsys.readouterr().out
    for hidden in FILE_HIDDEN:
        assert hidden not in out
    pets.show(3, include_hidden=True)
    out = capsys.readouterr().out
    for field in FILE_HIDDEN:
        assert field in out


def test_show_without_a_limit_note_when_everything_fits(images, capsys):
    chain = dc.read_storage(images.root)
    chain.show(len(images.sizes))
    out = capsys.readouterr().out
    assert "Limited by" not in out
    assert len(out.rstrip("\n").splitlines()) == 2 + len(images.sizes)
    chain.show(len(images.sizes) - 1)
    assert capsys.readouterr().out.rstrip("\n").endswith(f"[Limited by {len(images.sizes) - 1} rows]")


def test_show_flat_and_plain_columns(memory, capsys):
    infos = [ImageInfo(width=10 * i, height=i) for i in range(4)]
    chain = dc.read_values(n=list(range(4)), info=infos)
    chain.show(flatten=True)
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert lines[0].split() == ["n", "info.width", "info.height"]
    assert [line.split() for line in lines[1:]] == [[str(i), str(i), str(10 * i), str(i)] for i in range(4)]
    dc.read_values(word=["alpha", "beta"]).filter(C("word") != "beta").show()
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert [line.split() for line in lines] == [["word"], ["0", "alpha"]]


def test_print_schema_of_files_and_a_user_model(pets, capsys):
    pets.print_schema()
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert lines == [
        "file: File@v1",
        "  source: str",
        "  path: str",
        "  size: int",
        "  version: str",
        "  etag: str",
        "  is_latest: bool",
        "  last_modified: datetime",
        "  location: Union[dict, list[dict], NoneType]",
        "info: ImageInfo",
        "  width: int",
        "  height: int",
    ]


def test_print_schema_nests_models_and_lists(memory, capsys):
    detection = Detection(label="dog", score=0.9, box=ImageInfo(width=1, height=2), tags=["a"])
    dc.read_values(id=[1], det=[detection], emb=[[0.5, 0.25]]).print_schema()
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert lines == [
        "id: int",
        "det: Detection",
        "  label: str",
        "  score: float",
        "  box: ImageInfo",
        "    width: int",
        "    height: int",
        "  tags: list[str]",
        "emb: list[float]",
    ]


def test_print_schema_of_image_files(images, capsys):
    dc.read_storage(images.root, type="image").select("file").print_schema()
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "file: ImageFile@v1"
    assert "  path: str" in out.splitlines()
    dc.read_storage(images.root, type="text").print_schema()
    assert capsys.readouterr().out.splitlines()[0] == "file: TextFile@v1"
