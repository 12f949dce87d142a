"""`read_hf` on Hugging Face datasets made here (no network): values, class labels, images, nested features,
splits, `limit`, `column=` and a local file loaded by `datasets.load_dataset`."""

from __future__ import annotations

import pytest
from PIL import Image

import dagster_datachain as dc
from dagster_datachain.chain.hf import HFClassLabel, HFImage

datasets = pytest.importorskip("datasets", reason="read_hf needs the optional 'datasets' package")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def pets() -> datasets.Dataset:
    features = datasets.Features({"Pet Name": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["cat", "dog"]),
                                  "weight": datasets.Value("float32"), "tags": datasets.List(datasets.Value("string")),
                                  "pos": {"x": datasets.Value("int64"), "y": datasets.Value("string")}})
    return datasets.Dataset.from_dict({"Pet Name": ["Tom", "Rex", "Kit"], "label": [0, 1, 0],
                                       "weight": [4.5, 30.0, None], "tags": [["a"], ["b", "c"], []],
                                       "pos": [{"x": 1, "y": "p"}, {"x": 2, "y": "q"}, {"x": 3, "y": "r"}]},
                                      features=features)


def test_read_hf_dataset(memory):
    chain = dc.read_hf(pets())
    assert list(chain.schema) == ["pet_name", "label", "weight", "tags", "pos"]  # names normalized as DataChain
    assert chain.schema["label"] is HFClassLabel
    rows = chain.to_list("pet_name", "label", "weight", "tags", "pos.x")
    assert rows == [("Tom", HFClassLabel(string="cat", integer=0), 4.5, ["a"], 1),
                    ("Rex", HFClassLabel(string="dog", integer=1), 30.0, ["b", "c"], 2),
                    ("Kit", HFClassLabel(string="cat", integer=0), None, [], 3)]
    assert chain.filter(dc.C("label.string") == "dog").to_values("pet_name") == ["Rex"]
    assert list(dc.read_hf(pets(), column="pet").schema) == ["pet"]


def test_read_hf_splits_and_limit(memory):
    splits = datasets.DatasetDict(train=pets(), test=pets().select([2]))
    chain = dc.read_hf(splits, limit=2)
    assert list(chain.schema)[0] == "split"
    assert chain.to_list("split", "pet_name") == [("train", "Tom"), ("train", "Rex"), ("test", "Kit")]


def test_read_hf_images(memory):
    images = datasets.Dataset.from_dict({"image": [Image.new("RGB", (5, 4), (9, 9, 9))]},
                                        features=datasets.Features({"image": datasets.Image()}))
    (image,) = dc.read_hf(images).to_values("image")
    assert isinstance(image, HFImage) and image.read().size == (5, 4)


def test_read_hf_arrays(memory):
    grid = datasets.Features({"m": datasets.Array2D(shape=(2, 2), dtype="int32")})
    chain = dc.read_hf(datasets.Dataset.from_dict({"m": [[[1, 2], [3, 4]]]}, features=grid))
    assert chain.schema["m"] == list[list[int]] and chain.to_values("m") == [[[1, 2], [3, 4]]]


def test_read_hf_local_files(tmp_path, memory):
    (tmp_path / "t.csv").write_text("a,B c\n1,x\n2,y\n")
    chain = dc.read_hf("csv", data_files=str(tmp_path / "t.csv"), split="train", cache_dir=str(tmp_path / "hf"))
    assert chain.to_list() == [(1, "x"), (2, "y")] and list(chain.schema) == ["a", "b_c"]
