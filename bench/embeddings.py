"""Peak memory and time of ingesting N×512 embeddings and of an exact cosine top-3 over them, per library.

Usage (by hand, never in CI):
    python bench/embeddings.py [--lib dagster_datachain|datachain] [--sizes 100000,1000000] [--dim 512]

Ingest is a map over `read_values(id=range(N))` whose UDF returns a 512-float vector (deterministic per id), saved
as a dataset; top-3 reads that dataset back in a new process. Each phase runs in its own child process with the
same fresh Data Memory root, and reports its peak RSS (ru_maxrss) and seconds.
"""

import argparse
import importlib
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def vector(seed: int, dim: int) -> list[float]:
    return np.random.default_rng(seed).standard_normal(dim, dtype=np.float32).tolist()


def ingest(dc, n: int, dim: int) -> str:  # type: ignore[no-untyped-def]
    def embed(id: int) -> list[float]:  # noqa: A002 - the column's name
        return vector(id, dim)

    chain = dc.read_values(id=list(range(n)))
    return str(chain.map(emb=embed).save("bench_emb").count())


def top3(dc, n: int, dim: int) -> str:  # type: ignore[no-untyped-def]
    ref = vector(n + 1, dim)
    rows = (dc.read_dataset("bench_emb").mutate(dist=dc.func.cosine_distance(dc.C("emb"), ref))
            .order_by("dist").limit(3).to_list("id"))
    return ",".join(str(r[0]) for r in rows)


def child(lib: str, phase: str, n: int, dim: int) -> None:
    dc = importlib.import_module(lib)
    start = time.perf_counter()
    result = {"ingest": ingest, "top3": top3}[phase](dc, n, dim)
    seconds = time.perf_counter() - start
    print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {seconds:.2f} {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", default="dagster_datachain")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        lib, phase, n, dim = args.child
        child(lib, phase, int(n), int(dim))
        return
    print(f"| rows×{args.dim} | phase | peak RSS MiB | seconds | result | {args.lib} |\n|---:|---|---:|---:|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as root:
            env = {**os.environ, "DATACHAIN_ROOT_DIR": root, "TQDM_DISABLE": "1", "DATACHAIN_NO_ANALYTICS": "1",
                   "DATACHAIN_IGNORE_CHECKPOINTS": "1", "DATACHAIN_QUIET": "1"}
            for phase in ("ingest", "top3"):
                out = subprocess.run([sys.executable, __file__, "--child", args.lib, phase, str(n), str(args.dim)],
                                     env=env, cwd=root, capture_output=True, text=True)
                if out.returncode:
                    print(f"| {n:,} | {phase} | error: {out.stderr.strip().splitlines()[-1:]} |", flush=True)
                    break
                rss, seconds, result = out.stdout.split()
                print(f"| {n:,} | {phase} | {rss} | {seconds} | {result[:30]} | |", flush=True)


if __name__ == "__main__":
    main()
