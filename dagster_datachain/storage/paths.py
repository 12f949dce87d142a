"""No path leaves its root: object keys joined under a source or a destination are proved to stay inside it.

Every place that turns a stored path or an object key into a place to read or write (`File` paths, `cp`
destinations) goes through these two functions, so the rule is the same everywhere: a relative path has no leading
`/`, no `..` part and no backslash, and a local target, resolved with its symlinks, lies under the resolved root.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import StorageError


def check_relative(path: str, root: str, uri: str | None = None, role: str = "source") -> str:
    """`path` itself, if it is a relative path that cannot climb out of `root`; else a StorageError naming it.

    Args:
        path: the relative path (an object key, a stored `File.path`).
        root: the source or destination it is relative to, for the message.
        uri: the object the path belongs to, for the message.
        role: what `root` is in the message ("source", "destination").

    Returns:
        `path`, unchanged.

    Raises:
        StorageError: `path` is absolute, holds a backslash or a `..` part.

    Example:
        >>> check_relative("images/cat.jpg", "s3://bucket")
        'images/cat.jpg'
    """
    if path.startswith("/") or "\\" in path or ".." in path.split("/"):
        raise StorageError(f"{_named(uri)}path {path!r} leaves its {role} {root}: refused", uri=uri or root)
    return path


def join_inside(root: str, path: str, *, local: bool, uri: str | None = None) -> str:
    """`root/path`, proved to lie inside `root`; a path that escapes raises a StorageError naming it.

    A local target is compared with the root after both are resolved (symlinks, `..`), so a symlinked folder
    inside the root cannot lead out of it either.

    Args:
        root: the destination folder (a local path, or a bucket path such as `bucket/out`).
        path: the relative path to put under it.
        local: whether `root` is on the local filesystem (then symlinks are resolved).
        uri: the object the path comes from, for the message.

    Returns:
        The joined path (resolved, for a local root).

    Raises:
        StorageError: the joined path would lie outside `root` (or be `root` itself).

    Example:
        >>> join_inside("bucket/out", "a/b.txt", local=False)
        'bucket/out/a/b.txt'
    """
    check_relative(path, root, uri, "destination")
    if not local:
        return f"{root.rstrip('/')}/{path}"
    base = Path(root).resolve()
    target = (base / path).resolve()
    if target == base or not target.is_relative_to(base):
        raise StorageError(f"{_named(uri)}path {path!r} leaves its destination {base} (it leads to {target}): "
                           "refused", uri=uri or root)
    return str(target)


def _named(uri: str | None) -> str:
    return f"{uri}: " if uri else ""
