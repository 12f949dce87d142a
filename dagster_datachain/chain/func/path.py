"""Functions over path columns such as `file.path`: `func.path.file_ext("file.path")`."""

from __future__ import annotations

from ..expr import Expr
from ._base import call


def name(col: str | Expr) -> Expr:
    """The last path component: `a/b/cat.jpg` -> `cat.jpg`."""
    return call("parse_filename", "path.name", col)


def parent(col: str | Expr) -> Expr:
    """Everything before the last `/`: `a/b/cat.jpg` -> `a/b`."""
    return call("parse_dirpath", "path.parent", col)


def file_stem(col: str | Expr) -> Expr:
    """The name without its extension: `a/b/cat.jpg` -> `cat`."""
    return call("parse_filename", "path.file_stem", col, True)


def file_ext(col: str | Expr) -> Expr:
    """The extension without the dot: `a/b/cat.jpg` -> `jpg` (empty when there is none)."""
    return call("regexp_extract", "path.file_ext", name(col), r"\.([^.]*)$", 1)
