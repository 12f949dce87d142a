"""Dataset assets materialized on a real Dagster instance: versions, metadata, IO manager, checks, resume."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from pydantic import BaseModel, Field

import dagster_datachain as dc
from dagster_datachain.checks import evaluate_checks


class Measure(BaseModel):
    """Length facts about a file."""

    chars: int = Field(description="Number of characters in the file")
    words: int = Field(description="Number of whitespace-separated words")


def measure(file: dc.File) -> Measure:
    text = file.read_text()
    return Measure(chars=len(text), words=len(text.split()))


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(12):
        (folder / f"note{i:02d}.txt").write_text(" ".join(["word"] * (i + 1)))
    return folder


def resources(memory: dc.Memory, tmp_path: Path) -> dict:
    return dc.datachain_resources(root=str(memory.root), knowledge_base=str(tmp_path / "kb"))


def latest(instance: dg.DagsterInstance, key: str) -> dg.AssetMaterialization:
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None
    return event.asset_materialization


def test_dataset_asset_reports_version_schema_lineage_preview_and_checks(memory, tmp_path, notes):
    @dc.dataset_asset()
    def measured() -> dc.DataChain:
        return dc.read_storage(str(notes)).map(measure=measure)

    @dc.dataset_asset()
    def long_notes(measured: dc.DataChain) -> dc.DataChain:
        return measured.filter(dc.C("measure.words") > 6).map(ratio=lambda measure: measure.chars / measure.words,
                                                             output=float)

    with dg.instance_for_test() as instance:
        result = dg.materialize([measured, long_notes], instance=instance, resources=resources(memory, tmp_path))
        assert result.success
        first = latest(instance, "measured")
        second = latest(instance, "long_notes")
        checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}

    assert first.metadata["dagster_datachain/dataset"].value == "measured@1.0.0"
    assert first.metadata["dagster/row_count"].value == 12
    columns = {c.name: c for c in first.metadata["dagster/column_schema"].value.columns}
    assert columns["measure.chars"].type == "int"
    assert columns["measure.chars"].description == "Number of characters in the file"
    assert "file.path" in columns
    preview = first.metadata["dagster_datachain/preview"].value.records
    assert len(preview) == 5 and preview[0].data["file.path"] == "note00.txt"
    assert first.tags["dagster/data_version"].startswith("measured@1.0.0:")

    assert second.metadata["dagster/row_count"].value == 6  # notes with 7..12 words
    lineage = second.metadata["dagster/column_lineage"].value.deps_by_column
    assert lineage["ratio"][0].asset_key == dg.AssetKey("measured")
    assert lineage["ratio"][0].column_name == "measure"
    assert second.tags["dagster/input_data_version/measured"] == first.tags["dagster/data_version"]
    assert checks == {(k, c): True for k in ("measured", "long_notes")
                      for c in ("required_fields_not_null", "row_count_did_not_drop",
                                "schema_changed_only_with_minor_bump")}


def test_rematerializing_unchanged_chain_keeps_version_and_data_version(memory, tmp_path, notes):
    @dc.dataset_asset()
    def measured() -> dc.DataChain:
        return dc.read_storage(str(notes)).map(measure=measure)

    with dg.instance_for_test() as instance:
        dg.materialize([measured], instance=instance, resources=resources(memory, tmp_path))
        first = latest(instance, "measured").tags["dagster/data_version"]
        dg.materialize([measured], instance=instance, resources=resources(memory, tmp_path))
        second = latest(instance, "measured").tags["dagster/data_version"]
        (notes / "extra.txt").write_text("one two")
        dg.materialize([measured], instance=instance, resources=resources(memory, tmp_path))
        third = latest(instance, "measured")
    assert first == second
    assert third.metadata["dagster_datachain/dataset"].value == "measured@1.0.1"
    assert third.tags["dagster/data_version"] != first


def test_io_manager_pins_versions_and_stores_plain_assets(memory, tmp_path, notes):
    @dc.dataset_asset()
    def measured() -> dc.DataChain:
        return dc.read_storage(str(notes)).map(measure=measure)

    @dg.asset(io_manager_key="dataset_io_manager")
    def word_table() -> pd.DataFrame:
        return pd.DataFrame({"word": ["a", "b", "c"], "n": [1, 2, 3]})

    @dc.dataset_asset(ins={"old": "measured@1.0.0"})
    def first_version_only(old: dc.DataChain) -> dc.DataChain:
        return old.select("file", "measure")

    with dg.instance_for_test() as instance:
        res = resources(memory, tmp_path)
        dg.materialize([measured, word_table], instance=instance, resources=res)
        (notes / "extra.txt").write_text("one two")
        dg.materialize([measured], instance=instance, resources=res)
        dg.materialize([measured, first_version_only], instance=instance, resources=res,
                       selection=[first_version_only])
        stored = latest(instance, "word_table")

    assert dc.read_dataset("measured").count() == 13
    assert dc.read_dataset("first_version_only").count() == 12  # read measured@1.0.0, not the latest
    assert stored.metadata["dagster_datachain/dataset"].value == "word_table@1.0.0"
    assert sorted(dc.read_dataset("word_table").to_list()) == [("a", 1), ("b", 2), ("c", 3)]


def test_failed_materialization_resumes_from_checkpoint(memory, tmp_path, notes):
    calls: list[str] = []
    broken = {"on": True}

    def fragile(file: dc.File) -> int:
        calls.append(file.path)
        if broken["on"] and file.path == "note07.txt":
            raise RuntimeError("flaky model server")
        return file.size

    @dc.dataset_asset(batch_size=3)
    def sized() -> dc.DataChain:
        return dc.read_storage(str(notes)).map(size=fragile)

    with dg.instance_for_test() as instance:
        failed = dg.materialize([sized], instance=instance, resources=resources(memory, tmp_path),
                                raise_on_error=False)
        assert not failed.success
        assert calls == [f"note{i:02d}.txt" for i in range(8)]
        calls.clear()
        broken["on"] = False
        retried = dg.materialize([sized], instance=instance, resources=resources(memory, tmp_path))
        logs = [e.user_message for e in instance.all_logs(retried.run_id) if e.dagster_event is None]
    assert calls == [f"note{i:02d}.txt" for i in range(7, 12)]  # the 7 rows before the failing one were committed
    assert any("Continuing from checkpoint (7 of 12 rows done)" in m for m in logs)
    assert dc.read_dataset("sized").count() == 12


def test_schema_change_bumps_minor_and_check_flags_a_patch_schema_change(memory, tmp_path, notes):
    dc.read_storage(str(notes)).map(n=lambda file: 1, output=int).save("counted")

    @dc.dataset_asset()
    def counted() -> dc.DataChain:
        return dc.read_storage(str(notes)).map(n=lambda file: "one", output=str)

    with dg.instance_for_test() as instance:
        result = dg.materialize([counted], instance=instance, resources=resources(memory, tmp_path))
        assert latest(instance, "counted").metadata["dagster_datachain/dataset"].value == "counted@1.1.0"
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["schema_changed_only_with_minor_bump"] is True

    sneaky = dc.read_storage(str(notes)).map(n=lambda file: 1.5, output=float).save("counted", version="1.1.1")
    results = {r.check_name: r.passed for r in evaluate_checks(memory, sneaky.dataset, max_row_drop=0.5)}
    assert results["schema_changed_only_with_minor_bump"] is False


def test_row_count_check_fails_when_rows_collapse(memory, tmp_path, notes):
    dc.read_storage(str(notes)).save("shrinking")
    collapsed = dc.read_storage(str(notes)).limit(2).save("shrinking")
    results = {r.check_name: r.passed for r in evaluate_checks(memory, collapsed.dataset, max_row_drop=0.5)}
    assert results["row_count_did_not_drop"] is False


def test_non_null_check_counts_nulls_in_required_fields(memory, tmp_path):
    table = dc.read_values(name=["a", None, "c"]).save("names")
    with memory.connect() as con:
        con.execute(f'UPDATE "{table.dataset.table_name}" SET name = NULL WHERE name = \'c\'')
    record = table.dataset.model_copy(update={"dataset_schema": {"name": dc.read_values(name=["x"]).specs["name"]
                                                                  .model_copy(update={"nullable": False})}})
    result = next(r for r in evaluate_checks(memory, record, 0.5) if r.check_name == "required_fields_not_null")
    assert result.passed is False
    assert result.metadata["null_counts"].value == {"name": 2}


def test_asset_that_returns_no_chain_fails_with_clear_error(memory, tmp_path):
    @dc.dataset_asset()
    def not_a_chain() -> dc.DataChain:
        return [1, 2, 3]  # type: ignore[return-value]

    with dg.instance_for_test() as instance:
        result = dg.materialize([not_a_chain], instance=instance, resources=resources(memory, tmp_path),
                                raise_on_error=False)
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "must return a DataChain, got list" in failure.event_specific_data.error.cause.message


def test_partitions_are_datasets_of_their_own_and_downstream_reads_their_union(memory, tmp_path, notes):
    breeds = dg.StaticPartitionsDefinition(["short", "long"])

    @dc.dataset_asset(partitions_def=breeds)
    def by_length(context) -> dc.DataChain:
        chain = dc.read_storage(str(notes)).map(measure=measure)
        words = dc.C("measure.words")
        return chain.filter(words <= 6 if context.partition_key == "short" else words > 6)

    @dc.dataset_asset()
    def all_lengths(by_length: dc.DataChain) -> dc.DataChain:
        return by_length.select("file", "measure")

    with dg.instance_for_test() as instance:
        res = resources(memory, tmp_path)
        for key in ("short", "long"):
            assert dg.materialize([by_length], instance=instance, resources=res, partition_key=key).success
        dg.materialize([by_length, all_lengths], instance=instance, resources=res, selection=[all_lengths])
        long_event = instance.get_latest_materialization_event(dg.AssetKey("by_length")).asset_materialization
    assert dc.read_dataset("by_length.short").count() == 6
    assert dc.read_dataset("by_length.long").count() == 6
    assert long_event.metadata["dagster_datachain/dataset"].value == "by_length.long@1.0.0"
    assert dc.read_dataset("all_lengths").count() == 12


def test_resource_refuses_a_credential_in_plain_storage_options():
    options = {"endpoint_url": "http://127.0.0.1:9000", "secret": "plain-secret-value"}
    with pytest.raises(dc.DataChainError, match=r"storage_options\['s3://'\]\['secret'\] is a credential") as no:
        dc.DataMemory(storage_options={"s3://": options})
    assert "plain-secret-value" not in str(no.value)
    assert "storage_credentials={'s3://': {'secret': dg.EnvVar('VARIABLE_NAME')}}" in str(no.value)
    dc.DataMemory(storage_options={"gs://": {"token": "anon"}})  # an anonymous token mode is no secret
