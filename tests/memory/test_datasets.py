"""Datasets in Data Memory: versions, reading a version back, deletion, names, and what each version records."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from pydantic import BaseModel

import dagster_datachain as dc
from dagster_datachain import C
from dagster_datachain.memory.catalog import list_versions


def versions(memory, name=None):
    with memory.connect() as con:
        return list_versions(con, name)


def version_names(memory, name):
    return [v.version for v in versions(memory, name)]


def catalog_state(memory):
    with memory.connect() as con:
        tables = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        rows = con.execute("SELECT name, version, row_count FROM dc_versions ORDER BY ALL").fetchall()
    return tables, rows


# ============================================================================ versions


def test_first_save_is_1_0_0_and_changes_bump_patch(memory):
    saved = dc.read_values(n=[1, 2]).save("nums")
    assert version_names(memory, "nums") == ["1.0.0"]
    assert saved.to_values("n") == [1, 2]
    dc.read_values(n=[1, 2, 3]).save("nums")
    dc.read_values(n=[7]).save("nums")
    assert version_names(memory, "nums") == ["1.0.0", "1.0.1", "1.0.2"]
    assert dc.read_dataset("nums").to_values("n") == [7]


def test_schema_change_bumps_minor(memory):
    dc.read_values(n=[1, 2]).save("nums")
    dc.read_values(n=[1, 2], s=["a", "b"]).save("nums")
    assert version_names(memory, "nums") == ["1.0.0", "1.1.0"]
    dc.read_values(n=[1, 2, 3], s=["a", "b", "c"]).save("nums")
    dc.read_values(n=[0.5]).save("nums")
    assert version_names(memory, "nums") == ["1.0.0", "1.1.0", "1.1.1", "1.2.0"]
    assert dc.read_dataset("nums@1.1.0").column_names == ["n", "s"]
    assert dc.read_dataset("nums").column_names == ["n"]


def test_code_change_bumps_minor(memory):
    def score(n: int) -> int:
        return n

    dc.read_values(n=[1, 2]).map(s=score).save("scores")

    def score(n: int) -> int:  # noqa: F811 - the user edits the UDF
        return n * 10

    dc.read_values(n=[1, 2]).map(s=score).save("scores")
    assert version_names(memory, "scores") == ["1.0.0", "1.1.0"]


def test_update_version_major_and_minor(memory):
    dc.read_values(n=[1]).save("nums")
    dc.read_values(n=[2]).save("nums", update_version="major")
    dc.read_values(n=[3]).save("nums", update_version="minor")
    dc.read_values(n=[4]).save("nums", update_version="patch")
    dc.read_values(n=[5]).save("nums", update_version="minor")
    assert version_names(memory, "nums") == ["1.0.0", "2.0.0", "2.1.0", "2.1.1", "2.2.0"]
    assert dc.read_dataset("nums", version="2.1.1").to_values("n") == [4]


def test_explicit_version(memory):
    dc.read_values(n=[1]).save("nums", version="0.3.0")
    dc.read_values(n=[2]).save("nums", version="5.0.7")
    dc.read_values(n=[3]).save("nums")
    assert version_names(memory, "nums") == ["0.3.0", "5.0.7", "5.0.8"]
    dc.read_values(n=[4]).save("nums", version="1.0.0")
    assert version_names(memory, "nums") == ["0.3.0", "1.0.0", "5.0.7", "5.0.8"]
    assert dc.read_dataset("nums").to_values("n") == [3]
    with pytest.raises(dc.InvalidDatasetNameError, match="MAJOR.MINOR.PATCH"):
        dc.read_values(n=[5]).save("nums", version="v2")


def test_saving_an_existing_version_is_refused(memory):
    dc.read_values(n=[1, 2]).save("nums")
    before = catalog_state(memory)
    with pytest.raises(dc.DatasetVersionExistsError, match="nums@1.0.0"):
        dc.read_values(n=[9, 9, 9]).save("nums", version="1.0.0")
    assert catalog_state(memory) == before
    assert dc.read_dataset("nums@1.0.0").to_values("n") == [1, 2]


def test_read_dataset_by_version(memory):
    contents = {"1.0.0": ["a"], "1.0.1": ["a", "b"], "1.0.2": ["c"]}
    for words in contents.values():
        dc.read_values(w=words).save("words")
    for version, words in contents.items():
        assert dc.read_dataset(f"words@{version}").to_values("w") == words
        assert dc.read_dataset("words", version=version).to_values("w") == words
        assert dc.read_dataset(f"words@{version}", version=version).count() == len(words)
    assert dc.read_dataset("words").to_values("w") == contents["1.0.2"]
    with pytest.raises(dc.InvalidDatasetNameError, match="disagree"):
        dc.read_dataset("words@1.0.0", version="1.0.1")


def test_versions_read_after_later_saves_keep_their_rows(memory):
    v1 = dc.read_values(n=list(range(5))).save("nums")
    dc.read_values(n=list(range(3, 8))).save("nums")
    dc.read_dataset("nums").filter(C("n") > 5).save("nums")
    assert v1.to_values("n") == list(range(5))
    assert dc.read_dataset("nums@1.0.1").to_values("n") == list(range(3, 8))
    assert dc.read_dataset("nums@1.1.0").to_values("n") == [6, 7]  # other code (a filter): a MINOR bump


def test_models_come_back_from_a_saved_dataset(memory):
    class Pet(BaseModel):
        name: str
        legs: int

    pets = [Pet(name="rex", legs=4), Pet(name="tweety", legs=2)]
    dc.read_values(pet=pets).save("pets")
    assert list(dc.read_dataset("pets").collect("pet")) == pets
    assert dc.read_dataset("pets").filter(C("pet.legs") > 2).count() == 1


# ============================================================================ deletion


def test_delete_one_version_keeps_the_others(memory):
    for n in range(3):
        dc.read_values(n=[n] * (n + 1)).save("nums")
    assert dc.delete_dataset("nums", version="1.0.1") == 1
    assert version_names(memory, "nums") == ["1.0.0", "1.0.2"]
    assert dc.read_dataset("nums@1.0.0").to_values("n") == [0]
    assert dc.read_dataset("nums@1.0.2").to_values("n") == [2, 2, 2]
    with pytest.raises(dc.DatasetVersionNotFoundError):
        dc.read_dataset("nums@1.0.1")
    assert dc.delete_dataset("nums@1.0.2") == 1
    assert dc.read_dataset("nums").to_values("n") == [0]


def test_delete_all_versions(memory):
    for n in range(3):
        dc.read_values(n=[n]).save("nums")
    dc.read_values(s=["x"]).save("nums")
    dc.read_values(n=[1]).save("other")
    tables_before = catalog_state(memory)[0]
    assert dc.delete_dataset("nums", force=True) == 4
    with pytest.raises(dc.DatasetNotFoundError):
        dc.read_dataset("nums")
    assert [v.name for v in versions(memory)] == ["other"]
    assert dc.read_dataset("other").to_values("n") == [1]
    tables_after = catalog_state(memory)[0]
    assert [t for t in tables_before if t.startswith("ds_nums")]
    assert not [t for t in tables_after if t.startswith("ds_nums")]
    dc.read_values(n=[5]).save("nums")
    assert version_names(memory, "nums") == ["1.0.0"]


def test_delete_missing_dataset_or_version_raises(memory):
    with pytest.raises(dc.DatasetNotFoundError):
        dc.delete_dataset("ghost")
    dc.read_values(n=[1]).save("nums")
    with pytest.raises(dc.DatasetVersionNotFoundError):
        dc.delete_dataset("nums", version="3.0.0")
    assert version_names(memory, "nums") == ["1.0.0"]


# ============================================================================ names and not-found errors


@pytest.mark.parametrize("bad", ["../x", "a/b", "a\\b", "a@b@c", "..", "", "/abs", "sp ace"])
def test_invalid_names_are_refused_and_change_nothing(memory, tmp_path, bad):
    dc.read_values(n=[1]).save("ok")
    before = catalog_state(memory)
    files_before = sorted(p for p in tmp_path.rglob("*") if "dm" not in p.parts)
    with pytest.raises(dc.InvalidDatasetNameError):
        dc.read_values(n=[1, 2]).save(bad)
    with pytest.raises(dc.InvalidDatasetNameError):
        dc.read_values(n=[1, 2]).save(bad, version="1.0.0")
    with pytest.raises(dc.InvalidDatasetNameError):
        dc.read_dataset(bad)
    with pytest.raises(dc.InvalidDatasetNameError):
        dc.delete_dataset(bad)
    assert catalog_state(memory) == before
    assert sorted(p for p in tmp_path.rglob("*") if "dm" not in p.parts) == files_before
    assert not (tmp_path / "x").exists()


def test_missing_dataset_and_version_errors(memory):
    with pytest.raises(dc.DatasetNotFoundError, match="'ghost'"):
        dc.read_dataset("ghost")
    dc.read_values(n=[1]).save("nums")
    dc.read_values(n=[2]).save("nums")
    with pytest.raises(dc.DatasetVersionNotFoundError) as info:
        dc.read_dataset("nums@2.0.0")
    assert "2.0.0" in str(info.value)
    assert "1.0.0" in str(info.value) and "1.0.1" in str(info.value)
    assert isinstance(info.value, dc.DatasetNotFoundError)


def test_errors_share_one_base_class():
    for error in (dc.InvalidDatasetNameError, dc.DatasetNotFoundError, dc.DatasetVersionNotFoundError,
                  dc.DatasetVersionExistsError, dc.ColumnNotFoundError, dc.SchemaError, dc.UDFError,
                  dc.StorageError):
        assert issubclass(error, dc.DataChainError)


# ============================================================================ what a version records


class ImageInfo(BaseModel):
    width: int
    height: int


def get_info(file: dc.File) -> ImageInfo:
    image = Image.open(io.BytesIO(file.read()))
    return ImageInfo(width=image.width, height=image.height)


def test_version_records_schema_rows_time_code_and_lineage(images, memory):
    started = datetime.now(UTC)
    dc.read_storage(f"{images.root}/**/*.jpg").map(info=get_info).save("pets_images")
    dc.read_dataset("pets_images").filter(C("info.width") > 100).save("wide_pets")
    finished = datetime.now(UTC)

    (pets,) = versions(memory, "pets_images")
    assert list(pets.dataset_schema) == ["file", "info"]
    assert pets.dataset_schema["file"].label() == "File@v1"
    assert pets.dataset_schema["info"].name == "ImageInfo"
    assert set(pets.dataset_schema["info"].fields) == {"width", "height"}
    assert pets.row_count == len(images.sizes)
    assert started <= pets.created_at <= finished
    assert pets.code_hash
    assert [(e.kind, e.name) for e in pets.lineage] == [("listing", images.root.as_uri() + "/")]

    (wide,) = versions(memory, "wide_pets")
    assert wide.row_count == sum(1 for w, _ in images.sizes.values() if w > 100)
    assert [(e.kind, e.name, e.version) for e in wide.lineage] == [("dataset", "pets_images", "1.0.0")]
    assert pets.created_at <= wide.created_at
    assert wide.code_hash != pets.code_hash


def test_lineage_follows_merged_datasets_with_their_versions(memory):
    dc.read_values(id=[1, 2]).save("left")
    dc.read_values(id=[1], tag=["x"]).save("right")
    dc.read_values(id=[2], tag=["y"]).save("right")
    merged = dc.read_dataset("left").merge(dc.read_dataset("right@1.0.0"), on="id")
    merged.save("joined")
    (joined,) = versions(memory, "joined")
    assert sorted((e.kind, e.name, e.version) for e in joined.lineage) == [
        ("dataset", "left", "1.0.0"), ("dataset", "right", "1.0.0"),
    ]  # fmt: skip
    assert sorted(dc.read_dataset("joined").to_list()) == [(1, 1, "x"), (2, None, None)]


def test_code_hash_follows_the_udf_code(memory):
    def f(n: int) -> int:
        return n

    def g(n: int) -> int:
        return n + 1

    dc.read_values(n=[1]).map(x=f).save("a")
    dc.read_values(n=[1]).map(x=g).save("b")
    dc.read_values(n=[1]).save("c")
    hashes = {v.name: v.code_hash for v in versions(memory)}
    assert hashes["a"] != hashes["b"]
    assert len(set(hashes.values())) == 3


def test_description_is_recorded_and_kept(memory):
    dc.read_values(n=[1]).save("nums", description="small numbers")
    dc.read_values(n=[2]).save("nums")
    assert [v.description for v in versions(memory, "nums")] == ["small numbers", "small numbers"]
    infos = dc.datasets(column="dataset").to_values("dataset")
    assert [i.description for i in infos] == ["small numbers", "small numbers"]
