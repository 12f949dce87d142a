"""A sharded dataset asset for the cluster tests. Worker processes re-import this module, so everything it needs
comes from environment variables the test sets for them: the input bucket (DC_CLUSTER_BUCKET, on the moto S3
server at AWS_ENDPOINT_URL), the Data Memory (DATACHAIN_CATALOG and DATACHAIN_DATA_PATH, or
DATACHAIN_ROOT_DIR), the file the UDF logs its calls to (DC_CLUSTER_CALLS), the worker's name
(DC_CLUSTER_WORKER), and the row to stall on (DC_CLUSTER_STALL_ON, once, announcing itself in
DC_CLUSTER_STALLED)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
from dagster_celery import celery_executor
from dagster_dask import dask_executor

import dagster_datachain as dc

SHARDS = 4


def logged_size(file: dc.File) -> int:
    """The file's size, after noting which worker computed it; stalls on the chosen row the first time."""
    stall = os.environ.get("DC_CLUSTER_STALL_ON")
    marker = Path(os.environ.get("DC_CLUSTER_STALLED", "/nonexistent/stalled"))
    if file.path == stall and not marker.exists():
        marker.write_text(f"{os.getpid()} {os.environ.get('DC_CLUSTER_WORKER', '?')}")
        while True:  # until the test kills this process
            time.sleep(1)
    with open(os.environ["DC_CLUSTER_CALLS"], "a") as log:
        log.write(f"{os.environ.get('DC_CLUSTER_WORKER', 'coordinator')} {file.path}\n")
    return len(file.read())


@dc.sharded_dataset_asset(shards=SHARDS, batch_size=4)
def cluster_sizes() -> dc.DataChain:
    return dc.read_storage(os.environ["DC_CLUSTER_BUCKET"]).map(size=logged_size)


defs = dg.Definitions(
    assets=[cluster_sizes],
    jobs=[dg.define_asset_job("on_celery", selection=[cluster_sizes], executor_def=celery_executor),
          dg.define_asset_job("on_dask", selection=[cluster_sizes], executor_def=dask_executor)],
    resources=dc.datachain_resources(knowledge_base=None),
)


def on_celery() -> dg.JobDefinition:
    return defs.resolve_job_def("on_celery")


def on_dask() -> dg.JobDefinition:
    return defs.resolve_job_def("on_dask")
