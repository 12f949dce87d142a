"""HNSW vector index vs exact similarity_search: build time, warm query latency, recall@10 (by hand, never in CI).

Usage (DuckDB 1.5.5 with `duckdb-extension-vss`):
    PYTHONPATH=. python bench/vector_index.py [--rows 1000000] [--dim 512] [--queries 20]

Writes N clustered float32 vectors (fixed seed; 1,000 centres with noise, like real embeddings) to a Parquet file,
saves them as a dataset in a fresh Data Memory, builds a cosine index, then for each query times (warm: one untimed
run first) `similarity_search(k=10)` with the index, the same filtered to a tenth of the rows (`group == 3`), and
the exact top-10 (`mutate(dist).order_by("dist").limit(10)`), and measures recall@10 of both index searches against
exact. Prints a Markdown table; medians.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import dagster_datachain as dc
from dagster_datachain.memory import vector_index
from dagster_datachain.memory.sql import quote

BATCH = 50_000


def write_vectors(path: Path, rows: int, dim: int) -> np.ndarray:
    """Write the dataset's Parquet file; returns the cluster centres (queries are drawn near them)."""
    rng = np.random.default_rng(42)
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    schema = pa.schema([("id", pa.int64()), ("group", pa.int64()), ("emb", pa.list_(pa.float32()))])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, BATCH):
            n = min(BATCH, rows - start)
            vectors = centres[rng.integers(0, len(centres), n)] + 0.5 * rng.standard_normal((n, dim), np.float32)
            ids = np.arange(start, start + n)
            emb = pa.ListArray.from_arrays(pa.array(np.arange(0, (n + 1) * dim, dim, dtype=np.int32)),
                                           pa.array(vectors.ravel()))
            writer.write_table(pa.table({"id": ids, "group": ids % 10, "emb": emb}, schema=schema))
    return centres


def timed(run) -> tuple[float, list[int]]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    ids = [row[0] for row in run()]
    return (time.perf_counter() - start) * 1000, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        memory = dc.Memory(Path(root) / "dm")
        path = Path(root) / "vectors.parquet"
        centres = write_vectors(path, args.rows, args.dim)
        start = time.perf_counter()
        dc.read_parquet(str(path), memory=memory).save("vecs")
        save_s = time.perf_counter() - start
        start = time.perf_counter()
        dc.read_dataset("vecs", memory=memory).create_index("emb", metric="cosine")
        build_s = time.perf_counter() - start
        rng = np.random.default_rng(7)
        queries = (centres[rng.integers(0, len(centres), args.queries)]
                   + 0.5 * rng.standard_normal((args.queries, args.dim), np.float32)).tolist()
        chain = dc.read_dataset("vecs", memory=memory)
        filtered = chain.filter(dc.C("group") == 3)
        runs = {
            "index": lambda q: chain.similarity_search("emb", q, k=10).to_list("id"),
            "index + filter": lambda q: filtered.similarity_search("emb", q, k=10).to_list("id"),
            "exact": lambda q: chain.mutate(d=dc.func.cosine_distance(dc.C("emb"), q)).order_by("d").limit(10)
            .to_list("id"),
            "exact + filter": lambda q: filtered.mutate(d=dc.func.cosine_distance(dc.C("emb"), q)).order_by("d")
            .limit(10).to_list("id"),
        }
        with memory.connect() as con:  # one connection for the whole run: warm, as a long-lived process is
            index = vector_index.find(con, chain.dataset, "emb", "cosine")
            vector_index.load_vss(con)
            runs["DuckDB alone (HNSW, floor)"] = lambda q: con.execute(
                f"SELECT id FROM {quote(index.table)} "
                f"ORDER BY array_cosine_distance(emb, ?::FLOAT[{args.dim}]) LIMIT 10",
                [q]).fetchall()
            times: dict[str, list[float]] = {name: [] for name in runs}
            recall: dict[str, list[float]] = {name: [] for name in runs}
            for query in queries:
                results = {}
                for name, run in runs.items():
                    run(query)  # warm
                    ms, ids = timed(lambda run=run, query=query: run(query))
                    times[name].append(ms)
                    results[name] = ids
                for name in runs:
                    exact = results["exact + filter" if "+ filter" in name else "exact"]
                    recall[name].append(len(set(results[name]) & set(exact)) / len(exact))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.rows:,} x {args.dim}: save {save_s:.1f} s, index build {build_s:.1f} s, peak RSS {peak:.0f} MiB")
        print("| search (k=10) | median ms | p90 ms | recall@10 vs exact |\n|---|---:|---:|---:|")
        for name in runs:
            ordered = sorted(times[name])
            print(f"| {name} | {statistics.median(ordered):.1f} | {ordered[int(0.9 * (len(ordered) - 1))]:.1f} | "
                  f"{statistics.mean(recall[name]):.3f} |")
        memory.close()


if __name__ == "__main__":
    main()
