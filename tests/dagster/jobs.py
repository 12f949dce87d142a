"""Definitions for multiprocess tests: steps re-import this module in fresh processes, so everything it needs
comes from environment variables the test sets (DC_TEST_BUCKET, DATACHAIN_ROOT_DIR)."""

from __future__ import annotations

import os
import time

import dagster as dg

import dagster_datachain as dc

BUCKET = os.environ.get("DC_TEST_BUCKET", "/nonexistent")


def slow_size(file: dc.File) -> int:
    time.sleep(0.002)
    return len(file.read())


def _dataset(name: str, parity: int) -> dg.AssetsDefinition:
    @dc.dataset_asset(name=name, batch_size=20)
    def _build() -> dc.DataChain:
        return dc.read_storage(BUCKET).filter(dc.C("file.size") % 2 == parity).map(size=slow_size)

    return _build


def _scaled(name: str, factor: int) -> dg.AssetsDefinition:
    @dc.dataset_asset(name=name, batch_size=20)
    def _build() -> dc.DataChain:
        return dc.read_storage(BUCKET).map(size=slow_size).mutate(scaled=dc.C("size") * factor)

    return _build


def logged_size(file: dc.File) -> int:
    with open(os.environ["DC_TEST_CALLS"], "a") as log:
        log.write(file.path + "\n")
    time.sleep(0.02)
    return len(file.read())


@dc.dataset_asset(batch_size=10)
def killable_sizes() -> dc.DataChain:
    return dc.read_storage(BUCKET).map(size=logged_size)


@dc.sharded_dataset_asset(shards=3, batch_size=10)
def sharded_sizes() -> dc.DataChain:
    return dc.read_storage(BUCKET).map(size=slow_size)


assets = [_dataset("even_sizes", 0), _dataset("odd_sizes", 1), _scaled("double_sizes", 2), _scaled("triple_sizes", 3)]
defs = dg.Definitions(
    assets=[*assets, sharded_sizes, killable_sizes],
    jobs=[dg.define_asset_job("four_at_once", selection=dg.AssetSelection.assets(*assets)),
          dg.define_asset_job("sharded", selection=dg.AssetSelection.assets(sharded_sizes))],
    resources=dc.datachain_resources(knowledge_base=None),
)


def four_at_once() -> dg.JobDefinition:
    return defs.resolve_job_def("four_at_once")


def sharded() -> dg.JobDefinition:
    return defs.resolve_job_def("sharded")
