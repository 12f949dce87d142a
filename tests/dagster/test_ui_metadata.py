"""What the Dagster UI shows of a dataset materialization: a clickable Knowledge Base link, a typed preview with
vectors shortened, image thumbnails, the version, lineage as links, all under `dagster_datachain/` keys."""

import base64
import io
import re

import dagster as dg
from PIL import Image

import dagster_datachain as dc


def embed(file: dc.File) -> list[float]:
    return [float(len(file.path) + i) for i in range(16)]


def test_materialization_metadata_shows_thumbnails_types_version_and_links(memory, tmp_path, images):
    @dc.dataset_asset()
    def photos() -> dc.DataChain:
        return dc.read_storage(f"{images.root}/**/*.jpg", type="image").map(emb=embed)

    @dc.dataset_asset()
    def wide_photos(photos: dc.DataChain) -> dc.DataChain:
        return photos.filter(dc.C("file.size") > 0)

    kb = tmp_path / "kb"
    with dg.instance_for_test() as instance:
        assert dg.materialize([photos, wide_photos], instance=instance, resources=dc.datachain_resources(
            root=str(memory.root), knowledge_base=str(kb))).success
        first = instance.get_latest_materialization_event(dg.AssetKey("photos")).asset_materialization
        second = instance.get_latest_materialization_event(dg.AssetKey("wide_photos")).asset_materialization
    metadata = first.metadata
    assert all(key.startswith(("dagster/", "dagster_datachain/")) for key in metadata)
    assert metadata["dagster_datachain/version"].value == "1.0.0"

    page = metadata["dagster_datachain/knowledge_base_page"]
    assert isinstance(page, dg.UrlMetadataValue) and page.url == (kb / "datasets" / "photos.md").resolve().as_uri()
    assert (kb / "datasets" / "photos.md").exists()

    preview = metadata["dagster_datachain/preview"].value
    types = {column.name: column.type for column in preview.schema.columns}
    assert types["file.size"] == "int" and types["emb"] == "list[float]"
    row = preview.records[0].data
    assert isinstance(row["file.size"], int) and re.fullmatch(r"\[[^\]]+, … 16 values\]", row["emb"])

    sheet = metadata["dagster_datachain/thumbnails"].value
    uris = re.findall(r"\(data:image/jpeg;base64,([A-Za-z0-9+/=]+)\)", sheet)
    assert 1 <= len(uris) <= 4 and len(sheet) < 4 * 4096
    for uri in uris:
        with Image.open(io.BytesIO(base64.b64decode(uri))) as thumbnail:
            assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 64

    assert "wide_photos" not in str(metadata["dagster_datachain/lineage"].value)
    assert "[photos@1.0.0](/assets/photos)" in second.metadata["dagster_datachain/lineage"].value
    assert "dagster_datachain/thumbnails" in second.metadata  # files carried downstream still show


def test_no_thumbnails_without_image_files(memory, tmp_path):
    @dc.dataset_asset()
    def numbers() -> dc.DataChain:
        return dc.read_values(n=[1, 2, 3])

    with dg.instance_for_test() as instance:
        assert dg.materialize([numbers], instance=instance, resources=dc.datachain_resources(
            root=str(memory.root), knowledge_base=None)).success
        metadata = instance.get_latest_materialization_event(dg.AssetKey("numbers")).asset_materialization.metadata
    assert "dagster_datachain/thumbnails" not in metadata and "dagster_datachain/knowledge_base_page" not in metadata
    assert metadata["dagster_datachain/lineage"].value == "no inputs"
