"""Query steps, DuckDB functions and terminal methods of a chain, written the way a user would script them."""

from __future__ import annotations

import posixpath
import re
import statistics
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel

import dagster_datachain as dc
from dagster_datachain import C, func

NAMES = ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal"]
AGES = [31, 25, 47, 25, 38, 52, 19, 31]
CITIES = ["Oslo", "Rome", "Oslo", "Lima", "Rome", "Oslo", "Lima", "Rome"]
SCORES = [1.5, 2.25, 3.0, 0.5, 4.75, 2.0, 3.5, 1.25]
NICKS = ["Annie", None, "C", None, "Evie", "F", None, "Hal"]


class Info(BaseModel):
    width: int
    height: int


WIDTHS = [120, 640, 480, 300, 800, 50, 410, 415]
HEIGHTS = [90, 480, 300, 300, 600, 60, 200, 700]


def rows():
    return list(zip(NAMES, AGES, CITIES, SCORES, NICKS, strict=True))


@pytest.fixture
def people(memory):
    return dc.read_values(name=NAMES, age=AGES, city=CITIES, score=SCORES, nick=NICKS)


@pytest.fixture
def shapes(memory):
    infos = [Info(width=w, height=h) for w, h in zip(WIDTHS, HEIGHTS, strict=True)]
    return dc.read_values(name=NAMES, info=infos)


def names_where(predicate):
    return sorted(n for n, a, c, s, k in rows() if predicate(n, a, c, s, k))


# ============================================================================ filter


@pytest.mark.parametrize(
    ("condition", "predicate"),
    [
        (C("age") == 31, lambda n, a, c, s, k: a == 31),
        (C("age") != 31, lambda n, a, c, s, k: a != 31),
        (C("age") < 31, lambda n, a, c, s, k: a < 31),
        (C("age") <= 31, lambda n, a, c, s, k: a <= 31),
        (C("age") > 31, lambda n, a, c, s, k: a > 31),
        (C("age") >= 31, lambda n, a, c, s, k: a >= 31),
        (C("city") == "Oslo", lambda n, a, c, s, k: c == "Oslo"),
        ((C("age") > 30) & (C("city") == "Rome"), lambda n, a, c, s, k: a > 30 and c == "Rome"),
        ((C("age") < 20) | (C("score") > 4), lambda n, a, c, s, k: a < 20 or s > 4),
        (~(C("city") == "Oslo"), lambda n, a, c, s, k: c != "Oslo"),
        (~((C("age") > 30) | (C("city") == "Lima")), lambda n, a, c, s, k: not (a > 30 or c == "Lima")),
        (C("score") * 2 > C("age") / 10, lambda n, a, c, s, k: s * 2 > a / 10),
    ],
)
def test_filter_comparisons_and_logic(people, condition, predicate):
    kept = people.filter(condition).to_values("name")
    assert sorted(kept) == names_where(predicate)
    assert 0 < len(kept) < len(NAMES)


def test_several_conditions_in_one_filter_all_hold(people):
    kept = people.filter(C("age") > 20, C("city") != "Rome").to_values("name")
    assert sorted(kept) == names_where(lambda n, a, c, s, k: a > 20 and c != "Rome")


@pytest.mark.parametrize(
    ("condition", "predicate"),
    [
        (C("city").like("O%"), lambda n, a, c, s, k: c.startswith("O")),
        (C("city").like("o%"), lambda n, a, c, s, k: c.startswith("o")),  # like is case-sensitive
        (C("city").ilike("o%"), lambda n, a, c, s, k: c.lower().startswith("o")),
        (C("city").like("_ome"), lambda n, a, c, s, k: len(c) == 4 and c.endswith("ome")),
        (C("name").glob("?e?"), lambda n, a, c, s, k: len(n) == 3 and n[1] == "e"),
        (C("name").glob("[a-c]*"), lambda n, a, c, s, k: n[0] in "abc"),
        (C("city").isin(["Lima", "Rome"]), lambda n, a, c, s, k: c in ("Lima", "Rome")),
        (C("city").isin([]), lambda n, a, c, s, k: False),
        (C("nick").is_null(), lambda n, a, c, s, k: k is None),
        (C("nick").is_not_null(), lambda n, a, c, s, k: k is not None),
        (C("nick") == None, lambda n, a, c, s, k: k is None),  # noqa: E711 - IS NULL, as in the reference
        (C("nick") != None, lambda n, a, c, s, k: k is not None),  # noqa: E711
        ((C("nick") != None) & (C("age") > 30), lambda n, a, c, s, k: k is not None and a > 30),  # noqa: E711
        (~C("nick").is_null() & C("age").isin([31, 52]), lambda n, a, c, s, k: k is not None and a in (31, 52)),
    ],
)
def test_filter_patterns_membership_and_nulls(people, condition, predicate):
    assert sorted(people.filter(condition).to_values("name")) == names_where(predicate)


def test_filter_on_nested_fields_of_files(images):
    chain = dc.read_storage(images.root)
    not_cocker = chain.filter(~C("file.path").ilike("%COCKER_SPANIEL%"))
    expected = sorted(p for p in images.sizes if "cocker_spaniel" not in p)
    assert sorted(f.path for f in not_cocker.to_values("file")) == expected
    cats = chain.filter(C("file.size") > 0, C("file.path").glob("cats/*")).count()
    assert cats == sum(1 for p in images.sizes if p.startswith("cats/"))


def test_filter_on_nested_model_fields(shapes):
    kept = shapes.filter((C("info.width") > 400) & (C("info.height") < 500)).to_values("name")
    expected = [n for n, w, h in zip(NAMES, WIDTHS, HEIGHTS, strict=True) if w > 400 and h < 500]
    assert sorted(kept) == sorted(expected)


def test_filter_rejects_what_is_not_an_expression(people):
    with pytest.raises(dc.DataChainError, match="expressions"):
        people.filter("age > 3")


def test_filter_on_unknown_column_names_it_and_suggests(people):
    with pytest.raises(dc.ColumnNotFoundError) as info:
        people.filter(C("agee") > 3)
    assert "'agee'" in str(info.value)
    assert "did you mean 'age'" in str(info.value)


# ============================================================================ mutate


def test_mutate_adds_columns_with_arithmetic(people):
    chain = people.mutate(
        double=C("age") * 2,
        shifted=C("age") + 1,
        left=100 - C("age"),
        ratio=C("score") / 2,
        scaled=3 * C("score"),
        rest=C("age") % 10,
        neg=-C("age"),
        mixed=C("age") * C("score") + 1,
        const=7,
    )
    got = chain.order_by("name").to_list("name", "double", "shifted", "left", "ratio", "scaled", "rest", "neg",
                                          "mixed", "const")
    expected = sorted(
        (n, a * 2, a + 1, 100 - a, s / 2, 3 * s, a % 10, -a, a * s + 1, 7) for n, a, c, s, k in rows()
    )
    assert got == expected
    assert chain.column_names[: len(people.column_names)] == people.column_names


def test_mutate_replaces_an_existing_column(people):
    chain = people.mutate(age=C("age") + 100)
    assert sorted(chain.column_names) == sorted(people.column_names)
    assert sorted(chain.to_list("name", "age")) == sorted((n, a + 100) for n, a, *_ in rows())


def test_mutate_can_use_a_column_made_by_an_earlier_mutate(shapes):
    chain = shapes.mutate(area=C("info.width") * C("info.height")).mutate(big=C("area") > 100_000)
    got = dict(chain.to_list("name", "big"))
    assert got == {n: w * h > 100_000 for n, w, h in zip(NAMES, WIDTHS, HEIGHTS, strict=True)}


def test_mutate_unknown_column_raises(people):
    with pytest.raises(dc.ColumnNotFoundError, match="nope"):
        people.mutate(x=C("nope") + 1)


# ============================================================================ select


def test_select_keeps_only_named_columns_in_order(people):
    chain = people.select("city", "name")
    assert chain.column_names == ["city", "name"]
    assert sorted(chain.to_list()) == sorted((c, n) for n, a, c, s, k in rows())


def test_select_except_drops_columns(people):
    chain = people.select_except("nick", "score")
    assert chain.column_names == ["name", "age", "city"]
    assert sorted(chain.to_list()) == sorted((n, a, c) for n, a, c, s, k in rows())


def test_select_nested_field(images):
    chain = dc.read_storage(images.root).select("file.path", "file.size")
    paths = [row[0] for row in chain.to_list()]
    assert sorted(paths) == sorted(images.sizes)
    sizes = dict(chain.to_list())
    assert sizes == {p: (images.root / p).stat().st_size for p in images.sizes}


def test_select_except_refuses_nested_fields(images):
    with pytest.raises(dc.SchemaError, match="file.path"):
        dc.read_storage(images.root).select_except("file.path")


def test_select_unknown_column_raises(people):
    with pytest.raises(dc.ColumnNotFoundError, match="town"):
        people.select("name", "town")


# ============================================================================ order_by, limit, offset


def test_order_by_ascending_and_descending(people):
    assert people.order_by("age").to_values("age") == sorted(AGES)
    assert people.order_by("age", descending=True).to_values("age") == sorted(AGES, reverse=True)
    assert people.order_by(C("score").desc()).to_values("score") == sorted(SCORES, reverse=True)


def test_order_by_several_keys(people):
    got = people.order_by("city", C("age").desc(), "name").to_list("city", "age", "name")
    expected = sorted(((c, a, n) for n, a, c, s, k in rows()), key=lambda r: (r[0], -r[1], r[2]))
    assert got == expected


def test_order_by_expression(shapes):
    got = shapes.order_by((C("info.width") * C("info.height")).desc()).to_values("name")
    expected = [n for n, w, h in sorted(zip(NAMES, WIDTHS, HEIGHTS, strict=True), key=lambda r: -r[1] * r[2])]
    assert got == expected


def test_order_by_nested_file_path(images):
    got = [f.path for f in dc.read_storage(images.root).order_by(C("file.path").desc()).to_values("file")]
    assert got == sorted(images.sizes, reverse=True)


def test_limit_and_offset(people):
    ordered = sorted(NAMES)
    chain = people.order_by("name")
    assert chain.limit(3).to_values("name") == ordered[:3]
    assert chain.offset(5).to_values("name") == ordered[5:]
    assert chain.offset(2).limit(3).to_values("name") == ordered[2:5]
    assert chain.limit(4).offset(1).to_values("name") == ordered[1:4]
    assert chain.limit(0).count() == 0
    assert chain.limit(100).count() == len(NAMES)


# ============================================================================ group_by


def test_group_by_aggregates_per_city(people):
    grouped = people.group_by(
        cnt=func.count(),
        total=func.sum("score"),
        mean=func.avg("age"),
        youngest=func.min("age"),
        oldest=func.max("age"),
        members=func.collect("name"),
        some=func.any_value("name"),
        one=func.first("name"),
        nicks=func.count("nick"),
        partition_by="city",
    )
    got = {row[0]: row[1:] for row in grouped.to_list("city", "cnt", "total", "mean", "youngest", "oldest",
                                                        "members", "some", "one", "nicks")}
    by_city = defaultdict(list)
    for row in rows():
        by_city[row[2]].append(row)
    assert set(got) == set(by_city)
    for city, members in by_city.items():
        cnt, total, mean, youngest, oldest, names, some, one, nicks = got[city]
        assert cnt == len(members)
        assert total == pytest.approx(sum(r[3] for r in members))
        assert mean == pytest.approx(statistics.mean(r[1] for r in members))
        assert youngest == min(r[1] for r in members)
        assert oldest == max(r[1] for r in members)
        assert sorted(names) == sorted(r[0] for r in members)
        assert some in names and one in names
        assert nicks == sum(1 for r in members if r[4] is not None)


def test_group_by_several_keys_and_column_objects(people):
    grouped = people.group_by(n=func.count(), partition_by=[C("city"), "age"])
    assert sorted(grouped.column_names) == ["age", "city", "n"]
    expected = Counter((c, a) for n, a, c, s, k in rows())
    assert {(c, a): n for c, a, n in grouped.to_list("city", "age", "n")} == dict(expected)


def test_group_by_without_partition_gives_one_row(people):
    assert people.group_by(n=func.count(), top=func.max("score")).to_list() == [(len(NAMES), max(SCORES))]


def test_group_by_files_by_folder(images):
    per_breed = (
        dc.read_storage(images.root)
        .mutate(breed=func.path.parent("file.path"))
        .group_by(files=func.count(), bytes=func.sum("file.size"), partition_by="breed")
    )
    expected_counts = Counter(posixpath.dirname(p) for p in images.sizes)
    expected_bytes = Counter()
    for p in images.sizes:
        expected_bytes[posixpath.dirname(p)] += (images.root / p).stat().st_size
    got = {breed: (n, total) for breed, n, total in per_breed.to_list("breed", "files", "bytes")}
    assert got == {b: (expected_counts[b], expected_bytes[b]) for b in expected_counts}


def test_group_by_refuses_non_aggregates(people):
    with pytest.raises(dc.SchemaError, match="not an aggregate"):
        people.group_by(x=C("age") + 1, partition_by="city")


# ============================================================================ merge


@pytest.fixture
def left(memory):
    return dc.read_values(id=[1, 2, 3, 4], name=["a", "b", "c", "d"])


@pytest.fixture
def right(memory):
    return dc.read_values(id=[3, 4, 5], name=["C", "D", "E"], price=[30.0, 40.0, 50.0])


def test_merge_inner(left, right):
    merged = left.merge(right, on="id", inner=True)
    assert merged.column_names == ["id", "name", "right_id", "right_name", "price"]
    assert sorted(merged.to_list()) == [(3, "c", 3, "C", 30.0), (4, "d", 4, "D", 40.0)]


def test_merge_left_is_the_default(left, right):
    merged = left.merge(right, on="id")
    assert sorted(merged.to_list("id", "right_name", "price")) == [
        (1, None, None), (2, None, None), (3, "C", 30.0), (4, "D", 40.0),
    ]  # fmt: skip


def test_merge_full_keeps_unmatched_rows_of_both_sides(left, right):
    merged = left.merge(right, on="id", full=True)
    got = sorted(merged.to_list("id", "right_id"), key=lambda r: (r[0] or r[1]))
    assert got == [(1, None), (2, None), (3, 3), (4, 4), (None, 5)]


def test_merge_on_differently_named_columns_with_custom_rname(memory, left):
    prices = dc.read_values(item=[1, 3, 9], name=["one", "three", "nine"], price=[1.0, 3.0, 9.0])
    merged = left.merge(prices, on=C("id"), right_on=C("item"), inner=True, rname="p_")
    assert merged.column_names == ["id", "name", "item", "p_name", "price"]
    assert sorted(merged.to_list()) == [(1, "a", 1, "one", 1.0), (3, "c", 3, "three", 3.0)]


def test_merge_on_nested_file_path(memory, images):
    breeds = sorted(images.sizes)
    labels = dc.read_values(path=breeds[::2], breed=[images.breed(p) for p in breeds[::2]])
    merged = dc.read_storage(images.root).merge(labels, on="file.path", right_on="path", inner=True)
    got = {file.path: breed for file, breed in merged.to_list("file", "breed")}
    assert got == {p: images.breed(p) for p in breeds[::2]}


def test_merge_needs_matching_key_lists(left, right):
    with pytest.raises(dc.DataChainError, match="right_on"):
        left.merge(right, on=["id", "name"], right_on="id")


# ============================================================================ union, subtract, distinct


def test_union_keeps_all_rows_of_both(memory, left):
    more = dc.read_values(id=[4, 9], name=["d", "z"])
    both = left.union(more)
    assert both.count() == 6
    assert Counter(both.to_list()) == Counter([(1, "a"), (2, "b"), (3, "c"), (4, "d"), (4, "d"), (9, "z")])


def test_union_of_different_schemas_raises(left, right):
    with pytest.raises(dc.SchemaError, match="union"):
        left.union(right)


def test_subtract_on_all_common_columns(memory, left):
    other = dc.read_values(id=[2, 3, 7], name=["b", "X", "q"])
    assert sorted(left.subtract(other).to_list()) == [(1, "a"), (3, "c"), (4, "d")]


def test_subtract_on_named_columns(memory, left):
    other = dc.read_values(key=[2, 3, 7])
    assert sorted(left.subtract(other, on="id", right_on="key").to_values("id")) == [1, 4]


def test_distinct_whole_rows_and_on_columns(memory):
    chain = dc.read_values(a=[1, 1, 2, 2, 3], b=["x", "x", "y", "z", "x"])
    assert sorted(chain.distinct().to_list()) == [(1, "x"), (2, "y"), (2, "z"), (3, "x")]
    assert sorted(chain.distinct("a").to_values("a")) == [1, 2, 3]
    assert sorted(chain.distinct("b").to_values("b")) == ["x", "y", "z"]


# ============================================================================ sample, shuffle


def test_sample_returns_n_distinct_rows_of_the_chain(people):
    picked = people.sample(3).to_values("name")
    assert len(picked) == 3 == len(set(picked))
    assert set(picked) <= set(NAMES)
    assert sorted(people.sample(100).to_values("name")) == sorted(NAMES)


def test_shuffle_keeps_every_row(memory):
    chain = dc.read_values(n=list(range(200)))
    orders = [chain.shuffle().to_values("n") for _ in range(3)]
    for order in orders:
        assert sorted(order) == list(range(200))
    assert any(order != list(range(200)) for order in orders)


# ============================================================================ func: vectors


def test_cosine_and_euclidean_distance_match_numpy(memory):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(10, 16)).astype(np.float32)
    others = rng.normal(size=(10, 16)).astype(np.float32)
    ref = rng.normal(size=16).astype(np.float32)
    chain = dc.read_values(i=list(range(10)), emb=vectors.tolist(), other=others.tolist()).mutate(
        cos=func.cosine_distance(C("emb"), ref.tolist()),
        l2=func.euclidean_distance("emb", ref.tolist()),
        pair=func.cosine_distance("emb", "other"),
    )
    got = {i: (cos, l2, pair) for i, cos, l2, pair in chain.to_list("i", "cos", "l2", "pair")}

    def cosine(a, b):
        return 1 - float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))

    for i in range(10):
        cos, l2, pair = got[i]
        assert cos == pytest.approx(cosine(vectors[i], ref), abs=1e-5)
        assert l2 == pytest.approx(float(np.linalg.norm(vectors[i] - ref)), rel=1e-5)
        assert pair == pytest.approx(cosine(vectors[i], others[i]), abs=1e-5)
    nearest = chain.order_by("cos").limit(3).to_values("i")
    assert nearest == sorted(range(10), key=lambda i: cosine(vectors[i], ref))[:3]


def test_array_length_and_contains(memory):
    tags = [["a", "b"], [], ["c"], ["a", "c", "d"]]
    chain = dc.read_values(n=[0, 1, 2, 3], tags=tags).mutate(
        size=func.array.length("tags"), has_a=func.array.contains(C("tags"), "a")
    )
    got = sorted(chain.to_list("n", "size", "has_a"))
    assert got == [(i, len(t), "a" in t) for i, t in enumerate(tags)]
    assert sorted(chain.filter(func.array.contains("tags", "c")).to_values("n")) == [
        i for i, t in enumerate(tags) if "c" in t
    ]


# ============================================================================ func: strings and paths


def test_string_functions(memory):
    words = ["Hello World", "a-b-c", "DuckDB", "x_y"]
    chain = dc.read_values(w=words).mutate(
        n=func.string.length("w"),
        lo=func.string.lower("w"),
        up=func.string.upper(C("w")),
        parts=func.string.split("w", "-"),
        swapped=func.string.replace("w", "o", "0"),
        digits=func.string.regexp_replace("w", "[aeiou]", "*"),
        grouped=func.string.regexp_replace("w", r"(\w)_(\w)", r"\2_\1"),
    )
    got = {row[0]: row[1:] for row in chain.to_list("w", "n", "lo", "up", "parts", "swapped", "digits", "grouped")}
    for w in words:
        assert got[w] == (
            len(w), w.lower(), w.upper(), w.split("-"), w.replace("o", "0"), re.sub("[aeiou]", "*", w),
            re.sub(r"(\w)_(\w)", r"\2_\1", w),
        )  # fmt: skip


def test_path_functions(memory):
    paths = ["a/b/cat.jpg", "top.png", "x/y/z/archive.tar.gz", "docs/README"]
    chain = dc.read_values(p=paths).mutate(
        name=func.path.name("p"),
        parent=func.path.parent("p"),
        stem=func.path.file_stem("p"),
        ext=func.path.file_ext(C("p")),
    )
    got = {row[0]: row[1:] for row in chain.to_list("p", "name", "parent", "stem", "ext")}
    for p in paths:
        name = posixpath.basename(p)
        stem, dot, ext = name.rpartition(".")
        expected_stem, expected_ext = (stem, ext) if dot else (name, "")
        assert got[p] == (name, posixpath.dirname(p), expected_stem, expected_ext), p


def test_path_functions_on_listed_files(images):
    chain = dc.read_storage(images.root).mutate(
        breed=func.path.name(func.path.parent("file.path")), ext=func.path.file_ext("file.path")
    )
    got = {file.path: (breed, ext) for file, breed, ext in chain.to_list("file", "breed", "ext")}
    assert got == {p: (images.breed(p), "jpg") for p in images.sizes}


# ============================================================================ func: conditionals


def test_case_ifelse_isnone(people):
    chain = people.mutate(
        band=func.case((C("age") >= 40, "senior"), (C("age") >= 30, "adult"), else_="young"),
        rich=func.ifelse(C("score") > 2, "yes", "no"),
        anon=func.isnone("nick"),
        label=func.ifelse(func.isnone(C("nick")), C("name"), C("nick")),
    )
    got = {row[0]: row[1:] for row in chain.to_list("name", "band", "rich", "anon", "label")}
    for n, a, _c, s, k in rows():
        band = "senior" if a >= 40 else "adult" if a >= 30 else "young"
        assert got[n] == (band, "yes" if s > 2 else "no", k is None, n if k is None else k)


def test_greatest_and_least(shapes):
    chain = shapes.mutate(
        longest=func.greatest("info.width", "info.height"),
        shortest=func.least(C("info.width"), C("info.height")),
        capped=func.least(C("info.width"), 400),
    )
    got = {row[0]: row[1:] for row in chain.to_list("name", "longest", "shortest", "capped")}
    assert got == {n: (max(w, h), min(w, h), min(w, 400)) for n, w, h in zip(NAMES, WIDTHS, HEIGHTS, strict=True)}


# ============================================================================ terminal methods


def test_count_and_aggregates(people):
    assert people.count() == len(NAMES)
    assert people.sum("age") == sum(AGES)
    assert people.avg("score") == pytest.approx(statistics.mean(SCORES))
    assert people.min("age") == min(AGES)
    assert people.max(C("score") * 2) == pytest.approx(2 * max(SCORES))
    assert people.filter(C("age") > 1000).count() == 0


def test_to_pandas_flat_and_multiindex(shapes):
    flat = shapes.to_pandas(flatten=True)
    assert list(flat.columns) == ["name", "info.width", "info.height"]
    assert flat["info.width"].tolist() == WIDTHS
    nested = shapes.to_pandas()
    assert isinstance(nested.columns, pd.MultiIndex)
    assert ("info", "width") in nested.columns and ("info", "height") in nested.columns
    assert nested[("info", "height")].tolist() == HEIGHTS
    assert nested[("name", "")].tolist() == NAMES


def test_to_pandas_of_files_can_hide_file_internals(images):
    chain = dc.read_storage(images.root)
    everything = chain.to_pandas(flatten=True)
    assert {"file.path", "file.size", "file.etag", "file.source"} <= set(everything.columns)
    visible = chain.to_pandas(flatten=True, include_hidden=False)
    assert list(visible.columns) == ["file.path", "file.size"]
    assert sorted(visible["file.path"]) == sorted(images.sizes)


def test_to_pyarrow(shapes):
    table = shapes.to_pyarrow()
    assert isinstance(table, pa.Table)
    assert table.num_rows == len(NAMES)
    assert pa.types.is_struct(table.schema.field("info").type)
    assert table.column("info").to_pylist() == [{"width": w, "height": h} for w, h in zip(WIDTHS, HEIGHTS,
                                                                                            strict=True)]


def test_to_parquet_round_trips_through_pyarrow(shapes, tmp_path):
    target = tmp_path / "out" / "shapes.parquet"
    target.parent.mkdir()
    shapes.filter(C("info.width") > 300).to_parquet(target)
    table = pq.read_table(target)
    expected = [(n, w, h) for n, w, h in zip(NAMES, WIDTHS, HEIGHTS, strict=True) if w > 300]
    got = [(r["name"], r["info"]["width"], r["info"]["height"]) for r in table.to_pylist()]
    assert sorted(got) == sorted(expected)


def test_to_list_and_to_values(people):
    assert sorted(people.to_list("name", "age")) == sorted((n, a) for n, a, *_ in rows())
    assert sorted(people.to_list("age")) == sorted((a,) for a in AGES)
    assert sorted(people.to_list()) == sorted(rows())
    assert sorted(people.to_values("city")) == sorted(CITIES)


def test_collect_gives_pydantic_objects_back(shapes):
    infos = list(shapes.collect("info"))
    assert all(type(info) is Info for info in infos)
    assert [(i.width, i.height) for i in infos] == list(zip(WIDTHS, HEIGHTS, strict=True))
    pairs = list(shapes.order_by("name").collect("name", "info"))
    assert pairs[0] == (sorted(NAMES)[0], Info(width=WIDTHS[0], height=HEIGHTS[0]))


def test_collect_nested_fields(shapes):
    assert list(shapes.collect("info.width")) == WIDTHS
    assert list(shapes.collect("name", "info.height")) == list(zip(NAMES, HEIGHTS, strict=True))


def test_collect_files_gives_file_objects(images):
    files = list(dc.read_storage(images.root, type="image").collect("file"))
    assert all(isinstance(f, dc.ImageFile) for f in files)
    assert {f.path: f.read().size for f in files} == images.sizes


def test_iterating_a_chain_yields_row_tuples(people):
    seen = []
    for row in people.filter(C("city") == "Lima"):
        seen.append(row)
    assert sorted(seen) == sorted(r for r in rows() if r[2] == "Lima")


def test_chains_are_immutable(people):
    filtered = people.filter(C("age") > 40)
    people.mutate(x=1)
    assert people.count() == len(NAMES)
    assert people.column_names == ["name", "age", "city", "score", "nick"]
    assert filtered.count() == sum(1 for a in AGES if a > 40)
    assert filtered.avg("age") == pytest.approx(statistics.mean(a for a in AGES if a > 40))
