"""What a dataset page says: keys worth joining on (never sizes or widths) and a preview in the chain's order."""

from __future__ import annotations

import dagster_datachain as dc


def section(page: str, title: str) -> str:
    return page.split(f"## {title}")[1].split("\n## ")[0]


def test_joinable_columns_are_keys_not_measurements(memory, tmp_path):
    dc.read_values(pet_id=[1, 2], name=["rex", "tom"], width=[10, 20], score=[0.5, 0.7]).save("pets")
    dc.read_values(pet_id=[1], name=["rex"], width=[10], score=[0.5]).save("visits")
    dc.build_knowledge_base(tmp_path / "kb")
    joins = section((tmp_path / "kb" / "datasets" / "pets.md").read_text(), "Joinable columns")
    assert "`pet_id` (int) with [[visits]]" in joins and "`name` (str) with [[visits]]" in joins
    assert "width" not in joins and "score" not in joins


def test_preview_keeps_the_order_the_chain_saved(memory, tmp_path):
    distances = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2]
    dc.read_values(name=[f"img{i}" for i in range(6)], dist=distances).order_by("dist").limit(3).save("nearest")
    dc.read_values(name=["b", "a", "c"]).order_by("name", descending=True).save("names")
    dc.build_knowledge_base(tmp_path / "kb")

    def preview_rows(page: str) -> list[str]:
        rows = section((tmp_path / "kb" / "datasets" / page).read_text(), "Preview")
        return [line.split(" | ")[0].strip("| ") for line in rows.splitlines() if line.startswith("| ")][2:]

    assert preview_rows("nearest.md") == ["img1", "img5", "img3"]
    assert preview_rows("names.md") == ["c", "b", "a"]


def test_bucket_pages_are_named_by_bucket_like_the_dagster_asset_keys(memory, tmp_path, images):
    from dagster_datachain.sensors import bucket_key

    dc.read_storage(images.root).save("files")
    dc.build_knowledge_base(tmp_path / "kb")
    [page] = (tmp_path / "kb" / "buckets").glob("**/*.md")
    relative = page.relative_to(tmp_path / "kb" / "buckets").with_suffix("").parts
    assert ["bucket", *relative] == bucket_key(str(images.root)).path
    assert str(images.root.parent.parent).strip("/").split("/")[0] not in relative  # no checkout path
