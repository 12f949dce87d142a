"""Peak memory of a map over 10,000 vs 100,000 files: batches stream, so it must not grow with the file count.

Usage (by hand, never in CI):  python bench/memory.py [--lib dagster_datachain|datachain] [--sizes 10000,100000]

Each size runs in a child process with a fresh Data Memory; the child reports its peak RSS (ru_maxrss).
Files are tiny text files under bench/data/many/ (made once, reused).
"""

import argparse
import importlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANY = Path(__file__).resolve().parent / "data" / "many"


def make_files(count: int) -> Path:
    """`count` small files in folders of 1,000 (idempotent)."""
    folder = MANY / str(count)
    if not (folder / "done").exists():
        for i in range(count):
            path = folder / f"d{i // 1000:03d}" / f"f{i:06d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"file {i} " * (1 + i % 50))
        (folder / "done").write_text("")
    return folder


def child(lib: str, folder: str) -> None:
    dc = importlib.import_module(lib)

    def words(file: dc.File) -> int:  # type: ignore[name-defined]
        return len(file.read().split())

    start = time.perf_counter()
    total = dc.read_storage(folder + "/", update=True).map(n=words).save("words").sum("n")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak_mib:.0f} {time.perf_counter() - start:.2f} {total}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", default="dagster_datachain")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"| files | peak RSS MiB | seconds | {args.lib} |\n|---:|---:|---:|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        folder = make_files(size)
        with tempfile.TemporaryDirectory() as root:
            env = {**os.environ, "DATACHAIN_ROOT_DIR": root, "TQDM_DISABLE": "1", "DATACHAIN_NO_ANALYTICS": "1"}
            out = subprocess.run([sys.executable, __file__, "--lib", args.lib, "--child", args.lib, str(folder)],
                                 env=env, cwd=root, capture_output=True, text=True, check=True).stdout.split()
        print(f"| {size:,} | {out[0]} | {out[1]} | |")


if __name__ == "__main__":
    main()
