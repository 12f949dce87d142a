"""Compare DataChain's and our timings side by side, as a Markdown table.

Usage: ``python bench/compare.py [--theirs results/datachain.json]
[--ours results/dagster_datachain.json]``

For each step it prints both best times, the ratio ours/theirs, the target and
whether it is met, and whether both libraries returned the same result. A
missing or failed side shows as ``TBD`` / ``error``; a time marked ``*`` had a
best run far below its first, which suggests a cache answered the repeats.
"""

import argparse
import json
import math
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
CACHE_HINT = 0.2  # best < 0.2 x first run: probably answered from a cache

# step -> (kind, limit): "ratio" limits ours/theirs, "abs" limits our seconds.
TARGETS: dict[str, tuple[str, float]] = {
    "index": ("ratio", 0.5),
    "map_pil": ("ratio", 0.5),
    "filter_count_1m": ("ratio", 0.05),
    "cosine_top3_100k": ("abs", 0.2),
    "delta_add_500": ("ratio", 0.5),
}


def load(path: Path) -> dict[str, dict[str, Any]]:
    """Step records of one results file, or ``{}`` if it does not exist yet."""
    return json.loads(path.read_text())["steps"] if path.exists() else {}


def best(rec: dict[str, Any] | None) -> float | None:
    """Best time of a step record, ``None`` if missing or failed."""
    return rec.get("best_s") if rec else None


def same(a: Any, b: Any) -> bool:
    """Deep equality, with floats compared to a relative 1e-5 (float32 storage)."""
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and (math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9))
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def cached(rec: dict[str, Any]) -> bool:
    """Whether the best run is far faster than the first: a sign of a result cache."""
    return rec["best_s"] < CACHE_HINT * rec["runs_s"][0]


def cell(rec: dict[str, Any] | None) -> str:
    """Time cell: seconds (``*`` if :func:`cached`), ``error`` or ``TBD``."""
    if rec is None:
        return "TBD"
    if "error" in rec:
        return "error"
    return f"{rec['best_s']:.3f}" + ("*" if cached(rec) else "")


def target_cells(
    step: str, theirs: float | None, ours: float | None
) -> tuple[str, str]:
    """Return the target's text and whether ours meets it (``yes``/``NO``/``?``)."""
    if step not in TARGETS:
        return "-", "-"
    kind, limit = TARGETS[step]
    if kind == "abs":
        text, value = f"< {limit} s (ours)", ours
    else:
        text = f"<= {limit}x"
        value = ours / theirs if ours is not None and theirs else None
    return text, "?" if value is None else ("yes" if value <= limit else "NO")


def table(theirs: dict[str, dict[str, Any]], ours: dict[str, dict[str, Any]]) -> str:
    """Render the comparison as a Markdown table, one row per step either side ran."""
    lines = [
        "| step | datachain s | ours s | ours/theirs | target | met | same result |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for step in dict.fromkeys([*theirs, *ours]):
        t_rec, o_rec = theirs.get(step), ours.get(step)
        t, o = best(t_rec), best(o_rec)
        ratio = f"{o / t:.3f}x" if t and o is not None else "-"
        target, met = target_cells(step, t, o)
        agree = "-"
        if t_rec and o_rec and t is not None and o is not None:
            agree = "yes" if same(t_rec["result"], o_rec["result"]) else "NO"
        lines.append(
            f"| {step} | {cell(t_rec)} | {cell(o_rec)} | {ratio} | {target} | {met} | {agree} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theirs", type=Path, default=RESULTS / "datachain.json")
    parser.add_argument("--ours", type=Path, default=RESULTS / "dagster_datachain.json")
    args = parser.parse_args()
    text = table(load(args.theirs), load(args.ours))
    print(text)
    if "*" in text:
        print(f"\n* best run < {CACHE_HINT}x the first: check for a result cache")


if __name__ == "__main__":
    main()
