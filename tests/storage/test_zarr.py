"""`read_zarr`: one row per Zarr store under a location, the store's arrays and items read on demand. The stores
are written here with the zarr package itself (v3 and v2), locally and in a bucket on each real store."""

from __future__ import annotations

import numpy as np
import pytest

import dagster_datachain as dc
from dagster_datachain.storage.zarr import ZarrStore

zarr = pytest.importorskip("zarr", reason="read_zarr needs the optional 'zarr' package")


def write_store(location: str, zarr_format: int = 3, **options: object) -> None:
    """A group with a 4x8x8x3 uint8 array whose item n is all 10 * n, and a nested 1-d array."""
    group = zarr.open_group(location, mode="w", zarr_format=zarr_format, storage_options=options or None)
    group.attrs["title"] = "frames"
    images = group.create_array("images", shape=(4, 8, 8, 3), chunks=(1, 8, 8, 3), dtype="uint8")
    images[:] = (np.arange(4, dtype="uint8") * 10).reshape(4, 1, 1, 1)
    group.create_group("sub").create_array("t", shape=(5,), dtype="float32")[:] = np.arange(5)


def arrays(zarr: ZarrStore) -> list[str]:  # noqa: F811 - DataChain's column name
    return zarr.get_info().arrays


def test_read_zarr_local(tmp_path, memory):
    write_store(str(tmp_path / "data" / "a.zarr"))
    write_store(str(tmp_path / "data" / "nested" / "b.zarr"), zarr_format=2)
    (tmp_path / "data" / "notes.txt").write_text("not a store")
    chain = dc.read_zarr(str(tmp_path / "data")).map(arrays=arrays).order_by("zarr.file.path")
    assert chain.to_list("zarr.file.path", "arrays") == [("a.zarr", ["images", "sub/t"]),
                                                         ("nested/b.zarr", ["images", "sub/t"])]
    store = chain.to_values("zarr")[1]
    info = store.get_info()
    assert (info.zarr_format, info.attrs) == (2, {"title": "frames"})
    images = store.get_array("images")
    assert (images.shape, images.chunks, images.dtype) == ([4, 8, 8, 3], [1, 8, 8, 3], "uint8")
    assert float(images.select(2).read().mean()) == 20.0 and images.read().shape == (4, 8, 8, 3)
    assert images.select(3, media="image").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="is not a Zarr array"):
        store.get_array("sub")
    (root,) = dc.read_zarr(str(tmp_path / "data" / "a.zarr")).to_values("zarr")  # the store root itself
    assert root.path == "a.zarr" and root.get_info().arrays == ["images", "sub/t"]


def test_read_zarr_in_a_bucket(bucket):
    if bucket.kind == "file":
        pytest.skip("the local case is test_read_zarr_local")
    write_store(bucket.uri("cubes/c.zarr"), **bucket.options)
    dc.register_storage_options(bucket.uri(), bucket.options)
    (store,) = dc.read_zarr(bucket.uri("cubes/"), update=True, **bucket.options).to_values("zarr")
    assert store.path == "cubes/c.zarr" and store.get_info().arrays == ["images", "sub/t"]
    assert float(store.get_array("images").select(1).read().mean()) == 10.0
