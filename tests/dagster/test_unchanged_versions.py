"""No version churn: identical content makes no new version, and Dagster, the Knowledge Base and `diff` report
the same change counts."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg

import dagster_datachain as dc
from dagster_datachain.cli import main as cli


def pipeline(folder: Path) -> list[dg.AssetsDefinition]:
    @dc.dataset_asset()
    def notes() -> dc.DataChain:
        return dc.read_storage(str(folder), delta=True).map(words=lambda file: len(file.read_text().split()),
                                                           output=int)

    @dc.dataset_asset()
    def long_notes(notes: dc.DataChain) -> dc.DataChain:
        return notes.filter(dc.C("words") >= 3).select("file", "words")

    return [notes, long_notes]


def materialize(assets, instance, memory, kb) -> dict[str, dict]:
    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=str(kb))
    assert dg.materialize(assets, instance=instance, resources=resources).success
    events = {key: instance.get_latest_materialization_event(dg.AssetKey(key)) for key in ("notes", "long_notes")}
    return {key: {k.removeprefix("dagster_datachain/"): v.value
                  for k, v in event.asset_materialization.metadata.items()} for key, event in events.items()}


def versions(name: str) -> list[str]:
    return [d.version for d in dc.datasets(column="dataset").to_values("dataset") if d.name == name]


def test_unchanged_rerun_and_identical_downstream_make_no_new_version(memory, tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(6):
        (folder / f"n{i}.txt").write_text(" ".join(["w"] * (i + 1)))
    assets, kb = pipeline(folder), tmp_path / "kb"
    with dg.instance_for_test() as instance:
        first = materialize(assets, instance, memory, kb)
        again = materialize(assets, instance, memory, kb)  # nothing changed
        assert again["notes"]["dataset"] == "notes@1.0.0" and again["long_notes"]["dataset"] == "long_notes@1.0.0"
        for key in ("notes", "long_notes"):
            assert again[key]["unchanged"] is True
            assert (again[key]["rows_added"], again[key]["rows_changed"], again[key]["rows_removed"]) == (0, 0, 0)
        assert (first["notes"]["unchanged"], first["notes"]["rows_added"]) == (False, 6)

        (folder / "short.txt").write_text("w")  # a new note that long_notes filters out
        added = materialize(assets, instance, memory, kb)
        assert added["notes"]["dataset"] == "notes@1.0.1" and added["notes"]["rows_added"] == 1
        assert added["long_notes"]["dataset"] == "long_notes@1.0.0" and added["long_notes"]["unchanged"] is True
        assert versions("long_notes") == ["1.0.0"]

        (folder / "n0.txt").write_text("w w w w")  # one note changes and joins long_notes
        (folder / "n5.txt").write_text("w w w w w w w")  # one changes within long_notes
        changed = materialize(assets, instance, memory, kb)

    long = changed["long_notes"]
    assert long["dataset"] == "long_notes@1.0.1" and long["unchanged"] is False
    counts = (long["rows_added"], long["rows_changed"], long["rows_removed"])
    assert counts == (1, 1, 0)  # n0 joined; n5 changed; nothing else, although every row was recomputed

    page = (kb / "datasets" / "long_notes.md").read_text()
    assert re.search(r"\| 1\.0\.1 \|.*\| \+1 ~1 -0 \|", page)
    assert re.search(r"\| 1\.0\.0 \|.*\| \+4 ~0 -0 \|", page)
    capsys.readouterr()
    assert cli(["--root", str(memory.root), "diff", "long_notes@1.0.0", "long_notes@1.0.1"]) == 0
    assert "long_notes@1.0.0 -> long_notes@1.0.1: 1 added, 1 changed, 0 removed" in capsys.readouterr().out
    assert versions("notes") == ["1.0.0", "1.0.1", "1.0.2"]


def test_plain_save_of_identical_rows_keeps_the_version_unless_a_version_is_asked_for(memory):
    dc.read_values(n=[1, 2, 3]).save("numbers")
    same = dc.read_values(n=[3, 2, 1]).save("numbers")  # other chain, same rows
    assert same.dataset.version == "1.0.0"
    assert dc.read_values(n=[2, 1, 3]).save("numbers", update_version="patch").dataset.version == "1.0.1"
    assert dc.read_values(n=[1, 2, 3]).save("numbers", version="2.0.0").dataset.version == "2.0.0"
    assert dc.read_values(n=[1, 2, 4]).save("numbers").dataset.version == "2.0.1"
    assert versions("numbers") == ["1.0.0", "1.0.1", "2.0.0", "2.0.1"]
