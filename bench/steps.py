"""Benchmark steps, written once against the public DataChain API.

Every step is a function ``step(dc, data_dir) -> Timed``: ``dc`` is the library
module under test (``datachain`` or ``dagster_datachain``), ``data_dir`` the
folder of images made by ``make_images.py``. The step does its untimed setup
when called and returns a :class:`Timed` holding the code to time and a way to
summarise its result, so the two libraries' answers can be compared as well.
The ``@step(...)`` decorator registers it in :data:`STEPS` with how to time it.

Nothing here may use more than the API shown in DataChain's README: the same
code must run unchanged on both libraries.
"""

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from make_images import BREEDS
from PIL import Image
from pydantic import BaseModel

N_FILTER_ROWS = 1_000_000
N_EMB_ROWS = 100_000
EMB_DIM = 512
SEED = 0


class ImageInfo(BaseModel):
    """What ``get_info`` extracts from one image (as in DataChain's README)."""

    width: int
    height: int


@dataclass(frozen=True)
class Timed:
    """The timed part of a step.

    Attributes:
        run: the code to time; the best of its timed runs counts.
        summary: turns ``run``'s result into a small JSON-able value, computed
            outside the timing, that must be equal for both libraries.
        show: name of a dataset to print with ``show()``/``print_schema()``
            when ``run.py --show`` is given.

    """

    run: Callable[[], Any]
    summary: Callable[[Any], Any] = lambda result: result
    show: str | None = None


StepFn = Callable[[ModuleType, Path], Timed]


@dataclass(frozen=True)
class StepSpec:
    """A registered step and how ``run.py`` times it.

    Attributes:
        setup: the step function (does the setup, returns :class:`Timed`).
        repeat: default number of timed runs.
        fresh: run each timed run in a new process and Data Memory root, for
            steps that write (a library may otherwise answer a repeat from a
            cache or checkpoint of the previous run).

    """

    setup: StepFn
    repeat: int
    fresh: bool


STEPS: dict[str, StepSpec] = {}


def step(repeat: int = 3, fresh: bool = False) -> Callable[[StepFn], StepFn]:
    """Register the decorated step function in :data:`STEPS` under its name."""

    def register(fn: StepFn) -> StepFn:
        STEPS[fn.__name__] = StepSpec(fn, repeat, fresh)
        return fn

    return register


def storage_uri(data_dir: Path) -> str:
    """Return the ``read_storage`` URI of the image folder (absolute, trailing slash)."""
    return f"{data_dir.resolve()}/"


def make_get_info(dc: ModuleType) -> Callable[..., ImageInfo]:
    """Build the README's ``get_info`` UDF for library ``dc``.

    The annotations must be real objects (``dc.File``), because both libraries
    read the UDF signature to bind columns and infer the output schema.
    """

    def get_info(file: dc.File) -> ImageInfo:  # type: ignore[name-defined]
        img = Image.open(io.BytesIO(file.read()))
        return ImageInfo(width=img.width, height=img.height)

    return get_info


def map_summary(chain: Any) -> list[int]:
    """Row count and the sums of widths and heights of a saved ``bench_info``."""
    return [chain.count(), chain.sum("info.width"), chain.sum("info.height")]


def map_pil_step(dc: ModuleType, data_dir: Path, settings: dict[str, Any]) -> Timed:
    """Shared body of the two map steps: PIL image sizes saved as ``bench_info``.

    Setup indexes the folder, so the timed part measures reading the files,
    running the UDF and saving, not listing.
    """
    uri = storage_uri(data_dir)
    dc.read_storage(uri, update=True).count()
    get_info = make_get_info(dc)

    def run() -> Any:
        chain = dc.read_storage(uri)
        if settings:
            chain = chain.settings(**settings)
        return chain.map(info=get_info).save("bench_info")

    return Timed(run, map_summary, show="bench_info")


@step()
def index(dc: ModuleType, data_dir: Path) -> Timed:
    """Index the image folder afresh (``update=True``) and count its files."""
    uri = storage_uri(data_dir)
    return Timed(lambda: dc.read_storage(uri, update=True).count())


@step(fresh=True)
def map_pil(dc: ModuleType, data_dir: Path) -> Timed:
    """``.map(info=get_info).save(...)`` over every image, default settings."""
    return map_pil_step(dc, data_dir, {})


@step(fresh=True)
def map_pil_prefetch(dc: ModuleType, data_dir: Path) -> Timed:
    """Do the same as ``map_pil`` with ``.settings(prefetch=64)``."""
    return map_pil_step(dc, data_dir, {"prefetch": 64})


@step(repeat=5)
def filter_count_1m(dc: ModuleType, data_dir: Path) -> Timed:
    """Filter-and-count over a saved dataset of 1,000,000 (path, width) rows."""
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(BREEDS), N_FILTER_ROWS).tolist()
    paths = [f"images/{BREEDS[b]}/{BREEDS[b]}_{i}.jpg" for i, b in enumerate(picks)]
    widths = rng.integers(64, 513, N_FILTER_ROWS).tolist()
    dc.read_values(path=paths, width=widths).save("bench_1m")

    def run() -> int:
        return (
            dc.read_dataset("bench_1m")
            .filter((dc.C("width") > 400) & ~dc.C("path").ilike("%cocker%"))
            .count()
        )

    return Timed(run, show="bench_1m")


@step()
def cosine_top3_100k(dc: ModuleType, data_dir: Path) -> Timed:
    """Top 3 by cosine distance to a reference over 100,000 saved 512-d vectors."""
    rng = np.random.default_rng(SEED)
    emb = rng.standard_normal((N_EMB_ROWS, EMB_DIM), dtype=np.float32).tolist()
    ref = rng.standard_normal(EMB_DIM).tolist()
    dc.read_values(id=list(range(N_EMB_ROWS)), emb=emb).save("bench_emb")
    del emb

    def run() -> list[tuple[Any, ...]]:
        return (
            dc.read_dataset("bench_emb")
            .mutate(dist=dc.func.cosine_distance(dc.C("emb"), ref))
            .order_by("dist")
            .limit(3)
            .to_list("id", "dist")
        )

    return Timed(run)


# ----------------------------------------------------------------------------- runtime: delta, re-runs, workers

N_NEW_FILES = 500


def private_copy(data_dir: Path, target: Path) -> Path:
    """Hard-link (or copy) the image folder into ``target``, so a step may add files to it."""
    import shutil

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(data_dir, target, copy_function=link)
    return target


def add_new_files(folder: Path, count: int) -> None:
    """``count`` new files: existing images under new names (new paths, so new to any delta)."""
    originals = sorted(folder.rglob("*.jpg"))[:count]
    for i, original in enumerate(originals):
        os.link(original, original.with_name(f"new_{i}_{original.name}"))


def delta_chain(dc: ModuleType, uri: str) -> Any:
    """The README's delta pipeline: index with ``delta=True``, PIL sizes, save."""
    return dc.read_storage(uri, update=True, delta=True).map(info=make_get_info(dc)).save("bench_delta")


@step(fresh=True)
def delta_add_500(dc: ModuleType, data_dir: Path) -> Timed:
    """Re-run the delta pipeline after 500 new files joined the 10,000 already processed."""
    folder = private_copy(data_dir, Path.cwd() / "images")
    uri = storage_uri(folder)
    delta_chain(dc, uri)
    add_new_files(folder, N_NEW_FILES)
    return Timed(lambda: delta_chain(dc, uri), lambda chain: chain.count())


@step(fresh=True)
def rerun_unchanged(dc: ModuleType, data_dir: Path) -> Timed:
    """Re-run the delta pipeline when nothing changed (target: <= 0.1x of our full map_pil run)."""
    folder = private_copy(data_dir, Path.cwd() / "images")
    uri = storage_uri(folder)
    delta_chain(dc, uri)
    return Timed(lambda: delta_chain(dc, uri), lambda chain: chain.count())


@step(fresh=True)
def map_pil_parallel2(dc: ModuleType, data_dir: Path) -> Timed:
    """Do the same as ``map_pil`` in two worker processes: ``.settings(parallel=2)``."""
    return map_pil_step(dc, data_dir, {"parallel": 2})
