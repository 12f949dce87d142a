"""The Knowledge Base written from a real Data Memory: pages, determinism, deletions, safety, Obsidian links."""

from __future__ import annotations

import obsidiantools.api as otools
import pytest
import yaml

import dagster_datachain as dc
from dagster_datachain.kb.safety import inside, safe_stem, scrub_uri
from dagster_datachain.storage.filesystem import location_key

from .pets import SECRET, area


def pages(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def front_matter(text):
    _, header, _ = text.split("---\n", 2)
    return yaml.safe_load(header)


def bucket_stem(pets):
    return location_key(pets.images.resolve().as_uri())[-1]


# ============================================================================ pages


def test_index_lists_every_bucket_and_dataset_in_lineage_order(pets):
    report = dc.build_knowledge_base(pets.kb)
    assert sorted(report.written) == sorted(pages(pets.kb))
    index = pets.page("index.md")
    bucket = f"[[{bucket_stem(pets)}|{pets.images.resolve().as_uri()}]] · bucket · 12 files"
    lines = [line for line in index.splitlines() if line.startswith("- ")]
    assert lines[0].startswith(f"- {bucket}")
    assert lines[1].startswith("- [[pets_images]] · 1.0.2 · 12 rows · updated ")
    assert lines[2].startswith("- [[pets_area]] · 1.0.0 · 12 rows · updated ")
    assert [line.split(" · ")[0] for line in lines[3:]] == ["- [[labels]]", "- [[numbers]]"]
    assert "scratch" not in index


def test_dataset_page_has_front_matter_schema_versions_lineage_joins_and_preview(pets):
    dc.build_knowledge_base(pets.kb)
    page = pets.page("datasets/pets_images.md")
    assert front_matter(page) == {
        "name": "pets_images", "latest_version": "1.0.2", "versions": ["1.0.0", "1.0.1", "1.0.2"], "rows": 12,
        "updated": front_matter(page)["updated"], "dagster_asset_key": "pets_images", "tags": ["dataset"],
    }  # fmt: skip
    assert "Pet photos with their pixel size" in page
    assert "- `info` (ImageInfo): Pixel size of an image." in page
    assert 'dc.read_dataset("pets_images@1.0.2")' in page
    assert "| `info.width` | int | Width in pixels |" in page
    assert "| `file.path` | str | Path of the object inside its source |" in page
    versions = [line.split(" | ") for line in page.splitlines() if line.startswith("| 1.0.")]
    assert [(v[0], v[1], v[4]) for v in versions] == [
        ("| 1.0.2", "12", "+0 ~1 -1"), ("| 1.0.1", "13", "+1 ~0 -0"), ("| 1.0.0", "12", "+12 ~0 -0")]
    lineage = page.split("## Lineage")[1].split("## Joinable")[0]
    assert f"- [[{bucket_stem(pets)}|{pets.images.resolve().as_uri()}]] (bucket)" in lineage
    assert "Used by:\n- [[pets_area]]" in lineage
    assert "- `file.path` (str) with [[labels]], [[pets_area]]" in page
    (row,) = [line for line in page.splitlines() if line.startswith("| cats/abyssinian/abyssinian_0.jpg | ")]
    assert row.endswith(" | 74 | 100 |")  # info.width, info.height (conftest's image sizes)
    assert "First 5 of 12 rows" in page

    downstream = pets.page("datasets/pets_area.md")
    assert "- [[pets_images]] @1.0.2" in downstream
    assert "| `area` | int |  |" in downstream


def test_bucket_page_counts_files_extensions_sizes_and_datasets(pets):
    (pets.images / "notes.txt").write_text("hello")
    dc.read_storage(pets.images).save("raw_files")
    dc.build_knowledge_base(pets.kb)
    page = pets.bucket_page()
    assert front_matter(page)["files"] == 13
    assert "- Files: 13 · " in page
    assert "| .jpg | 12 | " in page and "| .txt | 1 | 5 B |" in page
    sizes = page.split("## File sizes")[1]
    assert "| 1 B – 10 B | 1 |" in sizes  # notes.txt
    assert sum(int(line.rsplit("|", 2)[1]) for line in sizes.splitlines() if " – " in line) == 13
    assert "- [[pets_images]] · 1.0.2 · 12 rows" in page and "- [[raw_files]] · 1.0.0 · 13 rows" in page
    assert f'dc.read_storage("{pets.images.resolve().as_uri()}/")' in page


def test_schema_change_counts_every_row_as_new(pets):
    dc.read_values(n=[1, 2, 3], s=["a", "b", "c"]).save("numbers")
    dc.build_knowledge_base(pets.kb)
    assert "| 1.1.0 | 3 | " in pets.page("datasets/numbers.md")
    assert " | +3 ~0 -3 |" in pets.page("datasets/numbers.md")


# ============================================================================ rebuilds


def test_rebuilds_are_byte_identical_and_write_nothing_new(pets, tmp_path):
    dc.build_knowledge_base(pets.kb)
    again = dc.build_knowledge_base(pets.kb)
    assert again.written == [] and again.removed == [] and again.unchanged == len(pages(pets.kb))
    dc.build_knowledge_base(tmp_path / "elsewhere")
    assert pages(tmp_path / "elsewhere") == pages(pets.kb)


def test_pages_of_deleted_datasets_are_removed(pets):
    (pets.kb / ".obsidian").mkdir(parents=True)
    (pets.kb / ".obsidian" / "app.json").write_text("{}")
    dc.build_knowledge_base(pets.kb)
    dc.delete_dataset("pets_area")
    report = dc.build_knowledge_base(pets.kb)
    assert report.removed == ["datasets/pets_area.md"]
    assert not (pets.kb / "datasets" / "pets_area.md").exists()
    assert "pets_area" not in pets.page("index.md")
    assert "Used by:\n- no dataset yet" in pets.page("datasets/pets_images.md")
    assert (pets.kb / ".obsidian" / "app.json").exists()  # not ours: left alone


def test_partial_rebuild_rewrites_what_mentions_the_dataset(pets, tmp_path):
    dc.build_knowledge_base(pets.kb)
    dc.read_dataset("pets_images").filter(dc.C("info.width") > 100).map(area=area).save("pets_area")
    report = dc.build_knowledge_base(pets.kb, datasets=["pets_area"])
    assert report.written == ["datasets/pets_area.md", "index.md"]  # the upstream page was rendered, unchanged
    assert report.unchanged == 1 and report.removed == []
    dc.build_knowledge_base(tmp_path / "full")
    assert pages(pets.kb) == pages(tmp_path / "full")

    dc.read_values(file=[dc.File(path="dogs/a.jpg")], label=["dog"]).save("more_labels")  # a new page: links
    report = dc.build_knowledge_base(pets.kb, datasets=["more_labels"])  # and joins change elsewhere too
    assert "datasets/labels.md" in report.written
    dc.build_knowledge_base(tmp_path / "full")
    assert pages(pets.kb) == pages(tmp_path / "full")


# ============================================================================ safety


def test_hostile_dataset_names_cannot_leave_the_folder(pets, tmp_path):
    with pets.memory.connect() as con:
        for name in ("../../escaped", "/etc/passwd", "..", "a/../../b[[x]]|y"):
            con.execute("INSERT INTO dc_versions SELECT * REPLACE (? AS name) FROM dc_versions WHERE name = 'numbers'",
                        [name])
    dc.build_knowledge_base(pets.kb)
    written = {p.resolve() for p in tmp_path.rglob("*.md")}
    assert all(p.is_relative_to(pets.kb.resolve()) for p in written)
    assert {"escaped.md", "etc-passwd.md", "_.md", "a-b-x-y.md"} <= {p.name for p in (pets.kb / "datasets").iterdir()}
    hostile = pets.page("datasets/a-b-x-y.md")
    assert "# a/../../b[\u200b[x]\u200b]\\|y" in hostile  # shows as typed, links nowhere
    assert front_matter(hostile)["name"] == "a/../../b[[x]]|y"
    assert otools.Vault(pets.kb).connect().nonexistent_notes == []
    with pytest.raises(dc.DataChainError, match="outside"):
        inside(pets.kb, "../x.md")


def test_no_secret_reaches_any_page(pets):
    uri = "s3://AKIAUSER:PASSWORD9@private-bucket/data/?X-Amz-Signature=SIGNATURE7&token=TOKEN5"
    with pets.memory.connect() as con:
        listing = con.execute("SELECT table_name FROM dc_listings").fetchall()[0][0]
        con.execute("INSERT INTO dc_listings (source, prefix, table_name, listed_at, fingerprint, file_count, "
                    "total_size) VALUES (?, 'data/', ?, now(), 'f', 12, 100)",
                    ["s3://AKIAUSER:PASSWORD9@private-bucket", listing])
        lineage = f'[{{"kind": "listing", "name": "{uri}", "version": "f"}}]'
        con.execute("INSERT INTO dc_versions SELECT * REPLACE ('from_s3' AS name, ? AS lineage_json, "
                    "'see ' || ? AS description) FROM dc_versions WHERE name = 'numbers'", [lineage, uri])
        con.execute("UPDATE dc_versions SET description = ? WHERE name = 'labels'",  # a registered storage option
                    [f"labelled with the {SECRET} account"])
    dc.build_knowledge_base(pets.kb)
    written = pages(pets.kb)
    assert "buckets/s3/private_bucket.md" in written  # named like its asset key, bucket/s3/private_bucket
    for secret in (SECRET, "AKIAUSER", "PASSWORD9", "SIGNATURE7", "TOKEN5"):
        assert not any(secret.encode() in text or secret in path for path, text in written.items()), secret
    assert "see s3://private-bucket/data/" in pets.page("datasets/from_s3.md")
    assert "labelled with the *** account" in pets.page("datasets/labels.md")


def test_uri_scrubbing_and_name_sanitizing():
    assert scrub_uri("s3://user:pw@bucket/a.jpg?X-Amz-Signature=abc#frag") == "s3://bucket/a.jpg"
    assert scrub_uri("az://container/dir/") == "az://container/dir/"
    assert safe_stem("../../etc/passwd") == "etc-passwd"
    assert safe_stem("..") == "_" and safe_stem("pets_images-v1.2") == "pets_images-v1.2"


# ============================================================================ Obsidian


def test_vault_has_no_broken_links_and_its_graph_is_the_lineage(pets):
    dc.build_knowledge_base(pets.kb)
    vault = otools.Vault(pets.kb).connect()
    assert vault.nonexistent_notes == []
    assert set(vault.graph.successors("index")) == {bucket_stem(pets), "pets_images", "pets_area", "labels", "numbers"}
    bucket = bucket_stem(pets)
    lineage = {(bucket, "pets_images"), ("pets_images", bucket), ("pets_images", "pets_area"),
               ("pets_area", "pets_images")}
    joins = {("labels", "pets_images"), ("labels", "pets_area"), ("pets_images", "labels"), ("pets_area", "labels"),
             ("pets_images", "pets_area"), ("pets_area", "pets_images")}
    edges = {(a, b) for a, b in vault.graph.edges() if a != "index"}
    assert edges == lineage | joins


def test_a_dataset_and_a_bucket_of_the_same_name_get_path_links(pets, tmp_path):
    folder = tmp_path / "numbers"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    dc.read_storage(folder).save("from_folder")
    with pets.memory.connect() as con:  # a bucket page named like the dataset `numbers`
        con.execute("UPDATE dc_listings SET source = 's3://numbers' WHERE source LIKE '%/numbers'")
        con.execute("UPDATE dc_versions SET lineage_json = replace(lineage_json, ?, 's3://numbers/')"
                    " WHERE name = 'from_folder'", [folder.resolve().as_uri() + "/"])
    dc.build_knowledge_base(pets.kb)
    assert "[[datasets/numbers]]" in pets.page("index.md")
    assert "[[buckets/s3/numbers|s3://numbers]]" in pets.page("datasets/from_folder.md")
    assert otools.Vault(pets.kb).connect().nonexistent_notes == []


def test_an_empty_data_memory_gives_an_index_only(memory, tmp_path):
    report = dc.build_knowledge_base(tmp_path / "kb", memory=memory)
    assert report.written == ["index.md"]
    assert "Data Memory is empty" in (tmp_path / "kb" / "index.md").read_text()
