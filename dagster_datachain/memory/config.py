"""The one place that decides where Data Memory lives: argument > environment variable > `.datachain/`."""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV_VAR = "DATACHAIN_ROOT_DIR"
DEFAULT_ROOT = ".datachain"


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute Data Memory directory.

    Example:
        >>> resolve_root("/tmp/dm")
        PosixPath('/tmp/dm')
    """
    chosen = root if root is not None else os.environ.get(ROOT_ENV_VAR) or DEFAULT_ROOT
    return Path(chosen).expanduser().resolve()
