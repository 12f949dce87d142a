"""Behaviours where DataChain 0.62 and this package used to differ, on the same small scripts; the literal expected
values are what DataChain 0.62 returned for these scripts (recorded once with `import datachain as dc`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import dagster_datachain as dc


class M(dc.DataModel):
    v: int


def test_a_one_tuple_fills_the_one_output(memory):
    def one(n: int) -> tuple[int]:
        return (n,)

    assert dc.read_values(n=[1, 2]).map(one, output={"x": int}).to_list() == [(1, 1), (2, 2)]  # DataChain 0.62


def test_map_of_several_udfs_feeds_one_into_the_next(memory):
    def a(n: int) -> int:
        return n + 1

    def b(a: int) -> int:
        return a * 10

    assert dc.read_values(n=[1, 2]).map(a=a, b=b).to_list() == [(1, 2, 20), (2, 3, 30)]  # DataChain 0.62


def test_a_generator_returning_none_yields_no_rows(memory):
    def nothing(n: int) -> Iterator[int]:
        return None

    assert dc.read_values(n=[1, 2]).gen(x=nothing).to_list() == []  # DataChain 0.62


def test_tuple_of_models_output(memory):
    def two(n: int) -> tuple[M, M]:
        return M(v=n), M(v=-n)

    rows = dc.read_values(n=[1, 2]).map(two, output={"p": M, "q": M}).to_list()
    assert rows == [(1, M(v=1), M(v=-1)), (2, M(v=2), M(v=-2))]  # DataChain 0.62


def test_left_merge_gives_none_for_missing_right_rows(memory):
    right = dc.read_values(n=[1], m=[M(v=5)])
    rows = dc.read_values(n=[1, 2]).merge(right, on="n").to_list()
    assert rows == [(1, 1, M(v=5)), (2, None, None)]  # DataChain 0.62


def test_mutate_overwrites_a_nested_field(memory):
    chain = dc.read_values(file=[dc.File(path="a.txt", source="file:///x", size=3)], n=[1])
    assert [f.path for f in chain.mutate(file__path="b.txt").to_values("file")] == ["b.txt"]  # DataChain 0.62
    changed = chain.mutate(file__size=dc.C("n") + 10).to_values("file")[0]
    assert (changed.path, changed.size, changed.source) == ("a.txt", 11, "file:///x")


def test_user_exception_keeps_its_type_in_process_and_in_workers(memory):
    def boom(n: int) -> int:
        if n == 2:
            raise KeyError("mine")
        return n

    for chain in (dc.read_values(n=[1, 2, 3]), dc.read_values(n=[1, 2, 3]).settings(parallel=2, batch_size=1)):
        with pytest.raises(KeyError) as error:  # DataChain 0.62: KeyError 'mine'
            chain.map(x=boom).to_list()
        assert error.value.args == ("mine",)
        assert error.value.__notes__[-1] == "UDF 'boom' failed on input row #1: KeyError: 'mine'"


def test_schema_values_are_python_types_and_models(memory):
    chain = dc.read_values(n=[1], m=[M(v=5)])
    assert chain.schema == {"n": int | None, "m": M}  # DataChain 0.62: {'n': int, 'm': M} (nullability differs)
    assert chain.specs["m"].fields["v"].kind == "int"  # the storage description stays available
    assert dc.read_storage.__name__ and dc.File in dc.read_values(file=[dc.File(path="a")]).schema.values()
