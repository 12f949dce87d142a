"""HNSW vector indexes (DuckDB's vss extension) per dataset version: index search agrees with exact search."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import duckdb
import numpy as np
import pytest

import dagster_datachain as dc
from dagster_datachain.errors import DataMemoryConfigError
from dagster_datachain.memory import catalog, vector_index

ROWS, DIMS, K = 20_000, 64, 10


def _vss_loads() -> str | None:
    try:
        vector_index.load_vss(duckdb.connect())
    except DataMemoryConfigError as exc:
        return str(exc)
    return None


needs_vss = pytest.mark.skipif(_vss_loads() is not None, reason=f"vss extension unavailable: {_vss_loads()}")


def _vectors(seed: int = 7) -> np.ndarray:
    """Clustered vectors, like real embeddings: 200 centres with noise around each."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, DIMS))
    return (centres[rng.integers(0, 200, ROWS)] + 0.35 * rng.standard_normal((ROWS, DIMS))).astype(np.float32)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A saved 20k x 64 dataset with a cosine index on `emb` (built once: HNSW builds are slow on 2 cores)."""
    memory = dc.Memory(tmp_path_factory.mktemp("vx") / "dm")
    vectors = _vectors()
    chain = dc.read_values(id=list(range(ROWS)), group=[i % 4 for i in range(ROWS)], emb=vectors.tolist(),
                           memory=memory).save("vecs")
    chain.create_index("emb", metric="cosine")
    yield memory, vectors
    memory.close()


def _queries(vectors: np.ndarray, count: int = 20) -> list[list[float]]:
    rng = np.random.default_rng(11)
    picks = rng.integers(0, ROWS, count)
    return (vectors[picks] + 0.1 * rng.standard_normal((count, DIMS))).astype(np.float32).tolist()


def _exact(memory: dc.Memory, query: list[float], group: int | None = None) -> list[int]:
    """The engine's exact top-k: a distance column, sorted (never reads through an index)."""
    chain = dc.read_dataset("vecs", memory=memory)
    if group is not None:
        chain = chain.filter(dc.C("group") == group)
    ranked = chain.mutate(d=dc.func.cosine_distance(dc.C("emb"), query)).order_by("d", "id").limit(K)
    return [row[0] for row in ranked.to_list("id")]


@pytest.fixture
def searches(monkeypatch):
    """Counts searches that went through an index."""
    calls: list[str] = []
    real = vector_index.search

    def counted(*args, **kwargs):
        calls.append(args[2].table)
        return real(*args, **kwargs)

    monkeypatch.setattr(vector_index, "search", counted)
    return calls


@needs_vss
@pytest.mark.parametrize("group", [None, 1], ids=["all-rows", "filtered"])
def test_index_search_agrees_with_exact_search(indexed, searches, group):
    memory, vectors = indexed
    top1 = recall = 0
    queries = _queries(vectors)
    for query in queries:
        chain = dc.read_dataset("vecs", memory=memory)
        if group is not None:
            chain = chain.filter(dc.C("group") == group)
        found = [row[0] for row in chain.similarity_search("emb", query, k=K).to_list("id")]
        assert group is None or all(i % 4 == group for i in found)
        exact = _exact(memory, query, group)
        top1 += found[0] == exact[0]
        recall += len(set(found) & set(exact))
    assert len(searches) == len(queries)  # every search went through the index
    assert top1 == len(queries)
    assert recall / (K * len(queries)) >= 0.95


@needs_vss
def test_filters_that_keep_few_rows_fall_back_to_more_candidates(indexed, searches):
    memory, vectors = indexed
    query = _queries(vectors, 1)[0]
    rare = dc.read_dataset("vecs", memory=memory).filter(dc.C("id") % 997 == 0)
    found = [r[0] for r in rare.similarity_search("emb", query, k=K).to_list("id")]
    exact = [r[0] for r in rare.mutate(d=dc.func.cosine_distance(dc.C("emb"), query)).order_by("d").limit(K)
             .to_list("id")]
    assert searches and found == exact and len(found) == K


@needs_vss
def test_index_belongs_to_one_version(indexed):
    memory, _ = indexed
    first = dc.read_dataset("vecs", memory=memory)
    second = first.filter(dc.C("id") < 5000).save("vecs")
    with memory.connect() as con:
        assert vector_index.find(con, first.dataset, "emb", "cosine") is not None
        assert vector_index.find(con, second.dataset, "emb", "cosine") is None  # a new version has none
        assert vector_index.find(con, first.dataset, "emb", "l2") is None
    # exact search on the new version still works
    query = [1.0] * DIMS
    assert len(second.similarity_search("emb", query, k=3).to_list("id")) == 3
    second.create_index("emb", metric="l2")
    with memory.connect() as con:
        index = vector_index.find(con, second.dataset, "emb", "l2")
        assert index is not None
    dc.delete_dataset("vecs", version=second.version, memory=memory)
    with memory.connect() as con:  # deleting the version dropped its index
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                               [index.table]).fetchone()[0]
        assert vector_index.find(con, first.dataset, "emb", "cosine") is not None


@needs_vss
def test_index_is_kept_in_the_data_memory_file(indexed):
    memory, vectors = indexed
    query = _queries(vectors, 1)[0]
    expected = _exact(memory, query)[0]
    memory.close()
    script = textwrap.dedent(f"""
        import dagster_datachain as dc
        from dagster_datachain.memory import vector_index
        calls = []
        real = vector_index.search
        vector_index.search = lambda *a, **k: calls.append(1) or real(*a, **k)
        memory = dc.Memory({str(memory.root)!r})
        top = dc.read_dataset("vecs", memory=memory).similarity_search("emb", {query!r}, k=1).to_list("id")
        print(len(calls), top[0][0])
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", str(expected)]


@needs_vss
def test_gc_drops_indexes_of_versions_gone(indexed):
    memory, _ = indexed
    temp = dc.read_dataset("vecs", memory=memory).filter(dc.C("id") < 300).save("small")
    temp.create_index("emb")
    with memory.transaction() as con:  # the version vanishes behind the API's back (a crashed delete)
        catalog.delete_versions(con, "small")
    report = dc.gc(memory=memory)
    assert any(t.startswith("vx_small") for t in report.tables)


def test_index_without_the_extension_is_refused_and_exact_search_works(memory, monkeypatch):
    chain = dc.read_values(id=[1, 2, 3], emb=[[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]]).save("few")
    monkeypatch.setattr(duckdb, "__version__", "2.0.1")  # what a DuckDB with no vss wheel finds
    with pytest.raises(DataMemoryConfigError, match=r"duckdb-extension-vss==1\.5\.5.*exact similarity_search"):
        chain.create_index("emb")
    assert chain.similarity_search("emb", [1.0, 0.1], k=1).to_list("id") == [(1,)]


def test_index_needs_a_saved_version_and_a_vector_column(memory):
    values = dc.read_values(id=[1], emb=[[1.0]])
    with pytest.raises(dc.DataChainParamsError, match="saved dataset version"):
        values.create_index("emb")
    with pytest.raises(dc.DataChainParamsError, match="unknown metric"):
        values.save("one").create_index("emb", metric="dot")  # type: ignore[arg-type]


@needs_vss
def test_a_window_filter_keeps_exact_search(indexed, searches):
    memory, vectors = indexed
    query = _queries(vectors, 1)[0]
    w = dc.func.window(partition_by="group", order_by="id")
    first_rows = dc.read_dataset("vecs", memory=memory).filter(dc.func.row_number().over(w) <= 50)
    found = [r[0] for r in first_rows.similarity_search("emb", query, k=K).to_list("id")]
    assert not searches  # over candidates, row_number() would number other rows
    assert len(found) == K and all(i < 200 for i in found)


@needs_vss
def test_a_lake_keeps_no_vector_index(tmp_path):
    try:
        memory = dc.Memory(tmp_path / "root", catalog=f"sqlite:///{tmp_path / 'catalog.sqlite'}",
                           data_path=str(tmp_path / "lake-data"))
        chain = dc.read_values(id=[1, 2], emb=[[1.0, 0.0], [0.0, 1.0]], memory=memory).save("few")
    except DataMemoryConfigError as exc:
        pytest.skip(f"no DuckLake here: {exc}")
    with pytest.raises(DataMemoryConfigError, match="DuckLake keeps no indexes"):
        chain.create_index("emb")
    assert chain.similarity_search("emb", [0.0, 1.0], k=1).to_list("id") == [(2,)]
    memory.close()


@needs_vss
def test_a_search_through_the_index_has_the_plain_chains_hashes(indexed):
    memory, vectors = indexed
    query = _queries(vectors, 1)[0]
    chain = dc.read_dataset("vecs", memory=memory).filter(dc.C("group") == 2)
    indexed_search = chain.similarity_search("emb", query, k=K)
    plain = chain.mutate(_dc_similarity=dc.func.cosine_distance("emb", query)).order_by("_dc_similarity") \
        .limit(K).select_except("_dc_similarity")
    assert indexed_search.code_hash() == plain.code_hash()
    assert indexed_search.fingerprint() == plain.fingerprint()
