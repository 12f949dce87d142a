"""DataChain 0.62's typing helpers, FileError and to_pytorch, run on small scripts; literal expected values are what
DataChain 0.62 returned for the same scripts (recorded once with `import datachain as dc`)."""

from __future__ import annotations

import pickle
import typing
from datetime import datetime

import pytest
from pydantic import BaseModel

import dagster_datachain as dc


class Pt(dc.DataModel):
    x: int
    y: float


# ----------------------------------------------------------------------------- FileError


def test_file_error_text_and_fields():
    error = dc.FileError("boom", "s3://b", "k.txt")
    assert str(error) == "Error in file 's3://b/k.txt': boom"  # DataChain 0.62
    assert (error.message, error.source, error.path) == ("boom", "s3://b", "k.txt")  # DataChain 0.62
    assert isinstance(error, dc.DataChainError) and isinstance(error, dc.StorageError)  # `except StorageError` holds
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is dc.FileError and str(again) == str(error)


def one_file(folder) -> dc.File:
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (file,) = dc.read_storage(str(folder)).to_values("file")
    return file


def test_refused_path_raises_file_error(tmp_path, memory):
    file = one_file(tmp_path / "data")
    outside = file.model_copy(update={"path": "../x"})
    with pytest.raises(dc.FileError) as failed:  # DataChain 0.62: FileError for a path with '..'
        outside.read()
    assert failed.value.path == "../x" and str(failed.value).startswith(f"Error in file '{file.source}/../x'")


def test_missing_file_is_file_not_found(tmp_path, memory):
    file = one_file(tmp_path / "data")
    (tmp_path / "data" / "a.txt").unlink()
    with pytest.raises(FileNotFoundError) as failed:  # DataChain 0.62: FileNotFoundError
        file.read()
    assert isinstance(failed.value, dc.FileError) and "not found" in str(failed.value)
    assert type(pickle.loads(pickle.dumps(failed.value))) is type(failed.value)


def test_image_get_info_and_file_error(images, memory):
    def info(file: dc.ImageFile) -> dc.Image:
        return file.get_info()

    chain = dc.read_storage(str(images.root), type="image").map(info=info)
    infos = {f.path: i for f, i in chain.to_list("file", "info")}
    for path, info in infos.items():
        assert (info.width, info.height, info.format) == (*images.sizes[path], "JPEG")
    assert chain.schema["info"] is dc.Image
    (images.root / "broken.jpg").write_bytes(b"not an image")
    broken = dc.ImageFile(source=images.root.as_uri(), path="broken.jpg")
    with pytest.raises(dc.FileError, match="unable to open image file"):  # DataChain 0.62's message
        broken.get_info()


def test_file_name_parts_and_views():
    file = dc.File(path="a/b/c.tar.gz")
    assert (file.get_file_stem(), file.get_file_ext(), file.get_file_suffix()) == ("c.tar", "gz", ".gz")
    assert (file.parent, dc.File(path="c").parent) == ("a/b", ".")  # DataChain 0.62
    assert type(file.as_audio_file()) is dc.AudioFile and file.as_audio_file().path == file.path
    assert type(file.as_video_file()) is dc.VideoFile
    assert type(file.as_image_file()) is dc.ImageFile and type(file.as_text_file()) is dc.TextFile


# ----------------------------------------------------------------------------- typing helpers


def test_data_chain_schema(memory):
    schema = dc.read_values(n=[1], pt=[Pt(x=1, y=2.0)]).schema
    assert isinstance(schema, dc.DataChainSchema) and isinstance(schema, dict)
    assert list(schema) == ["n", "pt"] and schema["pt"] is Pt
    assert list(schema.flatten()) == ["n", "pt.x", "pt.y"]  # DataChain 0.62
    assert str(schema) == schema.to_string() == "n: int\npt: Pt\n  x: int\n  y: float"
    assert schema.to_string(indent=4) == "n: int\npt: Pt\n    x: int\n    y: float"
    files = dc.read_values(f=[dc.File(path="a")]).schema
    assert list(files.flatten(include_hidden=False)) == ["f.path", "f.size"]  # DataChain 0.62
    assert len(files.flatten()) == 8


def test_column_expr_and_data_type(memory):
    assert isinstance(dc.C("n"), dc.ColumnExpr) and isinstance(dc.C("n") + 1, dc.ColumnExpr)  # DataChain 0.62
    assert dc.read_values(n=[1, 2]).filter(dc.C("n") > 1).to_values("n") == [2]
    kinds = typing.get_args(dc.DataType)
    assert [typing.get_args(k)[0] for k in kinds] == [BaseModel, int, str, float, bool, list, dict, bytes, datetime]


def test_sys_model():
    assert list(dc.Sys.model_fields) == ["id", "rand"]  # DataChain 0.62
    assert dc.Sys(id=1, rand=2).model_dump() == {"id": 1, "rand": 2}


def test_model_store():
    class Reg(dc.DataModel):
        pt: Pt

    assert dc.ModelStore.get_name(dc.File) == "File@v1"  # DataChain 0.62
    assert dc.ModelStore.get_name(dc.Image) == "Image@v1"  # DataChain 0.62
    assert dc.ModelStore.get_name(dc.AudioFragment) == "AudioFragment@v1"  # DataChain 0.62
    assert dc.ModelStore.get_name(Reg) == "Reg@v1" and dc.ModelStore.get_version(Reg) == 1
    assert dc.ModelStore.parse_name_version("File@v1") == ("File", 1)  # DataChain 0.62
    assert dc.ModelStore.parse_name_version("M") == ("M", 0)  # DataChain 0.62
    dc.ModelStore.register(Reg)
    assert dc.ModelStore.get("Reg") is Reg and dc.ModelStore.get("Reg", 1) is Reg
    assert dc.ModelStore.get("Reg", 2) is None
    assert dc.ModelStore.get("Pt") is Pt  # fields' models are registered too
    assert dc.ModelStore.is_pydantic(Reg) and not dc.ModelStore.is_pydantic(list[int])
    assert dc.ModelStore.to_pydantic(int) is None and dc.ModelStore.is_partial(Reg)  # DataChain 0.62
    dc.ModelStore.remove(Reg)
    assert dc.ModelStore.get("Reg", 1) is None
    assert dc.ModelStore.get("NoSuchModel") is None


# ----------------------------------------------------------------------------- to_pytorch


def test_to_pytorch(images, memory):
    torch = pytest.importorskip("torch", reason="to_pytorch needs the optional 'torch' package")
    from torch.utils.data import DataLoader

    chain = dc.read_storage(str(images.root), type="image").map(label=lambda file: images.breed(file.path))
    chain = chain.select("file", "label").order_by("file.path")
    rows = list(chain.to_pytorch())
    assert [label for _, label in rows] == sorted(images.breed(p) for p in images.sizes)
    sizes = sorted(images.sizes.items())
    for (tensor, _), (_, (width, height)) in zip(rows, sizes, strict=True):
        assert tensor.dtype == torch.float32 and tuple(tensor.shape) == (3, height, width)
        assert 0.0 <= float(tensor.min()) and float(tensor.max()) <= 1.0
    loader = DataLoader(chain.to_pytorch(transform=lambda image: torch.tensor(image.size)), batch_size=4,
                        num_workers=2)
    batches = list(loader)
    assert sum(len(b[1]) for b in batches) == len(images.sizes)  # each row once across both workers
    seen = sorted(tuple(t.tolist()) for b in batches for t in b[0])
    assert seen == sorted(images.sizes.values())
    assert len(list(chain.to_pytorch(num_samples=3))) == 3


def test_to_pytorch_tokenizer(memory):
    torch = pytest.importorskip("torch", reason="to_pytorch needs the optional 'torch' package")
    chain = dc.read_values(text=["a b", "c"], n=[1, 2]).order_by("n")
    rows = list(chain.to_pytorch(tokenizer=lambda texts: [[len(w) for w in t.split()] for t in texts]))
    assert [r[0].tolist() for r in rows] == [[1, 1], [1]] and isinstance(rows[0][0], torch.Tensor)
    assert [r[1] for r in rows] == [1, 2]
