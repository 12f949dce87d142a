"""Writing the Knowledge Base folder: render the pages, write those that changed, remove those of the past."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from ..memory.store import Memory, get_memory
from ..storage.filesystem import storage_options_for
from .graph import KnowledgeGraph
from .pages import page_writers
from .safety import inside, option_secrets, redact

logger = logging.getLogger(__name__)

PAGE_FOLDERS = ("datasets", "buckets")
"""The folders the build owns; other files in the Knowledge Base (e.g. Obsidian's `.obsidian/`) are left alone."""


class KnowledgeBaseReport(BaseModel):
    """What one build did."""

    path: str
    written: list[str]
    unchanged: int
    removed: list[str]

    def __str__(self) -> str:
        return (f"{self.path}: {len(self.written)} pages written, {self.unchanged} unchanged, "
                f"{len(self.removed)} removed")


def build_knowledge_base(
    path: str | os.PathLike[str] = "dc-knowledge",
    *,
    memory: Memory | str | os.PathLike[str] | None = None,
    datasets: Iterable[str] | None = None,
) -> KnowledgeBaseReport:
    """Write the Knowledge Base (`index.md`, `datasets/<name>.md`, `buckets/<scheme>/<bucket>.md`) from Data Memory.

    Two builds from the same Data Memory write the same bytes; pages of deleted datasets are removed. With
    `datasets=`, only the pages that mention those datasets are rewritten (their own, their lineage
    neighbours', their buckets' and the index), plus any page missing on disk.

    Example:
        >>> import dagster_datachain as dc
        >>> report = dc.build_knowledge_base("dc-knowledge")
    """
    memory = get_memory(memory)
    root = Path(path)
    with memory.connect() as con:
        graph = KnowledgeGraph.load(con)
        writers = page_writers(con, graph)
        wanted = set(writers) if datasets is None else graph.affected(datasets) | {
            page for page in writers if not (root / page).is_file()}
        texts = {page: writers[page]() for page in sorted(wanted)}
    secrets = {s for source in graph.buckets for s in option_secrets(storage_options_for(source))}
    written = [page for page, text in texts.items() if _write(root, page, redact(text, secrets))]
    removed = _remove_stale(root, set(writers))
    report = KnowledgeBaseReport(path=str(root), written=written, unchanged=len(texts) - len(written), removed=removed)
    logger.info("Knowledge Base %s", report)
    return report


def _write(root: Path, page: str, text: str) -> bool:
    """Write a page unless it already holds exactly `text` (atomically: readers never see half a page)."""
    target = inside(root, page)
    data = text.encode()
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return True


def _remove_stale(root: Path, pages: set[str]) -> list[str]:
    """Delete generated pages no dataset or bucket has any more, and the folders they leave empty."""
    removed: list[str] = []
    for folder in PAGE_FOLDERS:
        base = root / folder
        if not base.is_dir() or base.is_symlink():
            continue
        for file in sorted(base.rglob("*.md")):
            page = file.relative_to(root).as_posix()
            if page not in pages and not file.is_symlink():
                inside(root, page).unlink()
                removed.append(page)
        for directory in sorted((d for d in base.rglob("*") if d.is_dir()), reverse=True):
            if not any(directory.iterdir()):
                directory.rmdir()
    return removed
