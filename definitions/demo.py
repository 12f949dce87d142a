"""`make demo`: materialize the walkthrough job on the local Dagster instance and say what was built.

Runs in this process against `$DAGSTER_HOME` (so `make dev` shows the run), with Dagster's console log at WARNING:
one line per dataset, then the top-3 images most similar to the reference, then what to do next.
"""

from __future__ import annotations

import sys
import time

import dagster as dg

import dagster_datachain as dc
from definitions.definitions import defs
from definitions.paths import REFERENCE_IMAGE

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def main() -> int:
    started = time.monotonic()
    job = defs.resolve_job_def("walkthrough")
    result = job.execute_in_process(instance=dg.DagsterInstance.get(), run_config=QUIET, raise_on_error=False)
    if not result.success:
        print(f"walkthrough failed (run {result.run_id}); see `make dev` for the run's log", file=sys.stderr)
        return 1
    latest = {info.name: info for info in dc.datasets(column="dataset", latest_only=True).to_values("dataset")}
    print(f"Built {len(latest)} datasets in {time.monotonic() - started:.0f}s (run {result.run_id[:8]}):")
    width = max(len(f"{info.name}@{info.version}") for info in latest.values())
    for info in sorted(latest.values(), key=lambda info: info.created_at):
        reference = f"{info.name}@{info.version}"
        print(f"  {reference:<{width}}  {info.row_count:>5} rows  {info.description or ''}".rstrip())
    print(f"\nThe 3 images closest to {REFERENCE_IMAGE.name} (cosine distance of their embeddings):")
    similar = dc.read_dataset("similar_to_reference")
    for path, breed, distance in similar.collect("file.path", "breed.breed", "distance"):
        print(f"  {distance:.3f}  {breed:<16} {path}")
    print("\nNext:\n"
          "  make dev                    the Dagster UI at http://127.0.0.1:3000 (assets, runs, checks)\n"
          "  dc-knowledge/index.md       the Knowledge Base: one page per dataset and bucket\n"
          "  .venv/bin/dcn datasets      the Data Memory from the command line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
