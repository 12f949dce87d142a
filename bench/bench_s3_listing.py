"""Hand-run benchmark: list and index N objects (default 10,000) of a local moto S3 server with
dagster_datachain and, when its venv exists, with the DataChain package; prints times and the ratio.

Usage (from the repo root, with the project's venv, which has moto[server] and s3fs)::

    .venv/bin/python bench/bench_s3_listing.py [--n 10000] [--repeat 3] [--datachain-python PATH]

The same snippet runs for both libraries, each in a child process with a fresh temporary Data Memory
(``DATACHAIN_ROOT_DIR``) as working directory::

    dc.read_storage("s3://bench-listing/", update=True, client_config={"endpoint_url": URL}).count()

timed ``repeat`` times (best and median kept), plus the child's peak RSS. The server and the objects are set
up once, untimed. Results also go to ``bench/results/s3_listing.json``. Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))

from tests.storage_servers import S3Server  # noqa: E402  (starts moto on a free port, stops it at the end)

BUCKET = "bench-listing"
CHILD = """
import importlib, json, resource, sys, time
dc = importlib.import_module(sys.argv[1])
uri, url, repeat = sys.argv[2], sys.argv[3], int(sys.argv[4])
times = []
for _ in range(repeat):
    start = time.perf_counter()
    count = dc.read_storage(uri, update=True, client_config={"endpoint_url": url}).count()
    times.append(time.perf_counter() - start)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"times": times, "count": count, "max_rss_mb": round(rss, 1)}))
"""


def fill_bucket(server: S3Server, n: int) -> float:
    """Put `n` one-byte objects under 100 folders; returns the seconds it took."""
    fs = server.fs()
    fs.mkdir(BUCKET)
    start = time.perf_counter()
    for first in range(0, n, 1000):
        fs.pipe({f"{BUCKET}/folder-{i % 100:03d}/object-{i:07d}.bin": b"x" for i in range(first, min(n, first + 1000))})
    return time.perf_counter() - start


def run_library(python: str, lib: str, server: S3Server, repeat: int, **extra_env: str) -> dict[str, Any]:
    """Time the snippet for `lib` in a child process of `python` (with `extra_env` added to the environment)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{lib}-") as root:
        env = {**os.environ, "DATACHAIN_ROOT_DIR": root, "TQDM_DISABLE": "1", "DATACHAIN_NO_ANALYTICS": "1",
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               **extra_env}
        done = subprocess.run([python, "-c", CHILD, lib, f"s3://{BUCKET}/", server.url, str(repeat)], env=env,
                              cwd=root, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(best=min(result["times"]), median=statistics.median(result["times"]), env=extra_env)
    return result


def run_datachain(python: str, server: S3Server, repeat: int) -> dict[str, Any]:
    """DataChain lists S3 in parallel key ranges, which needs StartAfter; moto's answers make it refuse, so
    it is timed again with its one-range listing (DATACHAIN_RANGE_LISTING=0), as its error message advises."""
    result = run_library(python, "datachain", server, repeat)
    if "DATACHAIN_RANGE_LISTING" in result.get("error", ""):
        print(f"datachain: {result['error']}\n  -> timing it with DATACHAIN_RANGE_LISTING=0")
        result = run_library(python, "datachain", server, repeat, DATACHAIN_RANGE_LISTING="0")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="objects in the bucket")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per library")
    parser.add_argument("--datachain-python", default=str(BENCH_DIR / ".venv-datachain" / "bin" / "python"),
                        help="a python with the datachain package (skipped if missing)")
    args = parser.parse_args()

    datachain_python = Path(args.datachain_python)
    if not datachain_python.exists():
        print(f"datachain: no python at {datachain_python}; timing dagster_datachain only")

    server = S3Server()
    server.start()
    try:
        print(f"moto S3 at {server.url}: put {args.n:,} objects in {fill_bucket(server, args.n):.1f}s")
        results = {"dagster_datachain": run_library(sys.executable, "dagster_datachain", server, args.repeat)}
        if datachain_python.exists():
            results["datachain"] = run_datachain(str(datachain_python), server, args.repeat)
    finally:
        server.stop()

    print(f"\nlist + index {args.n:,} objects, best of {args.repeat}:")
    print(f"{'library':<20}{'best s':>9}{'median s':>10}{'rows':>9}{'peak RSS MB':>13}")
    for lib, r in results.items():
        if "error" in r:
            print(f"{lib:<20}  failed: {r['error']}")
        else:
            print(f"{lib:<20}{r['best']:>9.2f}{r['median']:>10.2f}{r['count']:>9,}{r['max_rss_mb']:>13.0f}")
    ours, theirs = results["dagster_datachain"], results.get("datachain", {})
    if "best" in ours and "best" in theirs:
        print(f"\nratio dagster_datachain / datachain: {ours['best'] / theirs['best']:.2f}x")
    out = BENCH_DIR / "results" / "s3_listing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": args.n, "repeat": args.repeat, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
