"""DataChain 0.62's public names, run on the same small scripts; the literal expected values are what DataChain
0.62 returned for these scripts (recorded once with `import datachain as dc`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import dagster_datachain as dc


class Pt(dc.DataModel):
    x: int
    y: float


def test_data_model_is_a_storable_pydantic_base(memory):
    chain = dc.read_values(pt=[Pt(x=1, y=2.0)])
    assert chain.to_records() == [{"pt__x": 1, "pt__y": 2.0}]  # DataChain 0.62
    assert chain.to_values("pt") == [Pt(x=1, y=2.0)]


def test_column_is_c(memory):
    assert dc.Column is dc.C  # DataChain 0.62: True
    assert dc.read_values(n=[1, 2, 3]).filter(dc.Column("n") > 1).to_values("n") == [2, 3]


class Times(dc.Mapper):
    def setup(self) -> None:
        self.k = 10

    def process(self, n: int) -> int:
        return n * self.k


class Upto(dc.Generator):
    def process(self, n: int) -> Iterator[int]:
        yield from range(n)


class Total(dc.Aggregator):
    def process(self, n: list[int]) -> Iterator[int]:
        yield sum(n)


def test_class_based_udfs(memory):
    chain = dc.read_values(n=[1, 2, 3])
    assert chain.map(m=Times()).to_values("m") == [10, 20, 30]  # DataChain 0.62
    assert chain.gen(g=Upto()).to_values("g") == [0, 0, 1, 0, 1, 2]  # DataChain 0.62
    assert chain.agg(t=Total()).to_values("t") == [6]  # DataChain 0.62
    assert chain.map(m=Times).to_values("m") == [10, 20, 30]  # the class itself works too


class SetupPid(dc.Mapper):
    def setup(self) -> None:
        self.pid = os.getpid()

    def process(self, n: int) -> bool:
        return self.pid == os.getpid()


def test_mapper_setup_runs_in_each_worker(memory):
    chain = dc.read_values(n=list(range(40))).settings(parallel=2, batch_size=5)
    assert set(chain.map(same=SetupPid()).to_values("same")) == {True}


class Teardown(dc.Mapper):
    closed: list[str] = []

    def process(self, n: int) -> int:
        return n

    def teardown(self) -> None:
        Teardown.closed.append("done")


def test_mapper_teardown_runs_after_the_last_row(memory):
    assert dc.read_values(n=[1, 2]).map(m=Teardown()).to_values("m") == [1, 2]
    assert Teardown.closed == ["done"]


def test_a_changed_mapper_class_is_new_code(memory):
    class Plus(dc.Mapper):
        def __init__(self, k: int) -> None:
            self.k = k

        def process(self, n: int) -> int:
            return n + self.k

    dc.read_values(n=[1]).map(m=Plus(1)).save("plus")
    assert dc.read_values(n=[1]).map(m=Plus(2)).save("plus").to_values("m") == [3]


def test_read_records(memory):
    records = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    chain = dc.read_records(records, schema={"a": int, "b": str})
    assert chain.to_list() == [(1, "x"), (2, "y")]  # DataChain 0.62
    assert dc.read_records({"a": 1}, schema={"a": int}).to_list() == [(1,)]  # DataChain 0.62
    empty = dc.read_records([], schema={"a": int, "b": str})
    assert empty.to_list() == [] and empty.column_names == ["a", "b"]  # DataChain 0.62
    assert dc.read_records([{"pt": {"x": 1, "y": 2}}], schema={"pt": Pt}).to_values("pt") == [Pt(x=1, y=2.0)]
    with pytest.raises(dc.DataChainParamsError, match="'a'"):
        dc.read_records([{"a": "not a number"}], schema={"a": int})


def test_is_chain_type():
    # DataChain 0.62: True True True True, then False False
    assert [dc.is_chain_type(t) for t in (int, Pt, list[Pt], dict)] == [True, True, True, True]
    assert [dc.is_chain_type(t) for t in (object, set)] == [False, False]


def test_datachain_exception_names_are_raised_and_still_ours(memory):
    chain = dc.read_values(n=[1, 2, 3])
    # DataChain 0.62 raises these classes in these situations
    with pytest.raises(dc.DatasetMergeError):
        chain.merge(chain, on=["n"], right_on=["n", "n"])
    with pytest.raises(dc.SignalResolvingError, match="zz"):
        chain.map(x=lambda zz: zz, output=int)
    with pytest.raises(dc.DataChainParamsError, match="batch_size"):
        chain.settings(batch_size="x")
    with pytest.raises(dc.DataChainColumnError, match="zz"):
        chain.column("zz")
    with pytest.raises(dc.DatasetNotFoundError):
        dc.read_dataset("nope")
    chain.save("nums")
    with pytest.raises(dc.DatasetInvalidVersionError):
        dc.read_dataset("nums", version="x.y")
    with pytest.raises(dc.SetupError):
        chain.setup(x=1)  # DataChain 0.62 raises SetupError when the UDF runs; here at once
    with pytest.raises(dc.UdfSignatureError, match="takes 1 inputs"):
        chain.map(x=lambda n: n, params=["n", "n"], output=int)
    # ... and each is one of ours, so existing `except` clauses keep working
    assert issubclass(dc.SignalResolvingError, dc.ColumnNotFoundError)
    assert issubclass(dc.DatasetInvalidVersionError, dc.InvalidDatasetNameError)
    assert issubclass(dc.UdfSignatureError, dc.SchemaError)
    assert all(issubclass(e, dc.DataChainError) for e in (dc.DataChainParamsError, dc.SetupError, dc.DatasetMergeError))


def test_optional_fields_of_a_data_model_default_to_none(memory):
    class Row(dc.DataModel):
        a: int | None
        b: int

    assert Row(b=1) == Row(a=None, b=1)  # DataChain 0.62: P(a=None, b=1)
    assert dc.read_values(r=[Row(b=1)]).to_values("r") == [Row(a=None, b=1)]
