"""`cp`: copy a file, or every file under a prefix, between local folders and buckets, never outside DST."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from ..errors import StorageError
from ..kb.render import human_size
from ..memory.store import Memory
from ..storage.paths import join_inside
from .common import Commands
from .storage import filesystem_and_path, is_local, storage_errors

CHUNK = 1 << 20
"""Bytes read and written at a time."""


def register(commands: Commands) -> None:
    """Add `cp`."""
    sub = commands.add("cp", cp, "Copy a file, or with -r every file under a prefix (keeping relative paths), "
                       "between local folders and buckets.")
    sub.add_argument("src")
    sub.add_argument("dst", help="destination file or folder (a trailing / or an existing folder puts files in it)")
    sub.add_argument("-r", "--recursive", action="store_true", help="copy every file under SRC")
    sub.add_argument("--anon", action="store_true", help="read SRC without credentials (public buckets)")


def cp(args: argparse.Namespace, memory: Memory) -> None:
    """Copy `args.src` to `args.dst`, with a progress bar in bytes.

    Every target is proved to lie inside DST before anything is written, so an object key such as
    `data/../../x` is refused.

    Raises:
        StorageError: SRC is a folder without `-r`, a key leads outside DST, or a read or write fails.
    """
    src_fs, src = filesystem_and_path(args.src, args.anon)
    dst_fs, dst = filesystem_and_path(args.dst, False)
    with storage_errors("read", args.src):
        folder = src_fs.isdir(src)
        if folder and not args.recursive:
            raise StorageError(f"{args.src} is a folder: add -r to copy what is under it", uri=args.src)
        sources = sorted(src_fs.find(src, detail=True).items()) if folder else [(src, src_fs.info(src))]
    into = folder or args.dst.endswith("/") or dst_fs.isdir(dst)
    base = src.rstrip("/") if folder else src.rsplit("/", 1)[0]
    local = is_local(args.dst)
    pairs = [(path, join_inside(dst, path[len(base):].lstrip("/"), local=local, uri=_uri_of(args.src, path))
              if into else dst) for path, _ in sources]
    total = sum(int(info.get("size") or 0) for _, info in sources)
    with tqdm(total=total, unit="B", unit_scale=True, desc="cp", disable=None, file=sys.stderr) as bar, \
            storage_errors("copy to", args.dst):
        for source, target in pairs:
            dst_fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            with src_fs.open(source, "rb") as reader, dst_fs.open(target, "wb") as writer:
                while chunk := reader.read(CHUNK):
                    writer.write(chunk)
                    bar.update(len(chunk))
    print(f"Copied {len(pairs):,} files ({human_size(total)}) to {args.dst}")


def _uri_of(uri: str, fs_path: str) -> str:
    """The URI (for messages) of an fsspec path found under the command's `uri` argument."""
    return fs_path if is_local(uri) else f"{uri.split('://', 1)[0]}://{fs_path}"
