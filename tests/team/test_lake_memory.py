"""Data Memory on DuckLake: the chain API on a lake, other processes on the same lake, concurrent saves,
a crash mid-commit, bad configuration, and credentials that never leak."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

import dagster_datachain as dc
from dagster_datachain import DataMemory
from dagster_datachain.errors import DataMemoryConfigError
from dagster_datachain.kb import build_knowledge_base
from dagster_datachain.memory import catalog
from tests.team.conftest import PG_PASSWORD, S3_SECRET, Lake, PostgresServer

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str, lake: Lake, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter that knows the lake only from its environment."""
    env = lake.env({**os.environ, "PYTHONPATH": str(REPO)})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def versions(memory: dc.Memory, name: str) -> list[str]:
    with memory.connect() as con:
        return [r.version for r in catalog.list_versions(con, name)]


def test_chain_api_saves_reads_and_versions_on_a_lake(lake: Lake):
    memory = lake.memory()
    assert memory.shared
    dc.read_values(n=[1, 2, 3], word=["a", "b", "c"], memory=memory).save("words")
    dc.read_values(n=[1, 2, 3, 4], word=["a", "b", "c", "d"], memory=memory).save("words")
    dc.read_dataset("words", memory=memory).filter(dc.C("n") > 2).save("big_words")

    assert versions(memory, "words") == ["1.0.0", "1.0.1"]
    assert sorted(dc.read_dataset("words@1.0.0", memory=memory).to_values("n")) == [1, 2, 3]
    assert sorted(dc.read_dataset("words", memory=memory).to_values("word")) == ["a", "b", "c", "d"]
    assert sorted(dc.read_dataset("big_words", memory=memory).to_values("n")) == [3, 4]
    listed = dc.datasets(memory=memory).to_list("name", "version")
    assert sorted(listed) == [("big_words", "1.0.0"), ("words", "1.0.0"), ("words", "1.0.1")]
    with memory.connect() as con:  # append-only: each version in a table of its own
        tables = {r.table_name for r in catalog.list_versions(con, "words")}
    assert len(tables) == 2
    assert dc.delete_dataset("words", version="1.0.0", memory=memory) == 1
    assert versions(memory, "words") == ["1.0.1"]
    assert dc.read_dataset("words", memory=memory).count() == 4
    dc.move_dataset("words", "letters", memory=memory)
    assert versions(memory, "letters") == ["1.0.1"] and versions(memory, "words") == []
    assert sorted(dc.read_dataset("letters@1.0.1", memory=memory).to_values("word")) == ["a", "b", "c", "d"]


def test_delta_save_and_listing_on_a_lake(lake: Lake, tmp_path: Path):
    memory = lake.memory()
    folder = tmp_path / "files"
    folder.mkdir()
    for i in range(3):
        (folder / f"f{i}.txt").write_text("x" * (i + 1))

    def save() -> dc.DataChain:
        chain = dc.read_storage(str(folder), delta=True, memory=memory)
        return chain.map(size=lambda file: file.size, output=int).save("sizes")

    assert sorted(save().to_values("size")) == [1, 2, 3]
    (folder / "f3.txt").write_text("x" * 4)
    (folder / "f0.txt").unlink()
    assert sorted(save().to_values("size")) == [2, 3, 4]
    assert versions(memory, "sizes") == ["1.0.0", "1.0.1"]
    assert sorted(dc.read_dataset("sizes@1.0.0", memory=memory).to_values("size")) == [1, 2, 3]


def test_a_version_saved_on_a_lake_is_read_from_another_process(pg_s3_lake: Lake):
    memory = pg_s3_lake.memory()
    for count in (1, 2, 3):
        dc.read_values(n=list(range(count)), memory=memory).save("counts")
    result = run_python("""
        import dagster_datachain as dc
        print(sorted(dc.read_dataset("counts@1.0.1").to_values("n")), dc.read_dataset("counts").count())
        """, pg_s3_lake)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "[0, 1] 3"


def test_cli_options_and_variables_choose_the_lake(sqlite_lake: Lake, capsys, monkeypatch):
    from dagster_datachain.cli import main

    dc.read_values(n=[1, 2], memory=sqlite_lake.memory()).save("cli_seen")
    assert main(["--catalog", sqlite_lake.catalog, "--data-path", sqlite_lake.data_path, "datasets"]) == 0
    assert "cli_seen" in capsys.readouterr().out
    for name, value in sqlite_lake.env({}).items():
        monkeypatch.setenv(name, value)
    assert main(["show", "cli_seen@1.0.0"]) == 0
    assert "cli_seen" not in capsys.readouterr().err


SAVER = """
import sys, time
from pathlib import Path
import dagster_datachain as dc
name, index, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
chain = dc.read_values(n=list(range(index * 1000, index * 1000 + 1000)), who=[index] * 1000)
chain.count()  # imports and the lake's attach done before the start signal
while not go.exists():
    time.sleep(0.01)
print(chain.save(name).dataset.version)
"""


def _save_at_once(lake: Lake, tmp_path: Path, names: list[str]) -> list[str]:
    go = tmp_path / "go"
    env = lake.env({**os.environ, "PYTHONPATH": str(REPO)})
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, name, str(i), str(go)], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i, name in enumerate(names)]
    time.sleep(3)
    go.touch()
    outputs = [saver.communicate(timeout=240) for saver in savers]
    for saver, (_, err) in zip(savers, outputs, strict=True):
        assert saver.returncode == 0, err
    return [out.strip().splitlines()[-1] for out, _ in outputs]


def test_concurrent_saves_of_different_datasets_all_land(pg_s3_lake: Lake, tmp_path: Path):
    names = [f"part{i}" for i in range(4)]
    assert _save_at_once(pg_s3_lake, tmp_path, names) == ["1.0.0"] * 4
    memory = pg_s3_lake.memory()
    for i, name in enumerate(names):
        assert sorted(dc.read_dataset(name, memory=memory).to_values("n")) == list(range(i * 1000, i * 1000 + 1000))


def test_concurrent_saves_of_one_dataset_get_distinct_versions(pg_s3_lake: Lake, tmp_path: Path):
    memory = pg_s3_lake.memory()
    dc.read_values(n=[-1], who=[-1], memory=memory).save("shared")
    got = _save_at_once(pg_s3_lake, tmp_path, ["shared", "shared"])
    assert sorted(got) == ["1.0.1", "1.0.2"]
    assert versions(memory, "shared") == ["1.0.0", "1.0.1", "1.0.2"]
    whos = {v: set(dc.read_dataset(f"shared@{v}", memory=memory).to_values("who")) for v in got}
    assert sorted(map(tuple, whos.values())) == [(0,), (1,)]  # each version holds its own saver's rows, all of them
    for version in got:
        assert dc.read_dataset(f"shared@{version}", memory=memory).count() == 1000


CRASHER = """
import os, sys
import dagster_datachain as dc
from dagster_datachain.memory import catalog
dc.read_values(n=[1, 2]).save("crash")

def die(con, record):  # the rows are in the lake's transaction, the catalog entry is next: the process dies
    os.kill(os.getpid(), 9)

catalog._insert_version = die
dc.read_values(n=list(range(5000))).save("crash")
"""


def test_a_saver_killed_mid_commit_leaves_no_half_version(lake: Lake):
    result = run_python(CRASHER, lake)
    assert result.returncode == -signal.SIGKILL, result.stderr
    memory = lake.memory()
    assert versions(memory, "crash") == ["1.0.0"]
    with memory.connect() as con:
        assert catalog.drop_orphan_tables(con) == []  # the crashed version's table was never committed
    assert dc.read_values(n=[7], memory=memory).save("crash").dataset.version == "1.0.1"
    assert dc.read_dataset("crash", memory=memory).to_values("n") == [7]


# ----------------------------------------------------------------------------- bad configuration


def _catalog_tables(pg: PostgresServer, database: str) -> str:
    return pg.psql(database, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")


def _refused(memory: dc.Memory) -> str:
    with pytest.raises(DataMemoryConfigError) as caught:
        dc.read_values(n=[1], memory=memory).save("never")
    message = str(caught.value)
    assert PG_PASSWORD not in message and S3_SECRET not in message
    return message


def test_unreachable_catalog_is_named(sqlite_lake: Lake, tmp_path: Path):
    from tests.storage_servers import _free_port

    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/nowhere"
    message = _refused(dc.Memory(catalog=url, data_path=str(tmp_path / "data")))
    assert "cannot be reached" in message and url in message
    assert not (tmp_path / "data").exists()


def test_wrong_password_is_named(pg_s3_lake: Lake, postgres_server: PostgresServer, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    message = _refused(pg_s3_lake.memory())
    assert "user name or password" in message and "not-the-password" not in message
    assert _catalog_tables(postgres_server, pg_s3_lake.database) == "0"


def test_missing_bucket_is_named(pg_s3_lake: Lake, postgres_server: PostgresServer):
    memory = dc.Memory(catalog=pg_s3_lake.catalog, data_path="s3://no-such-bucket/lake/")
    assert "bucket does not exist" in _refused(memory)
    assert _catalog_tables(postgres_server, pg_s3_lake.database) == "0"


def test_unwritable_data_path_is_named(tmp_path: Path, sqlite_lake: Lake):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    message = _refused(dc.Memory(catalog=sqlite_lake.catalog, data_path=str(blocker / "data")))
    assert str(blocker) in message and "not a folder" in message
    assert not Path(sqlite_lake.catalog.removeprefix("sqlite://")).exists()


def test_missing_or_mismatched_extension_is_named(sqlite_lake: Lake, monkeypatch):
    from dagster_datachain.memory import extensions

    monkeypatch.setattr(extensions.importlib.util, "find_spec", lambda name: None)
    assert "duckdb-extension-ducklake" in _refused(sqlite_lake.memory())
    monkeypatch.undo()
    monkeypatch.setattr(extensions.duckdb, "__version__", "9.9.9")
    message = _refused(sqlite_lake.memory())
    assert "DuckDB 9.9.9" in message and "duckdb-extension-ducklake==9.9.9" in message
    assert not Path(sqlite_lake.catalog.removeprefix("sqlite://")).exists()


def test_a_catalog_without_data_path_or_a_bad_scheme_is_refused(tmp_path: Path):
    with pytest.raises(DataMemoryConfigError, match="needs a data path"):
        dc.Memory(catalog="postgresql://u@127.0.0.1/db")
    with pytest.raises(DataMemoryConfigError, match="unsupported Data Memory catalog"):
        dc.Memory(catalog="mysql://u@host/db", data_path=str(tmp_path))


# ----------------------------------------------------------------------------- credentials


@dg.asset
def secret_free(context: dg.AssetExecutionContext, data_memory: DataMemory) -> dg.MaterializeResult:
    with data_memory.scope():
        chain = dc.read_values(n=[1, 2, 3])
    return data_memory.save(context, chain)


def test_credentials_never_reach_repr_kb_metadata_or_logs(pg_s3_lake: Lake, tmp_path: Path, caplog):
    caplog.set_level("DEBUG")
    resource = DataMemory(catalog=pg_s3_lake.catalog, data_path=pg_s3_lake.data_path,
                          knowledge_base=str(tmp_path / "kb"))

    result = dg.materialize([secret_free], resources={"data_memory": resource})
    assert result.success
    memory = resource.memory()
    assert memory.shared and dc.read_dataset("secret_free", memory=memory).count() == 3
    build_knowledge_base(str(tmp_path / "kb"), memory=memory)
    texts = [repr(memory), repr(resource), memory.location, caplog.text]
    texts += [str(m.metadata) for m in result.asset_materializations_for_node("secret_free")]
    texts += [p.read_text() for p in (tmp_path / "kb").rglob("*") if p.is_file()]
    for text in texts:
        assert PG_PASSWORD not in text and S3_SECRET not in text
    with pytest.raises(Exception, match="password"):
        DataMemory(catalog=f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1/db", data_path="/tmp/x")
    shown = dc.Memory(catalog=f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:1/db", data_path=str(tmp_path))
    assert PG_PASSWORD not in repr(shown)
