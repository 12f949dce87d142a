"""User functions in chains: map, gen, agg, batch_map, setup objects, errors and checkpoints."""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from pydantic import BaseModel

import dagster_datachain as dc
from dagster_datachain import C, func
from dagster_datachain.memory.catalog import list_versions


class ImageInfo(BaseModel):
    width: int
    height: int


class BBox(BaseModel):
    x: int
    y: int
    w: int
    h: int


class Annotation(BaseModel):
    label: str
    box: BBox
    parts: list[BBox]
    confidence: float | None = None


def get_info(file: dc.File) -> ImageInfo:
    image = Image.open(io.BytesIO(file.read()))
    return ImageInfo(width=image.width, height=image.height)


# ============================================================================ map


def test_map_model_over_image_files(images):
    chain = dc.read_storage(f"{images.root}/**/*.jpg").map(info=get_info)
    assert chain.column_names == ["file", "info"]
    got = {file.path: info for file, info in chain.to_list()}
    assert got == {p: ImageInfo(width=w, height=h) for p, (w, h) in images.sizes.items()}
    assert all(type(info) is ImageInfo for info in got.values())
    threshold = sorted(w for w, _ in images.sizes.values())[len(images.sizes) // 2]
    wide = chain.filter(C("info.width") > threshold, ~C("file.path").ilike("%cocker_spaniel%")).count()
    assert wide == sum(1 for p, (w, _) in images.sizes.items() if w > threshold and "cocker_spaniel" not in p)


def test_map_scalar_str_datetime_and_vector(memory):
    start = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)

    def square(n: int) -> int:
        return n * n

    def label(n: int) -> str:
        return f"item-{n:03d}"

    def due(n: int) -> datetime:
        return start + timedelta(days=n, minutes=n)

    def embed(n: int) -> list[float]:
        return [n / 4, -n / 8, 0.5]

    numbers = [3, 1, 4, 1, 5, 9]
    chain = dc.read_values(n=numbers).map(sq=square).map(name=label).map(at=due).map(emb=embed)
    assert chain.column_names == ["n", "sq", "name", "at", "emb"]
    rows = chain.to_list()
    assert [r[0] for r in rows] == numbers
    for n, sq, name, at, emb in rows:
        assert (sq, name, at) == (n * n, label(n), due(n))
        assert emb == pytest.approx(embed(n))
    assert chain.specs["emb"].label() == "list[float]"


def test_map_without_a_name_uses_the_function_name(memory):
    def doubled(n: int) -> int:
        return 2 * n

    chain = dc.read_values(n=[1, 2]).map(doubled)
    assert chain.to_list() == [(1, 2), (2, 4)]
    assert chain.column_names == ["n", "doubled"]


def test_map_nested_models(memory):
    def annotate(n: int) -> Annotation:
        return Annotation(
            label=f"obj{n}",
            box=BBox(x=n, y=n + 1, w=10 * n, h=5),
            parts=[BBox(x=i, y=i, w=1, h=1) for i in range(n)],
            confidence=None if n % 2 else n / 10,
        )

    numbers = [0, 1, 2, 3]
    chain = dc.read_values(n=numbers).map(ann=annotate)
    assert list(chain.collect("ann")) == [annotate(n) for n in numbers]
    assert all(type(a.box) is BBox for a in chain.collect("ann"))
    assert chain.filter(C("ann.box.w") >= 20).to_values("n") == [n for n in numbers if 10 * n >= 20]
    assert chain.filter(C("ann.confidence").is_null()).to_values("n") == [n for n in numbers if n % 2]
    lengths = chain.mutate(k=func.array.length("ann.parts")).to_list("n", "k")
    assert lengths == [(n, n) for n in numbers]


def test_map_tuple_output_with_output_dict(memory):
    def describe(n: int) -> tuple[int, str]:
        return n * n, "even" if n % 2 == 0 else "odd"

    chain = dc.read_values(n=[1, 2, 3]).map(describe, output={"square": int, "parity": str})
    assert chain.column_names == ["n", "square", "parity"]
    assert chain.to_list() == [(1, 1, "odd"), (2, 4, "even"), (3, 9, "odd")]


def test_map_tuple_output_without_names_gets_numbered_columns(memory):
    def split(word: str) -> tuple[str, int]:
        return word[0], len(word)

    chain = dc.read_values(word=["apple", "kiwi"]).map(split)
    assert chain.column_names == ["word", "split_0", "split_1"]
    assert chain.to_list() == [("apple", "a", 5), ("kiwi", "k", 4)]


def test_several_maps_at_once(memory):
    def square(n: int) -> int:
        return n * n

    def half(n: int) -> float:
        return n / 2

    chain = dc.read_values(n=[2, 5, 8]).map(sq=square, hf=half)
    assert chain.column_names == ["n", "sq", "hf"]
    assert chain.to_list() == [(n, n * n, n / 2) for n in (2, 5, 8)]


def test_map_can_replace_a_column(memory):
    def bump(n: int) -> int:
        return n + 100

    chain = dc.read_values(n=[1, 2], s=["a", "b"]).map(n=bump)
    assert sorted(chain.column_names) == ["n", "s"]
    assert sorted(chain.to_list("n", "s")) == [(101, "a"), (102, "b")]


def test_map_keeps_the_order_of_its_input(memory):
    def neg(n: int) -> int:
        return -n

    numbers = list(range(50))
    chain = dc.read_values(n=numbers).order_by("n", descending=True).settings(batch_size=7).map(m=neg)
    assert chain.to_values("n") == sorted(numbers, reverse=True)
    assert chain.to_values("m") == [-n for n in sorted(numbers, reverse=True)]


def test_query_steps_after_a_map(images):
    per_breed = (
        dc.read_storage(images.root)
        .map(info=get_info)
        .mutate(breed=func.path.name(func.path.parent("file.path")))
        .group_by(widest=func.max("info.width"), n=func.count(), partition_by="breed")
    )
    expected = defaultdict(list)
    for path, (w, _) in images.sizes.items():
        expected[images.breed(path)].append(w)
    got = {breed: (widest, n) for breed, widest, n in per_breed.to_list("breed", "widest", "n")}
    assert got == {b: (max(ws), len(ws)) for b, ws in expected.items()}


def test_merge_with_a_chain_that_has_a_map(memory):
    def shout(word: str) -> str:
        return word.upper()

    left = dc.read_values(id=[1, 2, 3], word=["a", "b", "c"])
    right = dc.read_values(key=[2, 3], word=["x", "y"]).map(loud=shout)
    merged = left.merge(right, on="id", right_on="key", inner=True)
    assert sorted(merged.to_list("id", "right_word", "loud")) == [(2, "x", "X"), (3, "y", "Y")]


# ============================================================================ gen, agg, batch_map


def test_gen_yields_zero_to_many_rows_per_input(memory):
    def repeat(word: str, n: int) -> Iterator[str]:
        for i in range(n):
            yield f"{word}{i}"

    words, counts = ["a", "b", "c", "d"], [0, 2, 1, 3]
    chain = dc.read_values(word=words, n=counts).gen(item=repeat)
    assert chain.column_names == ["item"]
    assert chain.to_values("item") == [f"{w}{i}" for w, n in zip(words, counts, strict=True) for i in range(n)]
    assert chain.count() == sum(counts)


def test_gen_with_several_output_columns(memory):
    def tokens(line: str) -> Iterator[tuple[str, int, BBox]]:
        for pos, word in enumerate(line.split()):
            yield word, pos, BBox(x=pos, y=0, w=len(word), h=1)

    lines = ["the quick fox", "", "jumps"]
    chain = dc.read_values(line=lines).settings(batch_size=1).gen(
        tokens, output={"word": str, "pos": int, "box": BBox}
    )
    assert chain.column_names == ["word", "pos", "box"]
    expected = [(w, p, BBox(x=p, y=0, w=len(w), h=1)) for line in lines for p, w in enumerate(line.split())]
    assert chain.to_list() == expected


def test_agg_once_per_partition(memory):
    cities = ["Oslo", "Rome", "Oslo", "Lima", "Rome", "Oslo"]
    scores = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    calls = []

    def summarize(city: list[str], score: list[float]) -> Iterator[tuple[str, float, int]]:
        calls.append(len(city))
        assert len(set(city)) == 1
        yield city[0], sum(score), len(score)

    chain = (
        dc.read_values(city=cities, score=scores)
        .settings(batch_size=1)
        .agg(summarize, partition_by="city", output={"city": str, "total": float, "n": int})
    )
    got = {city: (total, n) for city, total, n in chain.to_list()}
    expected = defaultdict(list)
    for city, score in zip(cities, scores, strict=True):
        expected[city].append(score)
    assert got == {c: (sum(s), len(s)) for c, s in expected.items()}
    assert sorted(calls) == sorted(len(s) for s in expected.values())


def test_agg_over_files_partitioned_by_a_computed_column(images):
    def widest(file: list[dc.File], info: list[ImageInfo]) -> Iterator[tuple[str, int]]:
        best = max(zip(file, info, strict=True), key=lambda pair: pair[1].width)
        yield best[0].path, best[1].width

    chain = (
        dc.read_storage(images.root)
        .map(info=get_info)
        .mutate(folder=func.path.parent("file.path"))
        .agg(widest, partition_by="folder", output={"path": str, "width": int})
    )
    by_folder = defaultdict(list)
    for path, (w, _) in images.sizes.items():
        by_folder[path.rsplit("/", 1)[0]].append((w, path))
    assert sorted(chain.to_list()) == sorted((max(v)[1], max(v)[0]) for v in by_folder.values())


def test_agg_partition_by_unknown_column_raises(memory):
    def total(n: list[int]) -> Iterator[int]:
        yield sum(n)

    with pytest.raises(dc.ColumnNotFoundError, match="grp"):
        dc.read_values(n=[1]).agg(s=total, partition_by="grp")


def test_batch_map_gets_lists(memory):
    seen = []

    def lengths(word: list[str]) -> list[int]:
        seen.append(len(word))
        return [len(w) for w in word]

    words = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g"]
    chain = dc.read_values(word=words).batch_map(size=lengths, batch=3)
    assert chain.to_list() == [(w, len(w)) for w in words]
    assert seen == [3, 3, 1]


def test_batch_map_must_return_one_result_per_row(memory):
    def too_few(word: list[str]) -> list[int]:
        return [1]

    with pytest.raises(dc.UDFError, match="too_few.*returned 1 results for a batch of 2"):
        dc.read_values(word=["a", "b"]).batch_map(n=too_few).to_list()


# ============================================================================ setup and params


class Scaler:
    """Stands in for a model: expensive to build, so built once per run."""

    def __init__(self, factor: int, built: list) -> None:
        built.append(self)
        self.factor = factor


def test_setup_objects_are_built_once_and_passed_by_name(memory):
    built = []

    def scale(n: int, model: Scaler, offset: int) -> int:
        return n * model.factor + offset

    numbers = list(range(10))
    chain = (
        dc.read_values(n=numbers)
        .settings(batch_size=3)
        .setup(model=lambda: Scaler(3, built), offset=lambda: 7)
        .map(scaled=scale)
    )
    assert chain.to_values("scaled") == [n * 3 + 7 for n in numbers]
    assert len(built) == 1
    assert chain.column_names == ["n", "scaled"]


def test_udf_annotated_with_a_local_class(memory):
    class Model:
        factor = 2

    def scale(n: int, model: Model) -> int:
        return n * model.factor

    chain = dc.read_values(n=[1, 2]).setup(model=Model).map(scaled=scale)
    assert chain.to_values("scaled") == [2, 4]


def test_setup_needs_callables(memory):
    with pytest.raises(dc.DataChainError, match="callable"):
        dc.read_values(n=[1]).setup(model=42)


def kilobytes(size: int) -> float:
    return size / 1024


def test_params_pick_nested_fields(images):
    def area(width: int, height: int) -> int:
        return width * height

    def landscape(info__width: int, info__height: int) -> bool:
        return info__width > info__height

    chain = (
        dc.read_storage(images.root)
        .map(info=get_info)
        .map(area=area, params=["info.width", "info.height"])
        .map(wide=landscape)
        .map(size_kb=kilobytes, params="file.size")
    )
    got = {f.path: (a, wide, kb) for f, a, wide, kb in chain.to_list("file", "area", "wide", "size_kb")}
    assert got == {
        p: (w * h, w > h, (images.root / p).stat().st_size / 1024) for p, (w, h) in images.sizes.items()
    }


def test_params_count_must_match(memory):
    def add(a: int, b: int) -> int:
        return a + b

    with pytest.raises(dc.SchemaError, match="takes 2 inputs"):
        dc.read_values(a=[1], b=[2]).map(s=add, params=["a"])


# ============================================================================ errors


def test_parameter_matching_no_column_raises_naming_it(images):
    def width_of(picture: dc.File) -> int:
        return 1

    with pytest.raises(dc.ColumnNotFoundError) as info:
        dc.read_storage(images.root).map(w=width_of)
    message = str(info.value)
    assert "width_of" in message and "'picture'" in message
    assert "file.path" in message


def test_missing_return_annotation_defaults_to_str(memory):
    """As in DataChain 0.62: a UDF without a return annotation outputs `str`; other values are refused."""

    def untyped(n):
        return f"#{n}"

    def untyped_int(n):
        return n

    assert dc.read_values(n=[1]).map(x=untyped).to_values("x") == ["#1"]
    with pytest.raises(dc.UDFError, match="untyped_int.*'x'.*expected str"):
        dc.read_values(n=[1]).map(x=untyped_int).to_values("x")


def test_wrong_return_type_names_udf_file_and_field(images):
    bad_path = sorted(images.sizes)[5]

    def sloppy_info(file: dc.File) -> ImageInfo:
        if file.path == bad_path:
            return {"width": "wide", "height": 3}
        return get_info(file)

    chain = dc.read_storage(images.root).map(info=sloppy_info)
    with pytest.raises(dc.UDFError) as info:
        chain.save("sloppy")
    message = str(info.value)
    assert "sloppy_info" in message
    assert bad_path in message
    assert "info.width" in message
    assert info.value.udf == "sloppy_info"
    assert info.value.row == bad_path
    with pytest.raises(dc.DatasetNotFoundError):
        dc.read_dataset("sloppy")


def test_wrong_scalar_return_type(memory):
    def count_letters(word: str) -> int:
        return f"{len(word)} letters"

    with pytest.raises(dc.UDFError, match=r"count_letters.*'letters'.*expected int"):
        dc.read_values(word=["abc"]).map(letters=count_letters).to_list()


def test_user_exception_reaches_the_caller_as_itself_naming_udf_and_row(images):
    """As in DataChain 0.62, the user's own exception type reaches the caller; our note names the UDF and row."""
    broken = sorted(images.sizes)[2]

    def fragile(file: dc.File) -> int:
        if file.path == broken:
            return 1 // 0
        return file.size

    with pytest.raises(ZeroDivisionError) as info:
        dc.read_storage(images.root).map(n=fragile).to_list()
    assert info.value.__notes__ == [f"UDF 'fragile' failed on input row {broken}: ZeroDivisionError: "
                                    "integer division or modulo by zero"]
    assert info.type is ZeroDivisionError


def test_wrong_tuple_arity_raises(memory):
    def pair(n: int) -> tuple[int, int]:
        return (n,)

    with pytest.raises(dc.UDFError, match="pair.*tuple of 2 values"):
        dc.read_values(n=[1]).map(pair, output={"a": int, "b": int}).to_list()


# ============================================================================ checkpoints and re-runs


def test_checkpoint_resume_after_a_crash(memory, caplog):
    calls = []
    rows, batch_size, fail_after = 300, 100, 236

    def encode(n: int) -> list[float]:
        calls.append(n)
        if len(calls) > fail_after:  # bug: remove these two lines
            raise Exception("some bug")
        return [float(n), n / 2]

    chain = dc.read_values(n=list(range(rows))).settings(batch_size=batch_size).map(emb=encode)
    with pytest.raises(Exception, match="some bug"):
        chain.save("embeddings")
    assert len(calls) == fail_after + 1

    def encode(n: int) -> list[float]:  # noqa: F811 - the fixed function, same name, as a user would edit it
        calls.append(n)
        return [float(n), n / 2]

    calls.clear()
    done = fail_after  # the rows finished before the failing one were committed as a last part
    with caplog.at_level(logging.INFO, logger="dagster_datachain"):
        saved = dc.read_values(n=list(range(rows))).settings(batch_size=batch_size).map(emb=encode).save("embeddings")
    assert len(calls) == rows - done
    assert calls == list(range(done, rows))
    assert "continuing from checkpoint" in caplog.text.lower()
    assert f"{done} of {rows}" in caplog.text

    values = saved.to_list("n", "emb")
    assert sorted(n for n, _ in values) == list(range(rows))
    assert all(emb == [float(n), n / 2] for n, emb in values)
    with memory.connect() as con:
        versions = list_versions(con, "embeddings")
    assert [(v.version, v.row_count) for v in versions] == [("1.0.0", rows)]
    assert not any(memory.staging_dir.glob("*/parts/*.parquet"))


def test_saving_an_unchanged_chain_creates_no_new_version(memory):
    calls = []

    def square(n: int) -> int:
        calls.append(n)
        return n * n

    def pipeline():
        return dc.read_values(n=[1, 2, 3]).map(sq=square).save("squares")

    first = pipeline()
    assert len(calls) == 3
    second = pipeline()
    assert len(calls) == 3
    with memory.connect() as con:
        assert [v.version for v in list_versions(con, "squares")] == ["1.0.0"]
    assert second.to_list() == first.to_list() == [(n, n * n) for n in (1, 2, 3)]
    dc.read_values(n=[1, 2, 3, 4]).map(sq=square).save("squares")
    with memory.connect() as con:
        assert [v.version for v in list_versions(con, "squares")] == ["1.0.0", "1.0.1"]


def test_resaving_a_storage_chain_versions_only_when_files_change(images, memory):
    calls = []

    def info_of(file: dc.File) -> ImageInfo:
        calls.append(file.path)
        return get_info(file)

    def pipeline():
        return dc.read_storage(f"{images.root}/**/*.jpg").map(info=info_of).save("pets_images")

    pipeline()
    pipeline()
    assert len(calls) == len(images.sizes)
    assert [v.version for v in list_versions_of(memory, "pets_images")] == ["1.0.0"]

    new = "dogs/shiba_inu/shiba_inu_9.jpg"
    Image.new("RGB", (77, 66)).save(images.root / new, "JPEG")
    saved = pipeline()
    assert [(v.version, v.row_count) for v in list_versions_of(memory, "pets_images")] == [
        ("1.0.0", len(images.sizes)), ("1.0.1", len(images.sizes) + 1),
    ]  # fmt: skip
    assert {f.path: i for f, i in saved.to_list()}[new] == ImageInfo(width=77, height=66)


def test_a_checkpoint_is_not_reused_when_the_input_changed(images, memory):
    calls, failing = [], [True]

    def info_of(file: dc.File) -> ImageInfo:
        calls.append(file.path)
        if failing[0] and len(calls) == 7:
            raise RuntimeError("flaky")
        return get_info(file)

    chain = dc.read_storage(images.root).settings(batch_size=4).map(info=info_of)
    with pytest.raises(RuntimeError, match="flaky"):
        chain.save("pets")
    changed = sorted(images.sizes)[0]
    Image.new("RGB", (5, 6)).save(images.root / changed, "JPEG")
    calls.clear()
    failing[0] = False
    saved = dc.read_storage(images.root).settings(batch_size=4).map(info=info_of).save("pets")
    # the 6 files done before the failure are reused, except the one that changed since
    assert changed in calls and len(calls) == len(images.sizes) - 6 + 1
    got = {f.path: (i.width, i.height) for f, i in saved.to_list()}
    assert got == {**images.sizes, changed: (5, 6)}


def list_versions_of(memory, name):
    with memory.connect() as con:
        return list_versions(con, name)


def test_udf_docstring_describes_its_output_column(memory):
    def area(width: int, height: int) -> int:
        """Pixel count of the image.

        Longer explanation that stays out of the schema."""
        return width * height

    chain = dc.read_values(width=[2], height=[3]).map(area=area).save("areas")
    assert chain.specs["area"].description == "Pixel count of the image."
    assert chain.to_values("area") == [6]


def test_corrupt_file_read_in_a_udf_names_the_udf_and_the_file(memory, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "broken.jpg").write_bytes(b"not an image")

    def width(file: dc.ImageFile) -> int:
        return file.read().width

    message = r"UDF 'width' failed on input row broken.jpg: StorageError: cannot decode"
    with pytest.raises(dc.StorageError, match=message):
        dc.read_storage(str(folder), type="image").map(w=width).save("widths")
    with pytest.raises(dc.DatasetNotFoundError):
        dc.read_dataset("widths")  # nothing half-saved


def test_invalid_settings_are_refused(memory):
    chain = dc.read_values(n=[1])
    with pytest.raises(dc.DataChainError, match="batch_size"):
        chain.settings(batch_size=0)
    with pytest.raises(dc.DataChainError, match="prefetch"):
        chain.settings(prefetch=-1)
