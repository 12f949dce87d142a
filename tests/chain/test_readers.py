"""Where chains start: in-memory values, table files, saved datasets and storage listings."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from pydantic import BaseModel

import dagster_datachain as dc
from dagster_datachain import C

# ============================================================================ read_values, read_pandas


class Point(BaseModel):
    x: int
    y: float


def test_read_values_columns_and_types(memory):
    when = [datetime(2024, 1, d, 12, tzinfo=UTC) for d in (1, 2, 3)]
    chain = dc.read_values(n=[1, 2, 3], s=["a", "b", None], f=[0.5, 1.5, 2.5], ok=[True, False, True], at=when,
                           vec=[[1.0, 2.0], [3.0], []], pt=[Point(x=i, y=i / 2) for i in range(3)])
    assert chain.column_names == ["n", "s", "f", "ok", "at", "vec", "pt"]
    rows = chain.to_list()
    assert [r[:5] for r in rows] == [(1, "a", 0.5, True, when[0]), (2, "b", 1.5, False, when[1]),
                                     (3, None, 2.5, True, when[2])]
    assert [r[5] for r in rows] == [[1.0, 2.0], [3.0], []]
    assert [r[6] for r in rows] == [Point(x=i, y=i / 2) for i in range(3)]
    assert chain.filter(C("pt.y") >= 0.5).to_values("n") == [2, 3]


def test_read_values_needs_columns_of_equal_length(memory):
    with pytest.raises(dc.DataChainError, match="differ in length"):
        dc.read_values(a=[1, 2], b=[1])
    with pytest.raises(dc.DataChainError, match="at least one column"):
        dc.read_values()


def test_read_pandas_round_trip(memory):
    df = pd.DataFrame({"city": ["Oslo", "Rome", "Lima"], "pop": [709_000, 2_873_000, 10_000_000],
                       "area": [454.0, 1285.0, 2672.3]})
    chain = dc.read_pandas(df)
    assert chain.column_names == list(df.columns)
    assert chain.filter(C("pop") > 1_000_000).to_values("city") == df[df["pop"] > 1_000_000]["city"].tolist()
    pd.testing.assert_frame_equal(chain.to_pandas(), df, check_dtype=False)


# ============================================================================ table files


def test_read_csv(memory, tmp_path):
    rows = [(1, "cat", 2.5), (2, "dog", 3.0), (3, "fox", 0.25)]
    path = tmp_path / "animals.csv"
    path.write_text("id,animal,weight\n" + "".join(f"{i},{a},{w}\n" for i, a, w in rows))
    chain = dc.read_csv(path)
    assert chain.column_names == ["id", "animal", "weight"]
    assert chain.to_list() == rows
    assert chain.filter(C("weight") > 1).count() == sum(1 for r in rows if r[2] > 1)


def test_read_csv_options_and_globs(memory, tmp_path):
    for part in range(3):
        (tmp_path / f"part-{part}.csv").write_text("k;v\n" + "".join(f"p{part}-{i};{i}\n" for i in range(4)))
    chain = dc.read_csv(str(tmp_path / "part-*.csv"), delimiter=";")
    assert chain.column_names == ["k", "v"]
    assert sorted(chain.to_list()) == sorted((f"p{p}-{i}", i) for p in range(3) for i in range(4))


def test_read_parquet_keeps_nested_columns(memory, tmp_path):
    table = pa.table({
        "id": [1, 2, 3],
        "meta": [{"w": 10, "tag": "a"}, {"w": 20, "tag": "b"}, {"w": 30, "tag": "c"}],
        "emb": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
    })  # fmt: skip
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    chain = dc.read_parquet(path)
    assert chain.column_names == ["id", "meta", "emb"]
    assert chain.filter(C("meta.w") > 15).to_values("id") == [2, 3]
    assert chain.to_pyarrow().column("meta").to_pylist() == table.column("meta").to_pylist()


def test_read_json_lines_and_arrays(memory, tmp_path):
    records = [{"name": "a", "n": 1, "pos": {"x": 1, "y": 2}}, {"name": "b", "n": 2, "pos": {"x": 3, "y": 4}}]
    lines = tmp_path / "rows.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    array = tmp_path / "rows.json"
    array.write_text(json.dumps(records))
    for path in (lines, array):
        chain = dc.read_json(path)
        assert chain.to_values("name") == [r["name"] for r in records]
        assert chain.filter(C("pos.y") > 2).to_values("n") == [r["n"] for r in records if r["pos"]["y"] > 2]


def test_read_missing_table_file_raises_storage_error(memory, tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(dc.StorageError, match="nope.csv") as info:
        dc.read_csv(missing)
    assert info.value.uri == str(missing)


# ============================================================================ datasets()


def test_datasets_lists_every_saved_version(memory):
    assert dc.datasets().count() == 0
    dc.read_values(n=[1, 2, 3]).save("numbers")
    dc.read_values(n=[1, 2, 3, 4]).save("numbers")
    dc.read_values(w=["x"]).save("words")
    infos = list(dc.datasets(column="dataset").collect("dataset"))
    assert [(i.name, i.version, i.row_count) for i in infos] == [
        ("numbers", "1.0.0", 3), ("numbers", "1.0.1", 4), ("words", "1.0.0", 1),
    ]  # fmt: skip
    latest = dc.datasets(column="dataset", latest_only=True).to_values("dataset")
    assert [(i.name, i.version) for i in latest] == [("numbers", "1.0.1"), ("words", "1.0.0")]
    assert dc.datasets().filter(C("name") == "words").count() == 1


def test_datasets_of_an_explicit_memory(tmp_path, memory):
    other = dc.Memory(tmp_path / "other-dm")
    dc.read_values(n=[1], memory=other).save("elsewhere")
    assert dc.datasets().count() == 0
    assert dc.datasets(memory=other).to_values("name") == ["elsewhere"]
    assert dc.read_dataset("elsewhere", memory=tmp_path / "other-dm").to_values("n") == [1]


# ============================================================================ read_storage


def listed_paths(chain):
    return sorted(f.path for f in chain.to_values("file"))


def test_read_storage_local_path_and_file_uri(images):
    by_path = dc.read_storage(images.root)
    by_str = dc.read_storage(str(images.root) + "/")
    by_uri = dc.read_storage(images.root.as_uri())
    for chain in (by_path, by_str, by_uri):
        assert listed_paths(chain) == sorted(images.sizes)
    sources = {f.source for f in by_uri.to_values("file")}
    assert sources == {images.root.as_uri()}


def test_read_storage_relative_path(images, monkeypatch):
    monkeypatch.chdir(images.root.parent)
    assert listed_paths(dc.read_storage("images/dogs")) == sorted(
        p.removeprefix("dogs/") for p in images.sizes if p.startswith("dogs/")
    )


@pytest.mark.parametrize(
    ("pattern", "keep"),
    [
        ("**/*.jpg", lambda p: True),
        ("*/*/*.jpg", lambda p: True),
        ("dogs/*/*.jpg", lambda p: p.startswith("dogs/")),
        ("*/shiba_inu/*", lambda p: "/shiba_inu/" in p),
        ("**/*_?.jpg", lambda p: True),
        ("**/cocker_spaniel_[02].jpg", lambda p: p.endswith(("cocker_spaniel_0.jpg", "cocker_spaniel_2.jpg"))),
        ("dogs/cocker_spaniel/cocker_spaniel_?.jpg", lambda p: "cocker_spaniel/" in p),
        ("**/{abyssinian,shiba_inu}_*.jpg", lambda p: "cocker" not in p),
        ("{dogs,cats}/*/*_{1,3}.jpg", lambda p: p.endswith(("_1.jpg", "_3.jpg"))),
        ("*.jpg", lambda p: False),
    ],
)
def test_read_storage_globs(images, pattern, keep):
    chain = dc.read_storage(f"{images.root}/{pattern}")
    prefix = pattern.split("*")[0].split("{")[0].split("?")[0]
    prefix = prefix[: prefix.rfind("/") + 1]
    expected = sorted(p.removeprefix(prefix) for p in images.sizes if keep(p))
    assert listed_paths(chain) == expected


def test_read_storage_double_star_matches_files_at_any_depth(memory, tmp_path):
    for relative in ("top.txt", "a/mid.txt", "a/b/c/deep.txt", "a/skip.csv"):
        (tmp_path / "tree" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tree" / relative).write_text(relative)
    assert listed_paths(dc.read_storage(f"{tmp_path.as_uri()}/tree/**/*.txt")) == [
        "a/b/c/deep.txt", "a/mid.txt", "top.txt",
    ]  # fmt: skip
    assert listed_paths(dc.read_storage(f"{tmp_path}/tree/a/**")) == ["b/c/deep.txt", "mid.txt", "skip.csv"]


def test_read_storage_type_image_gives_pil_images(images):
    chain = dc.read_storage(f"{images.root}/**/*.jpg", type="image")
    assert chain.specs["file"].name == "ImageFile"
    seen = {}
    for file in chain.to_values("file"):
        assert isinstance(file, dc.ImageFile)
        image = file.read()
        assert isinstance(image, Image.Image)
        assert image.format == "JPEG"
        seen[file.path] = image.size
    assert seen == images.sizes


def test_read_storage_type_text_gives_str(memory, tmp_path):
    notes = {"a.md": "# title\n", "sub/b.txt": "þórr ünïcode", "sub/c.txt": ""}
    for relative, text in notes.items():
        (tmp_path / "notes" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "notes" / relative).write_text(text, encoding="utf-8")
    files = dc.read_storage(tmp_path / "notes", type="text").to_values("file")
    assert all(isinstance(f, dc.TextFile) for f in files)
    assert {f.path: f.read() for f in files} == notes


def test_read_storage_rejects_unknown_type(images):
    with pytest.raises(dc.DataChainError, match="type must be one of"):
        dc.read_storage(images.root, type="spreadsheet")


def test_read_storage_missing_folder_raises_storage_error(memory, tmp_path):
    with pytest.raises(dc.StorageError, match="no such directory") as info:
        dc.read_storage(tmp_path / "missing")
    assert info.value.uri == (tmp_path / "missing").as_uri()


def test_file_reading_methods(memory, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    payload = "line one\nline two\n"
    (folder / "doc.txt").write_text(payload)
    (folder / "blob.bin").write_bytes(bytes(range(256)))
    files = {f.path: f for f in dc.read_storage(folder).to_values("file")}

    doc, blob = files["doc.txt"], files["blob.bin"]
    assert doc.read() == payload.encode()
    assert doc.read_text() == payload
    assert blob.read_bytes() == bytes(range(256))
    with doc.open() as handle:
        assert handle.read(4) == b"line"
    with doc.open("r") as handle:
        assert handle.readline() == "line one\n"
    assert doc.get_local_path() == str(folder / "doc.txt")
    assert open(blob.get_local_path(), "rb").read() == bytes(range(256))
    assert doc.name == "doc.txt"
    assert doc.get_uri() == f"{folder.as_uri()}/doc.txt"
    doc.save(tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_text() == payload


def test_file_refuses_paths_that_leave_their_source(memory, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "box").mkdir()
    escaping = dc.File(source=(tmp_path / "box").as_uri(), path="../secret.txt")
    with pytest.raises(dc.StorageError, match="leaves its source"):
        escaping.read()


def test_reading_a_deleted_file_raises_storage_error(memory, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "gone.txt").write_text("x")
    (file,) = dc.read_storage(tmp_path / "d").to_values("file")
    os.remove(tmp_path / "d" / "gone.txt")
    with pytest.raises(dc.StorageError, match="gone.txt"):
        file.read()


def test_file_rows_carry_size_mtime_and_etag(images):
    files = {f.path: f for f in dc.read_storage(images.root).to_values("file")}
    for relative, file in files.items():
        stat = (images.root / relative).stat()
        assert file.size == stat.st_size
        assert file.last_modified.tzinfo is not None
        assert abs(file.last_modified.timestamp() - stat.st_mtime) < 1e-3
        assert file.etag
        assert file.is_latest is True


@pytest.mark.parametrize("as_uri", [False, True])
def test_listing_reuse_never_hides_new_changed_or_deleted_files(images, as_uri):
    where = images.root.as_uri() if as_uri else str(images.root)
    before = {f.path: f for f in dc.read_storage(where).to_values("file")}
    assert sorted(before) == sorted(images.sizes)

    new = "cats/abyssinian/abyssinian_new.jpg"
    Image.new("RGB", (33, 44)).save(images.root / new, "JPEG")
    changed = "dogs/shiba_inu/shiba_inu_0.jpg"
    Image.new("RGB", (500, 400), (1, 2, 3)).save(images.root / changed, "JPEG")
    deleted = "dogs/cocker_spaniel/cocker_spaniel_3.jpg"
    (images.root / deleted).unlink()

    after = {f.path: f for f in dc.read_storage(where, type="image").to_values("file")}
    assert sorted(after) == sorted({*images.sizes, new} - {deleted})
    assert after[new].read().size == (33, 44)
    assert after[changed].size == (images.root / changed).stat().st_size
    assert after[changed].etag != before[changed].etag
    assert after[changed].read().size == (500, 400)
    assert dc.read_storage(f"{where}/**/*.jpg").count() == len(images.sizes)


def test_remote_listing_is_refreshed_with_update(memory):
    fs = fsspec.filesystem("memory")
    bucket = f"bucket-{os.getpid()}-{id(memory)}"
    fs.pipe(f"/{bucket}/pics/a.txt", b"a")
    fs.pipe(f"/{bucket}/pics/sub/b.txt", b"bb")
    try:
        uri = f"memory://{bucket}/pics/"
        first = dc.read_storage(uri)
        assert {(f.path, f.size) for f in first.to_values("file")} == {("pics/a.txt", 1), ("pics/sub/b.txt", 2)}
        assert first.to_values("file")[0].read() == b"a"
        fs.pipe(f"/{bucket}/pics/c.txt", b"ccc")
        refreshed = dc.read_storage(uri, update=True)
        assert sorted(f.path for f in refreshed.to_values("file")) == ["pics/a.txt", "pics/c.txt", "pics/sub/b.txt"]
        assert dc.read_storage(f"memory://{bucket}/pics/*.txt").count() == 2
    finally:
        fs.rm(f"/{bucket}", recursive=True)
