"""Checks users can rely on: blocking stops downstream on a failed ERROR check, one severity per check in spec and
result, and checks run on their own against the latest version without re-materializing."""

from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain.checks import NON_NULL, ROW_COUNT, SCHEMA


def test_blocking_error_check_stops_downstream_and_checks_run_alone(memory, tmp_path: Path):
    source = tmp_path / "rows.txt"
    source.write_text("\n".join(str(i) for i in range(10)))
    calls: list[str] = []

    @dc.dataset_asset(blocking=True)
    def numbers() -> dc.DataChain:
        calls.append("numbers")
        lines = source.read_text().split()
        return dc.read_values(n=[int(x) for x in lines])

    @dc.dataset_asset()
    def doubled(numbers: dc.DataChain) -> dc.DataChain:
        calls.append("doubled")
        return numbers.mutate(twice=dc.C("n") * 2)

    specs = {spec.name: spec for spec in numbers.check_specs}
    assert specs[NON_NULL].blocking and specs[ROW_COUNT].blocking and not specs[SCHEMA].blocking
    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=None)
    with dg.instance_for_test() as instance:
        assert dg.materialize([numbers, doubled], instance=instance, resources=resources).success
        source.write_text("1\n2")                                  # 10 rows -> 2: the row count collapses
        failed = dg.materialize([numbers, doubled], instance=instance, resources=resources, raise_on_error=False)
        assert not failed.success
        assert [e.step_key for e in failed.get_step_success_events()] == []
        assert "doubled" not in {e.step_key for e in failed.all_events if e.is_step_start}
        evaluation = {e.check_name: e for e in failed.get_asset_check_evaluations()}
        assert not evaluation[ROW_COUNT].passed and evaluation[ROW_COUNT].severity == dg.AssetCheckSeverity.ERROR
        assert evaluation[SCHEMA].severity == dg.AssetCheckSeverity.WARN
        assert calls == ["numbers", "doubled", "numbers"]
        assert dc.read_dataset("doubled").count() == 10            # downstream kept its last good version

        calls.clear()                                              # the checks alone, against numbers@1.0.1
        only = dg.materialize([numbers, doubled], instance=instance, resources=resources,
                              selection=dg.AssetSelection.checks_for_assets(numbers), raise_on_error=False)
        assert calls == [] and only.get_asset_materialization_events() == []
        alone = {e.check_name: e for e in only.get_asset_check_evaluations()}
        assert set(alone) == {NON_NULL, ROW_COUNT, SCHEMA}
        assert not alone[ROW_COUNT].passed and alone[NON_NULL].passed
        assert alone[ROW_COUNT].metadata["dagster_datachain/dataset"].value == "numbers@1.0.1"
        assert alone[ROW_COUNT].severity == evaluation[ROW_COUNT].severity


def test_a_check_run_before_any_version_fails_saying_so(memory):
    @dc.dataset_asset()
    def never_built() -> dc.DataChain:
        return dc.read_values(n=[1])

    resources = dc.datachain_resources(root=str(memory.root), knowledge_base=None)
    with dg.instance_for_test() as instance:
        result = dg.materialize([never_built], instance=instance, resources=resources, raise_on_error=False,
                                selection=dg.AssetSelection.checks_for_assets(never_built))
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 3 and not any(e.passed for e in evaluations)
    assert "no version yet" in evaluations[0].description
    with pytest.raises(dc.DatasetNotFoundError):
        dc.read_dataset("never_built")
