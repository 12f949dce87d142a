"""Credentials given to the DataMemory resource as dg.EnvVar never reach disk: not Dagster's run storage, not
Data Memory, not the Knowledge Base."""

import sqlite3
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

import dagster_datachain as dc
from dagster_datachain.storage.filesystem import storage_options_for


def contents(path: Path) -> Iterator[bytes]:
    """A file's bytes and, for SQLite files (Dagster's storage), every cell, zlib-compressed snapshots unpacked."""
    data = path.read_bytes()
    yield data
    if not data.startswith(b"SQLite format 3"):
        return
    con = sqlite3.connect(path)
    try:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    if isinstance(cell, bytes):
                        try:
                            cell = zlib.decompress(cell)
                        except zlib.error:
                            pass
                        yield cell
                    elif isinstance(cell, str):
                        yield cell.encode()
    finally:
        con.close()


def files_holding(secret: str, *roots: Path) -> list[Path]:
    return [path for root in roots for path in root.rglob("*")
            if path.is_file() and any(secret.encode() in part for part in contents(path))]


def data_memory_text(memory: dc.Memory) -> str:
    """Every row of every table in Data Memory as text (its file may compress strings, so grep is not enough)."""
    with memory.connect() as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(str(con.sql(f'FROM "{table}"').fetchall()) for table in tables)


def test_env_var_credentials_reach_the_bucket_and_no_file(memory, tmp_path, s3_server, monkeypatch):
    secret = f"SeCrEt{uuid.uuid4().hex}"
    monkeypatch.setenv("DC_TEST_S3_SECRET", secret)
    bucket = s3_server.make_bucket("credentials")
    s3_server.fs().pipe({f"credentials/notes/n{i}.txt": b"word " * (i + 1) for i in range(3)})

    @dc.dataset_asset()
    def secret_notes() -> dc.DataChain:
        return dc.read_storage(f"{bucket}/notes/").map(words=lambda file: len(file.read_text().split()), output=int)

    plain = {k: v for k, v in s3_server.storage_options.items() if k != "secret"}
    kb, home = tmp_path / "dc-knowledge", tmp_path / "dagster_home"
    data_memory = dc.DataMemory(root=str(memory.root), knowledge_base=str(kb), storage_options={"s3://": plain},
                                storage_credentials={"s3://": {"secret": dg.EnvVar("DC_TEST_S3_SECRET")}})
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize([secret_notes], instance=instance, resources={
            "data_memory": data_memory, "dataset_io_manager": dc.DatasetIOManager(data_memory=data_memory)})
        assert result.success
        logs = "\n".join(str(e) for e in instance.all_logs(result.run_id))
    assert "secret" not in storage_options_for("s3://")  # the resource's options stayed inside its runs
    assert sorted(dc.read_dataset("secret_notes").to_values("words")) == [1, 2, 3]
    assert (kb / "datasets" / "secret_notes.md").exists() and any(home.rglob("*.db"))
    assert files_holding("DC_TEST_S3_SECRET", home)  # the run's config snapshot names the variable...
    assert files_holding(secret, home, memory.root, kb) == []  # ...and holds its value nowhere
    assert secret not in data_memory_text(memory) and secret not in logs
