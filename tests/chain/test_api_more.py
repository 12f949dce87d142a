"""More of DataChain 0.62's public names and chain methods, run on the same small scripts; the literal expected
values are what DataChain 0.62 returned for these scripts (recorded once with `import datachain as dc`)."""

from __future__ import annotations

import datetime

import pytest

import dagster_datachain as dc

UTC = datetime.UTC


class Pt(dc.DataModel):
    x: int
    y: float


# ----------------------------------------------------------------------------- Session, jobs, namespaces


def test_is_local_and_is_studio():
    assert (dc.is_local(), dc.is_studio()) == (True, False)  # DataChain 0.62, outside Studio


def test_session_get_returns_the_innermost_session(memory):
    outer = dc.Session.get()
    assert outer is dc.Session.get()  # one global session
    assert outer.name.startswith("global_")
    with dc.Session("abc") as inner:
        assert dc.Session.get() is inner
        assert inner.name.startswith("abc_") and len(inner.name) == len("abc_") + 6  # DataChain 0.62: abc_851f8a
    assert dc.Session.get() is outer
    with pytest.raises(ValueError, match="only letters or numbers - 'a-b' given"):
        dc.Session("a-b")


def test_session_chooses_the_data_memory(memory, tmp_path):
    other = tmp_path / "other-dm"
    with dc.Session("other", memory=other) as session:
        dc.read_values(n=[1]).save("inside")
        assert dc.datasets().to_values("name") == ["inside"]
        assert session.memory.root == other
    assert dc.datasets().to_values("name") == []  # the default Data Memory is untouched
    assert dc.read_dataset("inside", session=session).to_values("n") == [1]  # session= picks its Data Memory
    dc.read_values(n=[2], session=session).save("passed", )
    assert sorted(dc.datasets(session=session).to_values("name")) == ["inside", "passed"]


def test_in_memory_session_is_removed_at_its_end(memory):
    with dc.Session("tmp", in_memory=True) as session:
        dc.read_values(n=[1]).save("scratch")
        root = session.memory.root
        assert dc.datasets().to_values("name") == ["scratch"]
    assert not root.exists()
    assert dc.datasets().to_values("name") == []


def test_chain_session_job_namespace_project(memory):
    chain = dc.read_values(a=[1, 2])
    assert chain.session is dc.Session.get()
    assert (chain.namespace_name, chain.project_name) == ("local", "local")  # DataChain 0.62's local mode
    job = chain.job
    assert (job.status, job.query_type, job.workers, job.params) == (4, 1, 1, {})  # DataChain 0.62: RUNNING
    assert job.id == chain.job.id  # one job per process
    with pytest.raises(RuntimeError, match="Cannot access job in ephemeral mode"):
        _ = chain.settings(ephemeral=True).job


def test_job_is_the_dagster_run_that_saves(memory):
    from dagster_datachain.chain.save import set_run_id

    set_run_id("run-123")
    try:
        assert dc.read_values(a=[1]).job.id == "run-123"
    finally:
        set_run_id(None)


def test_metrics_and_param(monkeypatch):
    dc.metrics.set("acc", 0.5)
    assert dc.metrics.get("acc") == 0.5
    assert dc.read_values(a=[1]).job.metrics["acc"] == 0.5
    with pytest.raises(KeyError):
        dc.metrics.get("never-set")
    with pytest.raises(TypeError, match="Value must be a string, int, float or bool"):
        dc.metrics.set("x", [1])
    assert (dc.param("x"), dc.param("x", "d")) == (None, "d")  # DataChain 0.62 without parameters
    monkeypatch.setenv("DATACHAIN_QUERY_PARAMS", '{"x": "1"}')
    assert dc.param("x") == "1"


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: dc.create_project("dev", "p", "d"), dc.ProjectCreateNotAllowedError, "Creating project is not allowed"),
    (lambda: dc.delete_namespace("local"), dc.NamespaceDeleteNotAllowedError, "Namespace local cannot be removed"),
    (lambda: dc.delete_namespace("system"), dc.NamespaceDeleteNotAllowedError, "Namespace system cannot be removed"),
    (lambda: dc.delete_namespace("nope"), dc.NamespaceNotFoundError, "Namespace nope not found."),
    (lambda: dc.delete_namespace("local.local"), dc.ProjectDeleteNotAllowedError, "Project local cannot be removed"),
    (lambda: dc.delete_namespace("system.listing"), dc.ProjectDeleteNotAllowedError,
     "Project listing cannot be removed"),
    (lambda: dc.delete_namespace("nope.x"), dc.ProjectNotFoundError, "Project x in namespace nope not found."),
    (lambda: dc.delete_namespace("a.b.c"), dc.InvalidNamespaceNameError, "Invalid namespace format: a.b.c."),
])
def test_namespaces_and_projects_of_the_local_mode(call, error, message):
    with pytest.raises(error) as raised:  # DataChain 0.62: these exception names and messages
        call()
    assert str(raised.value).startswith(message)


def test_delta_properties(memory, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    plain = dc.read_storage(tmp_path / "d")
    assert (plain.delta, plain.delta_unsafe) == (False, False)  # DataChain 0.62
    changing = dc.read_storage(tmp_path / "d", delta=True)
    assert (changing.delta, changing.delta_unsafe) == (True, False)
    unsafe = dc.read_storage(tmp_path / "d", delta=True, delta_unsafe=True)
    assert (unsafe.delta, unsafe.delta_unsafe) == (True, True)
    plain.save("files")
    assert dc.read_dataset("files", delta=True, delta_unsafe=True).delta_unsafe is True


# ----------------------------------------------------------------------------- settings and results


def test_reset_settings(memory):
    chain = dc.read_values(n=[1, 2]).settings(batch_size=3, cache=True)
    reset = chain.reset_settings()
    assert (reset._settings.batch_size, reset._settings.cache) == (1000, False)
    assert reset.to_values("n") == [1, 2]


@pytest.fixture
def typed(memory):
    when = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    return dc.read_values(n=[1, 2], s=["a", None], pt=[Pt(x=1, y=2.0), Pt(x=3, y=4.5)], l=[[1, 2], [3]],
                          d=[{"a": 1}, {"b": 2}], b=[True, False], t=[when, when], by=[b"x", b"y"])


def test_results(typed):
    when = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert typed.results() == [  # DataChain 0.62
        (1, "a", 1, 2.0, [1, 2], {"a": 1}, True, when, b"x"),
        (2, None, 3, 4.5, [3], {"b": 2}, False, when, b"y"),
    ]
    assert typed.results(row_factory=lambda names, row: dict(zip(names, row, strict=True)))[0] == {
        "n": 1, "s": "a", "pt__x": 1, "pt__y": 2.0, "l": [1, 2], "d": {"a": 1}, "b": True, "t": when, "by": b"x"}
    assert typed.to_records()[1]["d"] == {"b": 2}  # dict columns come back as dicts, as in DataChain 0.62


def test_results_without_hidden_fields(memory, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    rows = dc.read_storage(tmp_path / "d").results(include_hidden=False)
    assert rows == [("a.txt", 1)]  # File's path and size; its hidden fields left out


def test_to_columnar_data_with_names(typed):
    names, chunks = typed.to_columnar_data_with_names(1)
    assert names == ["n", "s", "pt.x", "pt.y", "l", "d", "b", "t", "by"]  # DataChain 0.62
    when = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert list(chunks) == [
        [[1], ["a"], [1], [2.0], [[1, 2]], [{"a": 1}], [True], [when], [b"x"]],
        [[2], [None], [3], [4.5], [[3]], [{"b": 2}], [False], [when], [b"y"]],
    ]
    assert [len(chunk[0]) for chunk in typed.to_columnar_data_with_names(5)[1]] == [2]


# ----------------------------------------------------------------------------- diff and file_diff


@pytest.fixture
def people(memory):
    left = dc.read_values(id=[1, 2, 3, 4], name=["a", "b", "c", None], v=[1.0, 2.0, 3.0, 4.0])
    right = dc.read_values(id=[2, 3, 4, 5], name=["b", "x", None, "e"], v=[2.0, 3.0, 4.0, 5.0])
    return left, right


def test_diff_marks_each_row(people):
    left, right = people
    result = left.diff(right, on="id", same=True, status_col="st")
    assert list(result.schema) == ["st", "id", "name", "v"]  # DataChain 0.62: the status column first
    assert sorted(result.to_list()) == [  # DataChain 0.62
        ("A", 1, "a", 1.0), ("D", 5, None, None), ("M", 3, "c", 3.0), ("S", 2, "b", 2.0), ("S", 4, None, 4.0)]
    assert sorted(left.diff(right, on="id").to_list()) == [(1, "a", 1.0), (3, "c", 3.0), (5, None, None)]


def test_diff_with_compare_and_right_columns(people):
    left, right = people
    by_v = left.diff(right, on="id", compare="v", status_col="s", same=True)
    assert sorted(by_v.to_list()) == [  # DataChain 0.62
        ("A", 1, "a", 1.0), ("D", 5, None, None), ("S", 2, "b", 2.0), ("S", 3, "c", 3.0), ("S", 4, None, 4.0)]
    other = dc.read_values(oid=[2, 3, 9], nm=["b", "z", "q"])
    renamed = left.diff(other, on="id", right_on="oid", compare="name", right_compare="nm", status_col="s",
                        same=True)
    assert sorted(renamed.to_list(), key=str) == [  # DataChain 0.62
        ("A", 1, "a", 1.0), ("A", 4, None, 4.0), ("D", 9, None, None), ("M", 3, "c", 3.0), ("S", 2, "b", 2.0)]


def test_diff_with_other_columns_marks_matches_modified(people):
    left, _ = people
    fewer = dc.read_values(id=[2, 3], name=["b", "c"])
    assert sorted(left.diff(fewer, on="id", status_col="s", same=True).to_list()) == [  # DataChain 0.62
        ("A", 1, "a", 1.0), ("A", 4, None, 4.0), ("M", 2, "b", 2.0), ("M", 3, "c", 3.0)]


def test_diff_argument_errors(people):
    left, right = people
    with pytest.raises(ValueError, match="At least one of added, deleted, modified, same flags must be set"):
        left.diff(right, on="id", added=False, deleted=False, modified=False, same=False)
    with pytest.raises(ValueError, match="'compare' must be defined if 'right_compare' is defined"):
        left.diff(right, on="id", right_compare="v")
    with pytest.raises(ValueError, match="'on' and 'right_on' must be have the same length"):
        left.diff(right, on=["id", "v"], right_on="id")


@pytest.fixture
def folders(memory, tmp_path):
    one, two = tmp_path / "d1", tmp_path / "d2"
    one.mkdir()
    two.mkdir()
    (one / "a.txt").write_text("a\n")
    (one / "b.txt").write_text("b\n")
    (one / "s.txt").write_text("same\n")
    (two / "b.txt").write_text("bb\n")
    (two / "c.txt").write_text("c\n")
    (two / "s.txt").write_text("same\n")
    return dc.read_storage(one), dc.read_storage(two), one.as_uri(), two.as_uri()


def test_file_diff(folders):
    left, right, one, two = folders
    marked = left.file_diff(right, added=True, deleted=True, modified=True, same=True, status_col="st")
    assert sorted(marked.to_list("st", "file.path", "file.source", "file.size")) == [  # DataChain 0.62
        ("A", "a.txt", one, 2), ("A", "b.txt", one, 2), ("A", "s.txt", one, 5),
        ("D", "b.txt", two, None), ("D", "c.txt", two, None), ("D", "s.txt", two, None)]
    assert sorted(f.path for f in left.file_diff(right).to_values("file")) == ["a.txt", "b.txt", "s.txt"]
    saved = left.save("files")
    assert left.file_diff(saved, same=True, status_col="s").to_values("s") == ["S", "S", "S"]


def test_diff_on_a_file_field(folders):
    left, right, _, _ = folders
    everything = left.diff(right, on="file.path", status_col="s", same=True, deleted=True)
    assert sorted(everything.to_list("s", "file.path", "file.size")) == [  # DataChain 0.62
        ("A", "a.txt", 2), ("D", "c.txt", None), ("M", "b.txt", 2), ("M", "s.txt", 5)]
    by_size = left.diff(right, on="file.path", compare="file.size", status_col="s", same=True, deleted=True)
    assert sorted(by_size.to_list("s", "file.path", "file.size")) == [
        ("A", "a.txt", 2), ("D", "c.txt", None), ("M", "b.txt", 2), ("S", "s.txt", 5)]


# ----------------------------------------------------------------------------- listings and move_dataset


def test_listings(memory, tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.txt").write_text("hello\n")
    (tmp_path / "data" / "sub" / "b.txt").write_text("world\n")
    dc.read_storage(tmp_path / "data").count()
    chain = dc.listings()
    assert list(chain.schema) == ["listing"]
    (info,) = chain.to_values("listing")
    uri = (tmp_path / "data").as_uri() + "/"
    # DataChain 0.62: ListingInfo(name='lst__file:///.../data/', namespace='system', project='listing', ...)
    assert (info.name, info.namespace, info.project, info.version, info.status) == (
        f"lst__{uri}", "system", "listing", "1.0.0", 4)
    assert (info.uri, info.versions, info.num_objects, info.size, info.is_expired) == (uri, True, 2, 12, False)
    assert info.expires > info.finished_at and info.contains(f"lst__{uri}sub/")
    assert dc.listings(column="l").to_list("l.num_objects") == [(2,)]


def test_move_dataset(memory):
    dc.read_values(a=[1]).save("cats")
    dc.read_values(a=[1, 2]).save("cats", update_version="patch")
    dc.read_values(b=[1]).save("dogs")
    dc.read_dataset("cats").mutate(c=dc.C("a") * 2).save("derived")
    assert dc.move_dataset("cats", "kittens") is None  # DataChain 0.62 returns None
    assert dc.datasets().to_list("name", "version") == [  # DataChain 0.62
        ("derived", "1.0.0"), ("dogs", "1.0.0"), ("kittens", "1.0.0"), ("kittens", "1.0.1")]
    assert dc.read_dataset("kittens", version="1.0.1").to_values("a") == [1, 2]
    assert [e.name for e in dc.read_dataset("derived").dataset.lineage] == ["kittens"]
    dc.move_dataset("local.local.kittens", "local.local.cats2")  # DataChain's qualified names
    assert dc.read_dataset("cats2", version="1.0.0").to_values("a") == [1]
    dc.read_values(a=[3]).save("cats2")
    assert dc.datasets().filter(dc.C("name") == "cats2").to_values("version") == ["1.0.0", "1.0.1", "1.0.2"]
    with pytest.raises(dc.DatasetNotFoundError, match="Dataset nope not found"):
        dc.move_dataset("nope", "x")
    with pytest.raises(dc.DataChainError, match="'dogs' already exists"):
        dc.move_dataset("cats2", "dogs")


def test_moved_dataset_keeps_its_delta_state(memory, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    calls = []

    def size(file: dc.File) -> int:
        calls.append(file.path)
        return len(file.read())

    dc.read_storage(tmp_path / "d", delta=True).map(n=size).save("sizes")
    dc.move_dataset("sizes", "lengths")
    (tmp_path / "d" / "b.txt").write_text("bb")
    dc.read_storage(tmp_path / "d", delta=True).map(n=size).save("lengths")
    assert calls == ["a.txt", "b.txt"]  # the delta run after the move processed only the new file
    assert sorted(dc.read_dataset("lengths").to_values("n")) == [1, 2]


# ----------------------------------------------------------------------------- to_storage


def _tree(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def nested_files(memory, tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.txt").write_text("hello\n")
    (tmp_path / "data" / "sub" / "b.txt").write_text("world\n")
    return dc.read_storage(tmp_path / "data")


@pytest.mark.parametrize(("placement", "expected"), [
    ("filename", ["a.txt", "b.txt"]), ("filepath", ["a.txt", "sub/b.txt"]), ("fullpath", ["a.txt", "sub/b.txt"])])
def test_to_storage_placements(nested_files, tmp_path, placement, expected):
    assert nested_files.to_storage(tmp_path / "out", placement=placement) is None
    assert _tree(tmp_path / "out") == expected  # DataChain 0.62 (local sources: fullpath is the path)
    assert (tmp_path / "out" / expected[-1]).read_text() == "world\n"


def test_to_storage_etag_symlink_and_errors(nested_files, tmp_path):
    nested_files.to_storage(tmp_path / "etag", placement="etag")
    etags = sorted(f"{f.etag}.txt" for f in nested_files.to_values("file"))
    assert _tree(tmp_path / "etag") == sorted(set(etags))
    nested_files.to_storage(tmp_path / "links", placement="filename", link_type="symlink")
    assert all((tmp_path / "links" / n).is_symlink() for n in ("a.txt", "b.txt"))  # DataChain 0.62
    assert (tmp_path / "links" / "b.txt").read_text() == "world\n"
    (tmp_path / "data" / "x").mkdir()
    (tmp_path / "data" / "x" / "a.txt").write_text("again\n")
    with pytest.raises(ValueError, match="Files with the same name found"):  # DataChain 0.62
        dc.read_storage(tmp_path / "data").to_storage(tmp_path / "dup", placement="filename")
    with pytest.raises(NotImplementedError, match="Checksum placement not implemented yet"):
        nested_files.to_storage(tmp_path / "c", placement="checksum")
    with pytest.raises(ValueError, match="Unsupported file export placement: bogus"):
        nested_files.to_storage(tmp_path / "c", placement="bogus")
    with pytest.raises(ValueError, match="column 'size' holds no files"):
        nested_files.mutate(size=dc.C("file.size")).to_storage(tmp_path / "c", signal="size")


def test_to_storage_into_and_out_of_a_bucket(nested_files, s3_server, tmp_path):
    bucket = s3_server.make_bucket("exported")
    dc.register_storage_options(bucket, s3_server.storage_options)
    nested_files.to_storage(f"{bucket}/copies", placement="filepath")
    fs = s3_server.fs()
    assert sorted(fs.find("exported/copies")) == ["exported/copies/a.txt", "exported/copies/sub/b.txt"]
    assert fs.cat("exported/copies/sub/b.txt") == b"world\n"
    dc.read_storage(f"{bucket}/copies/", update=True).to_storage(tmp_path / "full")
    assert _tree(tmp_path / "full") == ["exported/copies/a.txt", "exported/copies/sub/b.txt"]  # fullpath: bucket kept


# ----------------------------------------------------------------------------- to_database and read_database


def test_to_database_with_a_sqlite3_connection(typed, tmp_path):
    import sqlite3

    con = sqlite3.connect(tmp_path / "t.db")
    assert typed.to_database("tbl", con) == 2  # DataChain 0.62: rows written
    assert con.execute("SELECT * FROM tbl").fetchall() == [  # DataChain 0.62's stored values
        (1, "a", 1, 2.0, "[1,2]", '{"a": 1}', 1, "2024-01-01 00:00:00.000000", b"x"),
        (2, None, 3, 4.5, "[3]", '{"b": 2}', 0, "2024-01-01 00:00:00.000000", b"y")]
    assert typed.to_database("tbl", con) == 2  # appends to the existing table
    assert con.execute("SELECT count(*) FROM tbl").fetchone() == (4,)
    con.close()


def test_to_database_with_a_url_and_column_mapping(typed, tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 't.db'}"
    assert typed.to_database("tbl2", url, column_mapping={"pt.x": "px", "pt.y": None}) == 2
    con = sqlite3.connect(tmp_path / "t.db")
    columns = [row[1] for row in con.execute("PRAGMA table_info(tbl2)")]
    assert columns == ["n", "s", "px", "l", "d", "b", "t", "by"]  # DataChain 0.62
    assert con.execute("SELECT n, px FROM tbl2").fetchall() == [(1, 1), (2, 3)]
    from collections import defaultdict

    only = defaultdict(lambda: None, {"n": "number"})  # a defaultdict skips every column it does not name
    typed.to_database("tbl3", url, column_mapping=only)
    assert con.execute("SELECT * FROM tbl3").fetchall() == [(1,), (2,)]
    con.close()


def test_to_database_conflicts_and_failures(memory, tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE kv (k INTEGER PRIMARY KEY, v VARCHAR)"))
        conn.execute(sa.text("INSERT INTO kv VALUES (1, 'old')"))
    rows = dc.read_values(k=[1, 2], v=["new", "two"])
    with pytest.raises(sa.exc.IntegrityError):  # DataChain 0.62: a conflict fails without on_conflict
        rows.to_database("kv", engine)
    rows.to_database("kv", engine, on_conflict="ignore")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT * FROM kv ORDER BY k")).fetchall() == [(1, "old"), (2, "two")]
    rows.to_database("kv", engine, on_conflict="update")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT * FROM kv ORDER BY k")).fetchall() == [(1, "new"), (2, "two")]
    with pytest.raises(ValueError, match="on_conflict must be 'ignore' or 'update', got: x"):
        rows.to_database("kv", engine, on_conflict="x")
    with pytest.raises(sa.exc.IntegrityError):
        (rows | rows).to_database("kv", engine)  # the existing table stays
    with pytest.raises(TypeError, match="Unsupported connection type: int"):
        rows.to_database("kv", 42)
    failing = rows.map(inv=lambda k: 1 // (k - 2), output=int)
    with pytest.raises(ZeroDivisionError):
        failing.to_database("fresh", engine)  # a table this call created is dropped again
    with engine.connect() as conn:
        assert sa.inspect(conn).has_table("kv") and not sa.inspect(conn).has_table("fresh")
        assert conn.execute(sa.text("SELECT count(*) FROM kv")).fetchone() == (2,)
    engine.dispose()


def test_read_database(memory, tmp_path):
    import sqlite3

    con = sqlite3.connect(tmp_path / "t.db")
    con.execute("CREATE TABLE tbl (n INTEGER, s VARCHAR, f FLOAT, b BLOB)")
    con.executemany("INSERT INTO tbl VALUES (?, ?, ?, ?)", [(1, "a", 2.0, b"x"), (2, None, 4.5, b"y")])
    con.commit()
    chain = dc.read_database("SELECT * FROM tbl", con)
    assert chain.schema == {"n": int, "s": str, "f": float, "b": bytes}  # DataChain 0.62
    assert chain.to_list() == [(1, "a", 2.0, b"x"), (2, None, 4.5, b"y")]
    picked = dc.read_database("SELECT n, s FROM tbl WHERE n > :v", f"sqlite:///{tmp_path / 't.db'}",
                              params={"v": 1}, output={"n": float})
    assert list(picked.schema) == ["s", "n"]  # DataChain 0.62: inferred columns first, then `output`
    assert picked.to_list() == [(None, 2.0)]  # DataChain 0.62
    con.close()


def test_session_get_in_memory_gives_a_temporary_session(memory):
    import gc

    scratch = dc.Session.get(in_memory=True)
    assert scratch is not dc.Session.get()
    root = scratch.memory.root
    assert root.exists()
    dc.read_values(n=[1], session=scratch).save("tmp")
    assert dc.datasets(session=scratch).to_values("name") == ["tmp"]
    scratch.memory.close()
    del scratch
    gc.collect()
    assert not root.exists()  # a temporary session that is never ended is removed when dropped


def test_datasets_have_datachains_fields(memory):
    dc.read_values(a=[1]).save("cats")
    chain = dc.datasets()
    assert list(chain.schema)[:16] == [  # DataChain 0.62's columns, in its order
        "name", "namespace", "project", "uuid", "version", "status", "created_at", "finished_at", "num_objects",
        "size", "params", "metrics", "error_message", "error_stack", "attrs", "query_script"]
    (row,) = chain.to_list("name", "namespace", "project", "version", "status", "num_objects", "params", "attrs")
    assert row == ("cats", "local", "local", "1.0.0", 4, 1, {}, [])  # DataChain 0.62
    (info,) = dc.datasets(column="d").to_values("d")
    assert info.uuid and info.finished_at == info.created_at


def test_diff_against_a_chain_with_a_udf(people):
    left, right = people
    doubled = right.map(v=lambda v: v * 2, output=float)  # replaces v on the right side
    result = left.diff(doubled, on="id", compare="v", status_col="s", same=True)
    assert sorted(result.to_list("s", "id")) == [("A", 1), ("D", 5), ("M", 2), ("M", 3), ("M", 4)]
    assert result.save("changes").to_values("s").count("M") == 3


def test_settings_namespace_and_project(memory):
    elsewhere = dc.read_values(a=[1]).settings(namespace="dev", project="p")
    assert (elsewhere.namespace_name, elsewhere.project_name) == ("dev", "p")  # DataChain 0.62
    with pytest.raises(dc.ProjectCreateNotAllowedError, match="Creating project is not allowed"):  # DataChain 0.62
        elsewhere.save("x")
    assert dc.read_values(a=[1]).settings(namespace="local", project="local").save("y").name == "y"


def test_qualified_local_names(memory):
    assert dc.read_values(a=[1]).save("local.local.w").name == "w"  # DataChain 0.62
    assert dc.read_dataset("local.local.w").to_values("a") == [1]  # DataChain 0.62
    assert dc.read_dataset("local.local.w@1.0.0").version == "1.0.0"
    assert dc.delete_dataset("local.local.w") == 1
    assert dc.datasets().count() == 0


def test_dataset_info_has_attr(memory):
    dc.read_values(a=[1]).save("labelled", attrs=["raw", "team=vision"])
    (info,) = dc.datasets(column="d").to_values("d")
    assert [info.has_attr(a) for a in ("raw", "team=vision", "team=*", "team=audio", "owner=*", "team")] == [
        True, True, True, False, False, False]  # DataChain 0.62's DatasetInfo.has_attr
    assert info.is_temp is False


def test_every_reader_takes_session(memory, tmp_path):
    import pandas as pd

    session = dc.Session("readers", memory=tmp_path / "session-dm")
    (tmp_path / "t.csv").write_text("a,b\n1,x\n")
    (tmp_path / "t.json").write_text('[{"a": 1}]')
    dc.read_values(a=[1]).to_parquet(tmp_path / "t.parquet")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "f.txt").write_text("f")
    chains = [
        dc.read_values(a=[1], session=session), dc.read_records([{"a": 1}], schema={"a": int}, session=session),
        dc.read_pandas(pd.DataFrame({"a": [1]}), session=session), dc.read_csv(tmp_path / "t.csv", session=session),
        dc.read_parquet(tmp_path / "t.parquet", session=session), dc.read_json(tmp_path / "t.json", session=session),
        dc.read_storage(tmp_path / "files", session=session), dc.datasets(session=session),
        dc.listings(session=session),
    ]
    assert {chain.memory.root for chain in chains} == {tmp_path / "session-dm"}
    chains[0].save("in_session")
    assert dc.read_dataset("in_session", session=session).memory.root == tmp_path / "session-dm"
    assert dc.listings(session=session).count() == 1 and dc.listings().count() == 0
    assert dc.delete_dataset("in_session", session=session) == 1
