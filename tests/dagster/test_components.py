"""Dataset pipelines declared in YAML (Dagster components) materialize like @dataset_asset ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain.components import BucketComponent, DatasetComponent
from dagster_datachain.errors import DataChainError


def word_count(file: dc.TextFile) -> int:
    return len(file.read().split())


def doubled(words: int) -> int:
    return words * 2


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(5):
        (folder / f"note{i}.txt").write_text(" ".join(["word"] * (i + 1)))
    return folder


def load_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, components: dict[str, str]) -> dg.Definitions:
    """A dg project in tmp_path (pyproject + <root>/defs/<folder>/defs.yaml), loaded as `dg dev` loads one."""
    root = tmp_path / "project"
    (root / "notes_project" / "defs").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.dg]\ndirectory_type = "project"\n\n'
                                         '[tool.dg.project]\nroot_module = "notes_project"\n')
    for package in (root / "notes_project", root / "notes_project" / "defs"):
        (package / "__init__.py").write_text("")
    for folder, yaml_text in components.items():
        (root / "notes_project" / "defs" / folder).mkdir()
        (root / "notes_project" / "defs" / folder / "defs.yaml").write_text(textwrap.dedent(yaml_text))
    monkeypatch.syspath_prepend(str(root))
    return dg.load_from_defs_folder(project_root=root)


def materialize(memory: dc.Memory, tmp_path: Path, *definitions: dg.Definitions) -> dg.ExecuteInProcessResult:
    assets = [asset for defs in definitions for asset in (defs.assets or []) if isinstance(asset, dg.AssetsDefinition)]
    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=str(tmp_path / "kb"))
    return dg.materialize(assets, resources=resources)


def test_yaml_dataset_from_storage_then_a_downstream_yaml_dataset(memory, tmp_path, notes, monkeypatch):
    defs = load_project(tmp_path, monkeypatch, {
        "note_words": f"""
            type: dagster_datachain.components.DatasetComponent
            attributes:
              name: note_words
              source: "{notes}/*.txt"
              file_type: text
              description: Words per note.
              steps:
                - map: {{words: "tests.dagster.test_components:word_count"}}
        """,
        "note_words_twice": """
            type: dagster_datachain.components.DatasetComponent
            attributes:
              name: note_words_twice
              dataset: note_words
              steps:
                - map: {twice: "tests.dagster.test_components:doubled"}
        """,
        "notes_bucket": f"""
            type: dagster_datachain.components.BucketComponent
            attributes:
              uri: "{notes}/"
              sensor_targets: [note_words, note_words_twice]
        """,
    })
    bucket_key = dc.bucket_asset(f"{notes}/").key
    assert {sensor.name for sensor in defs.sensors} == {f"{bucket_key.to_python_identifier()}_sensor"}
    assert materialize(memory, tmp_path, defs).success

    rows = dict(dc.read_dataset("note_words_twice").order_by("file.path").collect("file.path", "twice"))
    assert rows == {f"note{i}.txt": 2 * (i + 1) for i in range(5)}
    latest = dc.datasets(column="dataset", latest_only=True)
    [info] = latest.filter(dc.C("dataset.name") == "note_words").to_values("dataset")
    assert (info.version, info.description) == ("1.0.0", "Words per note.")


def test_bucket_component_builds_the_bucket_asset_and_its_sensor(notes):
    defs = BucketComponent(uri=f"{notes}/", key="bucket/notes", sensor_targets=["note_words"]).build_defs(None)
    [bucket] = defs.assets
    [sensor] = defs.sensors
    assert bucket.key == dg.AssetKey(["bucket", "notes"])
    [target] = sensor.targets
    assert "note_words" in repr(target.resolvable_to_job)  # the run it requests selects the dataset


def test_a_dataset_needs_exactly_one_input():
    with pytest.raises(ValueError, match="exactly one of source, dataset or chain"):
        DatasetComponent(name="x", source="a/", dataset="b")
    with pytest.raises(ValueError, match="exactly one of source, dataset or chain"):
        DatasetComponent(name="x")


def test_a_step_names_exactly_one_kind_and_a_reference_that_imports(memory, tmp_path, notes):
    with pytest.raises(ValueError, match="exactly one of map, gen, agg"):
        DatasetComponent(name="x", source=str(notes), steps=[{"map": {"a": "m:f"}, "gen": {"b": "m:g"}}])
    broken = DatasetComponent(name="broken", source=f"{notes}/*.txt",
                              steps=[{"map": {"n": "tests.dagster.test_components:no_such_function"}}])
    defs = broken.build_defs(None)  # build_defs does not read the load context
    with pytest.raises(DataChainError, match="cannot import 'tests.dagster.test_components:no_such_function'"):
        materialize(memory, tmp_path, defs)
