"""UDF checkpoints on a lake whose data path is S3: parts committed on one machine (a Memory with its own local
root) are continued and saved on another, and the save removes them from the bucket."""

import logging
import os
import re
from pathlib import Path

import pytest
import s3fs

import dagster_datachain as dc
from tests.team.conftest import Lake

ROWS = 40


def tracked_double(n: int) -> int:
    """n * 2, noting each call in $CALLS_FILE; fails on row $FAIL_AT (a machine that dies mid-run)."""
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write(f"{n}\n")
    if str(n) == os.environ.get("FAIL_AT"):
        raise RuntimeError("machine A goes down")
    return n * 2


def chain(memory: dc.Memory, parallel: int | None = None) -> dc.DataChain:
    return dc.read_values(n=list(range(ROWS)), memory=memory).settings(batch_size=5, parallel=parallel).map(
        double=tracked_double, output=int)


def calls(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def staged_on_s3(lake: Lake) -> list[str]:
    fs = s3fs.S3FileSystem(key=lake.secrets["AWS_ACCESS_KEY_ID"], secret=lake.secrets["AWS_SECRET_ACCESS_KEY"],
                           endpoint_url=lake.secrets["AWS_ENDPOINT_URL"], skip_instance_cache=True)
    root = lake.data_path.removeprefix("s3://") + "_dc_staging"
    return [path[len(root) + 1 :] for path in fs.find(root)]


@pytest.fixture
def machines(pg_s3_lake: Lake, tmp_path: Path) -> tuple[dc.Memory, dc.Memory]:
    """Two Memories on one lake, each with a local root of its own (no local file shared)."""
    return pg_s3_lake.memory(root=tmp_path / "machine-a"), pg_s3_lake.memory(root=tmp_path / "machine-b")


@pytest.mark.parametrize("parallel", [None, 2], ids=["in-process", "forked-workers"])
def test_a_run_interrupted_on_one_machine_continues_on_another(pg_s3_lake: Lake, machines, tmp_path: Path,
                                                                monkeypatch, caplog, parallel):
    machine_a, machine_b = machines
    calls_a, calls_b = tmp_path / "calls-a", tmp_path / "calls-b"
    monkeypatch.setenv("CALLS_FILE", str(calls_a))
    monkeypatch.setenv("FAIL_AT", "23")
    with pytest.raises(RuntimeError, match="machine A goes down"):
        chain(machine_a, parallel).save("doubled")
    staged = staged_on_s3(pg_s3_lake)
    parts = [p for p in staged if "/parts/part-" in p]
    assert parts and any(p.endswith("/input.parquet") for p in staged) and any(p.endswith("/meta.json")
                                                                              for p in staged)

    monkeypatch.setenv("CALLS_FILE", str(calls_b))
    monkeypatch.delenv("FAIL_AT")
    with caplog.at_level(logging.INFO, logger="dagster_datachain"):
        saved = chain(machine_b, parallel).save("doubled")
    resumed = [re.search(r"Continuing from checkpoint \((\d+) of (\d+) rows done\)", r.getMessage())
               for r in caplog.records]
    done, total = next((int(m.group(1)), int(m.group(2))) for m in resumed if m)
    assert total == ROWS and 0 < done < ROWS
    assert len(calls(calls_b)) == ROWS - done  # B ran only what A had not committed
    if parallel is None:  # (forked workers may lose a batch in flight when one fails)
        done_on_a = set(calls(calls_a)) - {23}
        assert len(done_on_a) == done and set(calls(calls_b)) == set(range(ROWS)) - done_on_a
    assert sorted(saved.to_values("n")) == list(range(ROWS))  # every row exactly once
    assert sorted(saved.to_values("double")) == [2 * n for n in range(ROWS)]
    assert staged_on_s3(pg_s3_lake) == []  # the save removed the parts from the bucket


def test_shards_computed_on_one_machine_are_saved_by_another_without_recomputing(pg_s3_lake: Lake, machines,
                                                                                  tmp_path: Path, monkeypatch):
    machine_a, machine_b = machines
    calls_file = tmp_path / "calls"
    monkeypatch.setenv("CALLS_FILE", str(calls_file))
    for index in range(2):
        chain(machine_a).shard(index, 2).checkpoint()
    assert sorted(calls(calls_file)) == list(range(ROWS))
    assert staged_on_s3(pg_s3_lake)

    whole = chain(machine_b)
    saved = whole.shard(0, 2).union(whole.shard(1, 2)).save("doubled_shards")
    assert sorted(calls(calls_file)) == list(range(ROWS))  # the save step computed nothing again
    assert sorted(saved.to_values("double")) == [2 * n for n in range(ROWS)]
    assert staged_on_s3(pg_s3_lake) == []


def fail_on_machine_a(machine_a: dc.Memory, calls_file: Path, monkeypatch) -> None:
    monkeypatch.setenv("CALLS_FILE", str(calls_file))
    monkeypatch.setenv("FAIL_AT", "23")
    with pytest.raises(RuntimeError, match="machine A goes down"):
        chain(machine_a).save("doubled")
    monkeypatch.delenv("FAIL_AT")


def test_parts_whose_input_is_gone_from_the_bucket_are_not_used(pg_s3_lake: Lake, machines, tmp_path: Path,
                                                                 monkeypatch):
    machine_a, machine_b = machines
    fail_on_machine_a(machine_a, tmp_path / "calls-a", monkeypatch)
    staged = staged_on_s3(pg_s3_lake)
    fs = s3fs.S3FileSystem(key=pg_s3_lake.secrets["AWS_ACCESS_KEY_ID"],
                           secret=pg_s3_lake.secrets["AWS_SECRET_ACCESS_KEY"],
                           endpoint_url=pg_s3_lake.secrets["AWS_ENDPOINT_URL"], skip_instance_cache=True)
    root = pg_s3_lake.data_path.removeprefix("s3://") + "_dc_staging/"
    fs.rm([root + p for p in staged if p.endswith(("/meta.json", "/input.parquet"))])
    monkeypatch.setenv("CALLS_FILE", str(tmp_path / "calls-b"))
    saved = chain(machine_b).save("doubled")
    assert sorted(calls(tmp_path / "calls-b")) == list(range(ROWS))  # numbered by another input: all rows again
    assert sorted(saved.to_values("n")) == list(range(ROWS))


def test_gc_removes_copies_of_abandoned_runs_from_the_bucket(pg_s3_lake: Lake, machines, tmp_path: Path,
                                                             monkeypatch):
    machine_a, machine_b = machines
    fail_on_machine_a(machine_a, tmp_path / "calls-a", monkeypatch)
    assert dc.gc(older_than_hours=1, memory=machine_b).checkpoints == 0  # recent: kept
    assert staged_on_s3(pg_s3_lake)
    assert dc.gc(older_than_hours=0, memory=machine_b).checkpoints == 1
    assert staged_on_s3(pg_s3_lake) == []


def test_an_input_sealed_by_another_machine_meanwhile_wins(pg_s3_lake: Lake, tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dagster_datachain.udf.checkpoint import Checkpoint

    remote = pg_s3_lake.memory().remote_staging
    first, second = (Checkpoint(tmp_path / machine / "step-input-code", remote) for machine in ("a", "b"))
    for checkpoint, rows in ((first, [1, 2, 3]), (second, [3, 2, 1, 0])):
        written = checkpoint.staging_input_path()
        pq.write_table(pa.table({"n": rows}), written)
        checkpoint.seal_input(written, len(rows))
    assert second.units == 3 and pq.read_table(second.input_path)["n"].to_pylist() == [1, 2, 3]
    assert [p.name for p in second.directory.iterdir() if p.name.startswith(".input")] == []
