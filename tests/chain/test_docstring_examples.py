"""The examples in the docstrings of DataChain's public methods and of the readers run and print what they say."""

import doctest

import pytest

import dagster_datachain as dc
from dagster_datachain.chain import readers
from dagster_datachain.chain.chain import DataChain

METHODS = ["map", "gen", "agg", "batch_map", "filter", "mutate", "select", "order_by", "limit", "group_by", "merge",
           "union", "save", "count", "sum", "to_pyarrow", "to_pandas", "show", "to_list", "to_values", "settings",
           "setup", "avg", "max", "min", "distinct", "offset", "select_except", "subtract", "sample", "shuffle",
           "collect", "to_iter", "to_records", "print_schema", "persist", "clone", "c", "chunk", "exec"]
READERS = ["read_storage", "read_dataset", "read_values", "read_records", "read_pandas", "read_arrow", "read_csv",
           "read_parquet", "read_json"]


@pytest.mark.parametrize("obj", [getattr(DataChain, m) for m in METHODS] + [getattr(readers, r) for r in READERS],
                         ids=METHODS + READERS)
def test_docstring_example_runs(obj, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    (test,) = doctest.DocTestFinder(recurse=False).find(obj, obj.__name__, globs={"dc": dc})
    assert test.examples, f"{obj.__name__} has no example"
    result = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE).run(test)
    assert result.failed == 0
