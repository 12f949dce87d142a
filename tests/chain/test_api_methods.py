"""DataChain 0.62's chain methods and parameters, run on the same small scripts; the literal expected values are
what DataChain 0.62 returned for these scripts (recorded once with `import datachain as dc`)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

import dagster_datachain as dc


class Pt(dc.DataModel):
    x: int
    y: float


@pytest.fixture
def chain(memory):
    return dc.read_values(n=[1, 2, 3], s=["a", "b", "c"])


def test_union_operator_and_to_iter(chain):
    assert sorted((chain | chain).to_list()) == [(1, "a"), (1, "a"), (2, "b"), (2, "b"), (3, "c"), (3, "c")]
    assert list(chain.to_iter("n")) == [(1,), (2,), (3,)]  # DataChain 0.62: tuples, even for one column
    assert list(chain.to_iter()) == [(1, "a"), (2, "b"), (3, "c")]


def test_to_records(chain):
    assert chain.to_records() == [{"n": 1, "s": "a"}, {"n": 2, "s": "b"}, {"n": 3, "s": "c"}]  # DataChain 0.62
    assert dc.read_values(pt=[Pt(x=1, y=2.0)]).to_records() == [{"pt__x": 1, "pt__y": 2.0}]  # DataChain 0.62


def test_to_json_jsonl_csv(chain, tmp_path):
    chain.to_json(tmp_path / "o.json")
    chain.to_jsonl(tmp_path / "o.jsonl")
    chain.to_csv(tmp_path / "o.csv")
    points = dc.read_values(pt=[Pt(x=1, y=2.0)])
    points.to_json(tmp_path / "p.json")
    points.to_csv(tmp_path / "p.csv")
    # DataChain 0.62's files, byte for byte
    assert (tmp_path / "o.json").read_text() == '[\n{"n":1,"s":"a"},\n{"n":2,"s":"b"},\n{"n":3,"s":"c"}\n]\n'
    assert (tmp_path / "o.jsonl").read_text() == '{"n":1,"s":"a"}\n{"n":2,"s":"b"}\n{"n":3,"s":"c"}'
    assert (tmp_path / "o.csv").read_text() == "n,s\n1,a\n2,b\n3,c\n"
    assert (tmp_path / "p.json").read_text() == '[\n{"pt":{"x":1,"y":2.0}}\n]\n'
    assert (tmp_path / "p.csv").read_text() == "pt.x,pt.y\n1,2.0\n"
    assert json.loads((tmp_path / "o.json").read_text())[0] == {"n": 1, "s": "a"}


def test_to_json_writes_to_a_storage_uri(chain, tmp_path):
    chain.to_jsonl(f"file://{tmp_path}/out.jsonl")
    assert (tmp_path / "out.jsonl").read_text().splitlines()[0] == '{"n":1,"s":"a"}'


def test_exec_persist_clone(chain):
    calls = []

    def double(n: int) -> int:
        calls.append(n)
        return 2 * n

    mapped = chain.map(d=double)
    assert mapped.exec().to_values("d") == [2, 4, 6]  # DataChain 0.62: exec() returns the chain
    assert mapped.persist().to_values("d") == [2, 4, 6]
    assert len(calls) == 3  # ran once: later steps reuse the results
    assert chain.clone().to_list() == [(1, "a"), (2, "b"), (3, "c")]


def test_column_accessors(chain):
    assert chain.filter(chain.c("n") > 1).count() == 2
    assert chain.filter(chain.column("s") == "c").to_values("n") == [3]
    with pytest.raises(dc.DataChainColumnError, match="zz"):  # DataChain 0.62: "... zz not found in the schema"
        chain.column("zz")


def test_name_and_version(chain):
    assert (chain.name, chain.version) == (None, None)  # DataChain 0.62
    saved = chain.save("nums")
    assert (saved.name, saved.version) == ("nums", "1.0.0")  # DataChain 0.62
    assert dc.read_dataset("nums").filter(dc.C("n") > 1).name == "nums"


def test_show_empty_none_truncate_transpose(memory, capsys):
    chain = dc.read_values(n=[1, 2], s=["x" * 100, None])
    chain.filter(dc.C("n") > 5).show()
    chain.show()
    dc.read_values(n=[1, 2], s=["ab", None]).show(transpose=True)
    # DataChain 0.62's output
    assert capsys.readouterr().out == (
        "Empty result\nColumns: ['n', 's']\n"
        "   n                                                  s\n"
        "0  1  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\n"
        "1  2                                               None\n"
        "    0     1\nn   1     2\ns  ab  None\n"
    )
    chain.limit(1).show(truncate=False)
    assert "x" * 100 in capsys.readouterr().out


def test_repr_is_the_schema_tree(memory):
    assert repr(dc.read_values(n=[1], pt=[Pt(x=1, y=2.0)])) == "n: int\npt: Pt\n  x: int\n  y: float"


def test_to_pandas_as_object(memory):
    frame = dc.read_values(n=[1, 2], s=["a", None]).to_pandas(as_object=True)
    assert frame.dtypes.tolist() == [object, object]  # DataChain 0.62
    assert frame["s"].tolist() == ["a", None]  # DataChain 0.62


def test_to_parquet_partitions_and_chunks(memory, tmp_path):
    chain = dc.read_values(n=[1, 2, 3], p=["a", "b", "a"])
    chain.to_parquet(tmp_path / "part", partition_cols=["p"])
    assert sorted(os.listdir(tmp_path / "part")) == ["p=a", "p=b"]  # DataChain 0.62
    back = pd.read_parquet(tmp_path / "part").sort_values("n")
    assert back["n"].tolist() == [1, 2, 3] and back["p"].astype(str).tolist() == ["a", "b", "a"]  # DataChain 0.62
    chain.to_parquet(tmp_path / "one.parquet", chunk_size=2)
    assert pd.read_parquet(tmp_path / "one.parquet")["n"].tolist() == [1, 2, 3]


def test_save_attrs_are_listed_by_datasets(chain):
    chain.save("nums", attrs=["raw", "team=vision"])
    chain.filter(dc.C("n") > 1).save("nums")
    assert dc.datasets().filter(dc.C("name") == "nums").to_values("attrs") == [["raw", "team=vision"], []]
    dc.delete_dataset("nums", version="1.0.0")
    assert dc.datasets().filter(dc.C("name") == "nums").to_values("attrs") == [[]]


def test_settings_accepts_datachain_only_options(chain):
    assert chain.settings(ephemeral=True, workers=2, min_task_size=1).count() == 3


def test_agg_without_partition_by_sees_all_rows(chain):
    def total(n: list[int]) -> list[int]:
        return [sum(n)]

    assert chain.agg(t=total).to_values("t") == [6]  # DataChain 0.62


def test_dict_values_stay_dicts(memory):
    assert dc.read_values(m=[{"a": 1}]).to_list() == [({"a": 1},)]  # DataChain 0.62


# ============================================================================ reader parameters


def test_read_values_output_and_in_memory(memory):
    chain = dc.read_values(n=[1, 2], output={"n": float}, in_memory=True)
    assert chain.to_list() == [(1.0,), (2.0,)]  # DataChain 0.62
    nested = dc.read_values(a=[1], b=["x"], column="t")
    assert nested.column_names == ["t"] and nested.to_records() == [{"t__a": 1, "t__b": "x"}]


def test_read_pandas_names_nan_and_column(memory):
    chain = dc.read_pandas(pd.DataFrame({"A": [1.0, float("nan")], "Name": ["x", "y"]}), in_memory=True)
    rows = chain.to_list()
    assert chain.column_names == ["a", "name"]  # DataChain 0.62: lower-cased
    assert rows[0] == (1.0, "x") and rows[1][0] != rows[1][0] and rows[1][1] == "y"  # DataChain 0.62: (nan, 'y')
    multi = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "X"), ("b", "y")]))
    flat = dc.read_pandas(multi)
    assert (flat.column_names, flat.to_list()) == (["a_x", "b_y"], [(1, 2)])  # DataChain 0.62
    nested = dc.read_pandas(pd.DataFrame({"a": [1.0], "b": ["x"]}), column="t")
    assert [(t.a, t.b) for t in nested.to_values("t")] == [(1.0, "x")]  # DataChain 0.62: t(a=1.0, b='x')


@pytest.fixture
def versions(memory):
    for version in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]:
        dc.read_values(n=[int(version[0]), int(version[2])]).save("vv", version=version)


@pytest.mark.parametrize(("asked", "found"), [
    (1, "1.2.0"), ("1.0.0", "1.0.0"), (">=1.1.0", "2.0.0"), ("~=1.0", "1.2.0"), ("==1.*", "1.2.0"),
    ("<1.1", "1.0.0"),
])  # DataChain 0.62's answers
def test_read_dataset_version_specifiers(versions, asked, found):
    assert dc.read_dataset("vv", version=asked, delta_unsafe=False, delta_retry=None).version == found


def test_read_dataset_version_specifier_without_match(versions):
    with pytest.raises(dc.DatasetVersionNotFoundError, match="~=3.0"):
        dc.read_dataset("vv", version="~=3.0")


def test_datasets_flat_columns_and_column(versions):
    flat = dc.datasets().filter(dc.C("name") == "vv")
    assert flat.to_values("version") == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]  # DataChain 0.62
    assert flat.to_values("num_objects") == [2, 2, 2, 2]  # DataChain 0.62
    nested = dc.datasets(column="ds")
    assert [info.version for info in nested.to_values("ds")] == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]


def test_delete_dataset_latest_then_force(versions):
    listed = lambda: dc.datasets().filter(dc.C("name") == "vv").to_values("version")  # noqa: E731
    dc.delete_dataset("vv")
    assert listed() == ["1.0.0", "1.1.0", "1.2.0"]  # DataChain 0.62: the latest version only
    dc.delete_dataset("vv", version="1.0.0")
    assert listed() == ["1.1.0", "1.2.0"]  # DataChain 0.62
    dc.delete_dataset("vv", force=True)
    assert listed() == []  # DataChain 0.62


def test_file_uris_in_table_readers(memory, tmp_path):
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(tmp_path / "t.parquet")
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "t.json").write_text('[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]')
    for read, name in ((dc.read_parquet, "t.parquet"), (dc.read_csv, "t.csv"), (dc.read_json, "t.json")):
        assert read(f"file://{tmp_path}/{name}").to_list() == [(1, "x"), (2, "y")]  # DataChain 0.62 (parquet)


def test_similarity_search_empty_apply_chunk(memory, capsys):
    chain = dc.read_values(id=[1, 2, 3], emb=[[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    assert chain.similarity_search("emb", [1.0, 0.1], k=2).to_values("id") == [1, 3]  # DataChain 0.62
    scored = chain.similarity_search("emb", [1.0, 0.1], k=None, score_column="d")
    assert scored.to_values("id") == [1, 3, 2] and "d" in scored.column_names  # DataChain 0.62
    assert (chain.empty, chain.filter(dc.C("id") > 5).empty) == (False, True)  # DataChain 0.62
    assert chain.apply(lambda c, n: c.filter(dc.C("id") > n), 1).count() == 2  # DataChain 0.62
    assert sorted(chain.chunk(0, 2).to_values("id") + chain.chunk(1, 2).to_values("id")) == [1, 2, 3]
    chain.select("id").print_schema()
    assert capsys.readouterr().out == "id: int\n"


def test_explode_parses_json_into_a_model(memory):
    chain = dc.read_values(j=['{"a": 1, "b": {"x": "s"}}', '{"a": 2, "b": {"x": "t"}}'])
    exploded = chain.explode("j")
    assert exploded.column_names == ["j", "j_expl"]  # DataChain 0.62
    assert [(m.a, m.b.x) for m in exploded.to_values("j_expl")] == [(1, "s"), (2, "t")]  # DataChain 0.62
    named = chain.explode("j", model_name="Rec", column="rec").to_values("rec")
    assert type(named[0]).__name__ == "Rec" and named[1].a == 2  # DataChain 0.62: Rec(a=2, ...)


def test_read_json_jmespath(memory, tmp_path):
    (tmp_path / "n.json").write_text(json.dumps({"data": {"items": [{"a": 1}, {"a": 2}]}}))
    chain = dc.read_json(str(tmp_path / "n.json"), jmespath="data.items")
    assert chain.to_values("a") == [1, 2]  # DataChain 0.62 nests them in one model column: data.a == [1, 2]


def test_parse_tabular_reads_the_rows_of_each_file(memory, tmp_path):
    (tmp_path / "tab").mkdir()
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(tmp_path / "tab" / "one.csv", index=False)
    pd.DataFrame({"a": [3], "b": ["z"]}).to_csv(tmp_path / "tab" / "two.csv", index=False)
    files = dc.read_storage(str(tmp_path / "tab"))
    rows = files.parse_tabular(format="csv").order_by("a")
    assert [r[1:] for r in rows.to_list()] == [(1, "x"), (2, "y"), (3, "z")]  # DataChain 0.62
    assert rows.to_values("source.file.path") == ["one.csv", "one.csv", "two.csv"]
    assert rows.to_values("source.index") == [0, 1, 0]
    assert isinstance(rows.to_values("source")[0], dc.ArrowRow)
    plain = files.parse_tabular(source=False, nrows=1).order_by("a")
    assert (plain.column_names, plain.to_list()) == (["a", "b"], [(1, "x"), (3, "z")])  # DataChain 0.62 columns
