"""The whole Data Memory as the Knowledge Base sees it: datasets, buckets, lineage between them, and pages.

Everything here comes from the catalog alone (no dataset rows are read), so it is cheap to load in full even
when only a few pages are rewritten.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import duckdb

from ..memory.catalog import ListingRecord, VersionRecord, list_listings, list_versions
from ..storage.filesystem import location_key
from .safety import safe_stem, scrub_uri

INDEX = "index.md"
_LINK_UNSAFE = re.compile(r"[\[\]|\n]")


@dataclass
class Dataset:
    """A dataset: its versions (oldest first) and its neighbours in the lineage of its latest version."""

    name: str
    versions: list[VersionRecord]
    page: str
    upstream: dict[str, str | None] = field(default_factory=dict)  # dataset name -> version used
    buckets: list[str] = field(default_factory=list)  # sources of the listings it read
    downstream: list[str] = field(default_factory=list)

    @property
    def latest(self) -> VersionRecord:
        return self.versions[-1]


@dataclass
class Bucket:
    """A storage source (`s3://bucket`, `file:///dir`) with its stored listings and the datasets read from it."""

    source: str
    listings: list[ListingRecord]
    page: str
    datasets: list[str] = field(default_factory=list)

    @property
    def uri(self) -> str:
        """The source as it may be shown: no credentials, no query string."""
        return scrub_uri(self.source)

    @property
    def changed_at(self) -> datetime | None:
        """When a listing of the source last found different files (not when it was last listed: listing again
        with nothing changed leaves the pages as they are)."""
        return max((listing.changed_at or listing.listed_at for listing in self.listings), default=None)


@dataclass
class KnowledgeGraph:
    """Datasets and buckets by name, with lineage edges both ways and the wikilink target of every page."""

    datasets: dict[str, Dataset]
    buckets: dict[str, Bucket]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> KnowledgeGraph:
        """Read the catalog: every dataset version and listing, and the lineage of each latest version."""
        by_name: dict[str, list[VersionRecord]] = defaultdict(list)
        for record in list_versions(con):
            by_name[record.name].append(record)
        listings: dict[str, list[ListingRecord]] = defaultdict(list)
        for listing in list_listings(con):
            listings[listing.source].append(listing)
        datasets = {name: Dataset(name, versions, f"datasets/{safe_stem(name)}.md")
                    for name, versions in sorted(by_name.items())}
        buckets = {source: Bucket(source, group, _bucket_page(source)) for source, group in listings.items()}
        source_of = {listing.uri: source for source, group in listings.items() for listing in group}
        for dataset in datasets.values():
            for entry in dataset.latest.lineage:
                if entry.kind == "dataset" and entry.name != dataset.name:
                    dataset.upstream[entry.name] = entry.version
                    if entry.name in datasets:
                        datasets[entry.name].downstream.append(dataset.name)
                elif entry.kind == "listing":
                    source = source_of.get(entry.name) or _source_of(entry.name)
                    bucket = buckets.setdefault(source, Bucket(source, [], _bucket_page(source)))
                    if dataset.name not in bucket.datasets:
                        bucket.datasets.append(dataset.name)
                        dataset.buckets.append(source)
        return cls(datasets, dict(sorted(buckets.items())))

    # ----------------------------------------------------------------- links

    def link(self, page: str) -> str:
        """The wikilink target of a page: its bare name where that is unique in the vault, else its path."""
        stem = _stem(page)
        return stem if self._stem_counts[stem] == 1 else page.removesuffix(".md")

    def wikilink(self, page: str, label: str | None = None) -> str:
        """`[[target]]`, or `[[target|label]]` when the label differs from the target."""
        target = self.link(page)
        label = _LINK_UNSAFE.sub("_", label) if label else target
        return f"[[{target}]]" if label == target else f"[[{target}|{label}]]"

    def pages(self) -> list[str]:
        """Every page of the vault."""
        return [INDEX, *(d.page for d in self.datasets.values()), *(b.page for b in self.buckets.values())]

    @cached_property
    def _stem_counts(self) -> Counter[str]:
        return Counter(_stem(page) for page in self.pages())

    # ----------------------------------------------------------------- lineage order

    def groups(self) -> list[tuple[Bucket | None, list[Dataset]]]:
        """Every bucket with the datasets first descending from it, upstream first; then datasets from no bucket."""
        grouped: dict[str | None, list[Dataset]] = defaultdict(list)
        for dataset in self.datasets.values():
            _, roots = self._lineage[dataset.name]
            grouped[min(roots, default=None)].append(dataset)
        for members in grouped.values():
            members.sort(key=lambda d: (self._lineage[d.name][0], d.name))
        groups: list[tuple[Bucket | None, list[Dataset]]] = [(b, grouped[s]) for s, b in self.buckets.items()]
        if grouped.get(None):
            groups.append((None, grouped[None]))
        return groups

    @cached_property
    def _lineage(self) -> dict[str, tuple[int, frozenset[str]]]:
        """Per dataset: how many datasets lie above it, and the buckets it descends from (cycles cut)."""
        found: dict[str, tuple[int, frozenset[str]]] = {}

        def visit(name: str, path: frozenset[str]) -> tuple[int, frozenset[str]]:
            if name not in found:
                dataset = self.datasets[name]
                above = [visit(u, path | {name}) for u in dataset.upstream if u in self.datasets and u not in path]
                depth = max((d + 1 for d, _ in above), default=0)
                found[name] = (depth, frozenset(dataset.buckets).union(*(roots for _, roots in above)))
            return found[name]

        for name in self.datasets:
            visit(name, frozenset())
        return found

    # ----------------------------------------------------------------- partial rebuilds

    def affected(self, names: Iterable[str]) -> set[str]:
        """Pages that mention any of the datasets `names`: theirs, their lineage neighbours', their buckets'."""
        pages = {INDEX}
        for name in names:
            dataset = self.datasets.get(name)
            if dataset is None:
                continue
            pages.add(dataset.page)
            pages.update(self.datasets[n].page for n in [*dataset.upstream, *dataset.downstream] if n in self.datasets)
            pages.update(self.buckets[s].page for s in dataset.buckets)
        return pages


def _source_of(uri: str) -> str:
    """The storage source of a listing URI no stored listing knows any more."""
    scheme, _, rest = uri.partition("://")
    return uri.rstrip("/") if scheme == "file" else f"{scheme}://{rest.split('/', 1)[0]}"


def _stem(page: str) -> str:
    return page.rsplit("/", 1)[-1].removesuffix(".md")


def _bucket_page(source: str) -> str:
    """`buckets/<the bucket's Dagster asset key>.md`: named by bucket, never by the absolute checkout path."""
    return "buckets/" + "/".join(location_key(scrub_uri(source))) + ".md"
