"""A dataset version records the hash of the code that made it: every step of the chain, not its input."""

from __future__ import annotations

import dagster_datachain as dc
from dagster_datachain import C


def test_query_steps_count_in_the_code_hash(memory):
    values = dc.read_values(x=[1, 2, 3, 4])
    wider, narrower = values.filter(C("x") > 1), values.filter(C("x") > 2)
    assert wider.code_hash() != narrower.code_hash()
    assert wider.code_hash() != values.code_hash()
    assert wider.order_by("x").code_hash() != wider.code_hash()
    assert wider.save("wide").dataset.code_hash != narrower.save("narrow").dataset.code_hash


def test_new_input_does_not_change_the_code_hash(memory):
    def double(x: int) -> int:
        return x * 2

    first = dc.read_values(x=[1, 2]).filter(C("x") > 0).map(y=double)
    second = dc.read_values(x=[7, 8, 9]).filter(C("x") > 0).map(y=double)
    assert first.code_hash() == second.code_hash()
    merged = first.merge(dc.read_values(x=[1], z=["a"]), on="x")
    assert merged.code_hash() == second.merge(dc.read_values(x=[3], z=["b"]), on="x").code_hash()
