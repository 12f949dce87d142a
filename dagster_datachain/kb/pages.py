"""One function per kind of page: gather what its template shows, then fill the template."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import duckdb

from ..memory.changes import count_changes
from ..memory.schema import Schema, TypeSpec
from .facts import BucketStats, bucket_stats, preview
from .graph import INDEX, Bucket, Dataset, KnowledgeGraph
from .render import render

JOIN_KINDS = frozenset({"str", "int", "date", "datetime"})
"""Leaf types worth joining on; floats, flags, lists and JSON are not keys."""


@dataclass(frozen=True)
class Column:
    """One row of a schema table: a dotted column, its type and what it means."""

    name: str
    type: str
    description: str


def schema_columns(schema: Schema) -> list[Column]:
    """Every column and nested field, parents before their fields."""

    def walk(name: str, spec: TypeSpec) -> list[Column]:
        rows = [Column(name, spec.label(), spec.description or "")]
        for field_name, field_spec in spec.fields.items() if spec.kind == "model" else ():
            rows.extend(walk(f"{name}.{field_name}", field_spec))
        return rows

    return [row for column, spec in schema.items() for row in walk(column, spec)]


def join_keys(graph: KnowledgeGraph) -> dict[str, dict[tuple[str, str], list[str]]]:
    """Per dataset: its (column, type) leaves that other datasets also have, with those datasets."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for dataset in graph.datasets.values():
        for column, spec in dataset.latest.dataset_schema.items():
            for path, leaf in spec.leaves(column, include_hidden=False):
                if leaf.kind in JOIN_KINDS:
                    holders[(path, leaf.label())].append(dataset.name)
    keys: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(dict)
    for key, names in sorted(holders.items()):
        for name in names:
            others = [n for n in names if n != name]
            if others:
                keys[name][key] = others
    return keys


def page_writers(con: duckdb.DuckDBPyConnection, graph: KnowledgeGraph) -> dict[str, Callable[[], str]]:
    """For every page of the vault, a function that renders it (only pages asked for pay for reading rows)."""
    stats = {source: bucket_stats(con, bucket.listings) for source, bucket in graph.buckets.items()}
    joins = join_keys(graph)
    writers: dict[str, Callable[[], str]] = {INDEX: partial(index_page, graph, stats)}
    writers.update({d.page: partial(dataset_page, con, graph, d, joins.get(d.name, {}))
                    for d in graph.datasets.values()})
    writers.update({b.page: partial(bucket_page, graph, b, stats[s]) for s, b in graph.buckets.items()})
    return writers


def index_page(graph: KnowledgeGraph, stats: dict[str, BucketStats]) -> str:
    """`index.md`: every bucket, and under it the datasets built from it, upstream first."""
    return render("index.md.j2", graph=graph, groups=graph.groups(), stats=stats)


def dataset_page(con: duckdb.DuckDBPyConnection, graph: KnowledgeGraph, dataset: Dataset,
                 joins: dict[tuple[str, str], list[str]]) -> str:
    """`datasets/<name>.md`: what it is, how to read it, schema, lineage, joins, versions and a preview."""
    previous = [None, *dataset.versions[:-1]]
    rows = preview(con, dataset.latest)
    changes = [count_changes(con, old, new) for old, new in zip(previous, dataset.versions, strict=True)]
    return render(
        "dataset.md.j2",
        graph=graph,
        dataset=dataset,
        latest=dataset.latest,
        columns=schema_columns(dataset.latest.dataset_schema),
        versions=list(zip(dataset.versions, changes, strict=True))[::-1],
        joins=joins,
        preview_columns=list(rows),
        preview_rows=list(zip(*rows.values(), strict=True)),
    )


def bucket_page(graph: KnowledgeGraph, bucket: Bucket, stats: BucketStats) -> str:
    """`buckets/<scheme>/<bucket>.md`: what the listings hold and which datasets were built from it."""
    return render("bucket.md.j2", graph=graph, bucket=bucket, stats=stats)
