"""Writing the Knowledge Base folder: render the pages, write those that changed, remove those of the past."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from ..memory.store import Memory, get_memory
from .graph import INDEX, KnowledgeGraph
from .pages import page_writers
from .safety import inside, redact

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
    `datasets=` (after saving those datasets), only the pages that mention them are rendered: their own, their
    lineage neighbours', their buckets' and the index; unless a page is new or gone, which rewrites all. A page is
    written only when its text changed, so re-listing a bucket whose files are the same writes nothing.

    Args:
        path: the Knowledge Base folder (an Obsidian vault); other files in it are left alone.
        memory: the Data Memory, or its root; the default one (`$DATACHAIN_ROOT_DIR`, else `.datachain`) if None.
        datasets: rewrite only the pages that mention these datasets.

    Returns:
        What the build did: pages written, unchanged and removed.

    Raises:
        DataChainError: a page would land outside `path`, or the templates are missing from the installation.

    Example:
        >>> import dagster_datachain as dc
        >>> report = dc.build_knowledge_base("dc-knowledge")
    """
    memory = get_memory(memory)
    root = Path(path)
    existing = _pages_on_disk(root)
    with memory.connect() as con:
        graph = KnowledgeGraph.load(con)
        writers = page_writers(con, graph)
        # a page appearing or going can change links and joins anywhere: then everything is rewritten
        full = datasets is None or set(writers) != existing
        wanted = set(writers) if full or datasets is None else graph.affected(datasets)
        texts = {page: writers[page]() for page in sorted(wanted)}
    written = [page for page, text in texts.items() if _write(root, page, redact(text))]
    removed = sorted(existing - set(writers))
    for page in removed:
        inside(root, page).unlink(missing_ok=True)  # a concurrent build may have removed it
    _remove_empty_folders(root)
    report = KnowledgeBaseReport(path=str(root), written=written, unchanged=len(texts) - len(written), removed=removed)
    logger.debug("Knowledge Base %s", report)
    return report


def _write(root: Path, page: str, text: str) -> bool:
    """Write a page unless it already holds exactly `text` (atomically: readers never see half a page)."""
    target = inside(root, page)
    data = text.encode()
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # builds may race
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return True


def _pages_on_disk(root: Path) -> set[str]:
    """The generated pages a previous build left (symbolic links are never ours)."""
    pages = {INDEX} if (root / INDEX).is_file() else set()
    for folder in PAGE_FOLDERS:
        if (root / folder).is_dir() and not (root / folder).is_symlink():
            pages.update(p.relative_to(root).as_posix() for p in (root / folder).rglob("*.md") if not p.is_symlink())
    return pages


def _remove_empty_folders(root: Path) -> None:
    for folder in PAGE_FOLDERS:
        base = root / folder
        if base.is_dir() and not base.is_symlink():
            for directory in sorted((d for d in base.rglob("*") if d.is_dir()), reverse=True):
                if not any(directory.iterdir()):
                    with contextlib.suppress(OSError):  # another build may be writing into it right now
                        directory.rmdir()
