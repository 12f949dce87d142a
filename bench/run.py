"""Run the benchmark steps against one library and write their timings as JSON.

Usage::

    python bench/run.py --lib datachain|dagster_datachain [--steps index,map_pil]
                        [--out bench/results/<lib>.json] [--repeat N] [--show]

Each step runs in a child process of its own, with a fresh temporary directory
as both working directory and Data Memory root (``DATACHAIN_ROOT_DIR``), so no
step sees another's datasets or caches and import time is never counted. Steps
that write (the map steps) get a new process and root for every timed run.
Progress bars (``TQDM_DISABLE``), telemetry (``DATACHAIN_NO_ANALYTICS``) and
checkpoint reuse (``DATACHAIN_IGNORE_CHECKPOINTS``: otherwise a repeated
``save()`` of the same chain is a cache hit) are switched off. Setup is
untimed; the timed part runs ``repeat`` times and the best time is kept. A
failing step is recorded with its error and the run goes on.
"""

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any

from steps import STEPS

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_DATA = BENCH_DIR / "data" / "images"
LIBS = ("datachain", "dagster_datachain")


def show_dataset(dc: ModuleType, name: str) -> None:
    """Print a dataset's first rows and schema, for comparing output formats."""
    chain = dc.read_dataset(name)
    chain.show(5)
    with warnings.catch_warnings():  # DataChain 0.62 deprecates print_schema()
        warnings.simplefilter("ignore", DeprecationWarning)
        chain.print_schema()


def run_step(
    lib: str, name: str, data_dir: Path, repeat: int, show: bool
) -> dict[str, Any]:
    """Import ``lib``, set up step ``name`` and time it (in the current process)."""
    dc = importlib.import_module(lib)
    start = time.perf_counter()
    timed = STEPS[name].setup(dc, data_dir)
    setup_s = time.perf_counter() - start
    runs: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = timed.run()
        runs.append(time.perf_counter() - start)
    summary = timed.summary(result)
    if show and timed.show:
        show_dataset(dc, timed.show)
    return {"best_s": min(runs), "runs_s": runs, "setup_s": setup_s, "result": summary}


def child_main(args: argparse.Namespace) -> int:
    """Child-process entry: run one step and write its record to ``--child-out``."""
    try:
        record = run_step(args.lib, args.child, args.data, args.repeat, args.show)
        code = 0
    except Exception as exc:  # noqa: BLE001 - recorded, the benchmark goes on
        traceback.print_exc()
        record, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
    args.child_out.write_text(json.dumps(record))
    return code


def spawn(
    args: argparse.Namespace, name: str, repeat: int, show: bool
) -> dict[str, Any]:
    """Run step ``name`` in a child process inside a fresh temporary root."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        out = Path(tmp) / "step.json"
        cmd = [sys.executable, __file__, "--lib", args.lib, "--data", str(args.data)]
        cmd += ["--child", name, "--child-out", str(out), "--repeat", str(repeat)]
        if show:
            cmd.append("--show")
        env = dict(
            os.environ,
            DATACHAIN_ROOT_DIR=tmp,
            DATACHAIN_NO_ANALYTICS="1",
            DATACHAIN_IGNORE_CHECKPOINTS="1",
            TQDM_DISABLE="1",
        )
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {args.timeout} s"}
        if out.exists():
            return json.loads(out.read_text())
        return {"error": f"child exited with code {proc.returncode}"}


def spawn_step(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Time step ``name``: all runs in one child, or one child per run if fresh."""
    spec = STEPS[name]
    repeat = args.repeat or spec.repeat
    if not spec.fresh:
        return spawn(args, name, repeat, args.show)
    records = [spawn(args, name, 1, args.show and i == 0) for i in range(repeat)]
    failed = [rec for rec in records if "error" in rec]
    if failed:
        return failed[0]
    runs = [rec["runs_s"][0] for rec in records]
    return {**records[0], "best_s": min(runs), "runs_s": runs}


def lib_version(lib: str) -> str:
    """Installed version of ``lib`` (by distribution name), or ``"unknown"``."""
    for dist in (lib, lib.replace("_", "-")):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "unknown"


def format_record(name: str, rec: dict[str, Any]) -> str:
    """One human-readable line for a step's record."""
    if "error" in rec:
        return f"{name:<18} ERROR {rec['error']}"
    runs = ", ".join(f"{r:.3f}" for r in rec["runs_s"])
    return (
        f"{name:<18} best {rec['best_s']:8.3f} s  (runs {runs}; "
        f"setup {rec['setup_s']:.1f} s; load {rec['load_avg_1m']:.1f})  "
        f"result {json.dumps(rec['result'])}"
    )


def parse_args() -> argparse.Namespace:
    """Command-line arguments (``--child``/``--child-out`` are internal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", required=True, choices=LIBS)
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="image dir")
    parser.add_argument("--out", type=Path, help="default: bench/results/<lib>.json")
    parser.add_argument(
        "--repeat", type=int, help="timed runs per step (default: per step)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per step")
    parser.add_argument(
        "--show", action="store_true", help="print show()/print_schema()"
    )
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data = args.data.resolve()
    return args


def main() -> int:
    """Parent entry: run the chosen steps one by one and write the JSON report."""
    args = parse_args()
    if args.child:
        return child_main(args)
    names = [n.strip() for n in args.steps.split(",") if n.strip()]
    unknown = sorted(set(names) - set(STEPS))
    if unknown:
        sys.exit(f"unknown steps {unknown}; known: {list(STEPS)}")
    if not any(args.data.rglob("*.jpg")):
        sys.exit(f"no images under {args.data}: run bench/make_images.py first")
    report: dict[str, Any] = {
        "lib": args.lib,
        "version": lib_version(args.lib),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
        "n_images": sum(1 for _ in args.data.rglob("*.jpg")),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "steps": {},
    }
    print(f"{args.lib} {report['version']} on {report['n_images']} images", flush=True)
    for name in names:
        load = os.getloadavg()[0]  # a busy machine makes timings noisy: record it
        report["steps"][name] = rec = {**spawn_step(args, name), "load_avg_1m": load}
        print(format_record(name, rec), flush=True)
    out = args.out or BENCH_DIR / "results" / f"{args.lib}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
