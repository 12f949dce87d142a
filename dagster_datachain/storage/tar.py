"""Files inside tar archives, read in place: `process_tar` turns an archive into one `File` per member, and
`TarVFile` reads a member back as a window on its archive, so no member is ever extracted to disk.

A member File keeps its archive in `location`:
`[{"vtype": "tar", "parent": <the archive File as a dict>, "offset": <first byte of the data>, "size": <bytes>}]`.

Example:
    >>> chain = read_storage("data/shards/*.tar").gen(file=process_tar)
    >>> chain.map(text=lambda file: file.read_text()).save("members")
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from ..errors import FileError
from .file import File


class TarVFile:
    """The reader of files stored inside an (uncompressed) tar archive (DataChain's name)."""

    @classmethod
    def get_vtype(cls) -> str:
        """The `vtype` a member's location names: `tar`."""
        return "tar"

    @classmethod
    def parent(cls, file: File, location: list[dict[str, Any]]) -> File:
        """The archive `file` is a member of."""
        if len(location) != 1:
            raise FileError("a virtual file must have exactly one location", file.source, file.path)
        parent = location[0].get("parent")
        if not isinstance(parent, dict):
            raise FileError("the location names no parent archive", file.source, file.path)
        return File(**parent)

    @classmethod
    def open(cls, file: File, location: list[dict[str, Any]], block_size: int | None = None) -> IO[bytes]:
        """A read-only, seekable stream of the member's bytes; closing it closes the archive. `block_size` is
        accepted for DataChain's signature (reads go through the archive's own stream)."""
        archive = cls.parent(file, location)
        offset, size = location[0].get("offset"), location[0].get("size")
        if not isinstance(offset, int) or not isinstance(size, int):
            raise FileError("the location gives no 'offset' and 'size' of the member", file.source, file.path)
        stack = ExitStack()
        try:
            handle = stack.enter_context(archive.open())
        except BaseException:
            stack.close()
            raise
        return io.BufferedReader(_Window(handle, offset, size, stack))


_READERS: dict[str, type[TarVFile]] = {TarVFile.get_vtype(): TarVFile}


@contextmanager
def open_virtual(file: File) -> Iterator[IO[bytes]]:
    """Open a File whose `location` names a virtual file (see `File.open`)."""
    location = file.location if isinstance(file.location, list) else [file.location or {}]
    vtype = location[0].get("vtype", "") if location else ""
    reader = _READERS.get(vtype)
    if reader is None:
        raise FileError(f"no reader for virtual files of vtype {vtype!r}", file.source, file.path)
    with reader.open(file, location) as stream:
        yield stream


def process_tar(file: File) -> Iterator[File]:
    """One File per regular member of a tar archive, each read in place from the archive.

    Only uncompressed archives can be read in place: a compressed one raises `FileError`.
    """
    with file.open() as stream:
        try:
            archive = tarfile.open(fileobj=stream, mode="r:")
        except tarfile.TarError as exc:
            raise FileError(f"not an uncompressed tar archive ({exc})", file.source, file.path) from exc
        with archive:
            parent = file.model_dump(mode="json")
            for member in archive:
                if member.isfile():
                    yield _member(file, parent, member)


def _member(archive: File, parent: dict[str, Any], member: tarfile.TarInfo) -> File:
    # the member changes whenever the archive does (etag/version) or the member's own name or time does
    key = "\0".join([archive.etag, archive.version, member.name, str(member.mtime)])
    return File(
        source=archive.source,
        path=f"{archive.path}/{member.name}",
        size=member.size,
        version=archive.version,
        etag=hashlib.sha256(key.encode()).hexdigest()[:32],
        last_modified=datetime.fromtimestamp(member.mtime, UTC),
        location=[{"vtype": TarVFile.get_vtype(), "parent": parent, "offset": member.offset_data,
                   "size": member.size}],
    )


class _Window(io.RawIOBase):
    """Bytes `offset .. offset + size` of a seekable stream, as a stream of their own."""

    def __init__(self, handle: IO[bytes], offset: int, size: int, stack: ExitStack) -> None:
        super().__init__()
        self._handle, self._offset, self._size, self._stack = handle, offset, size, stack
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        self._handle.seek(self._offset + self._position)
        data = self._handle.read(wanted)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._stack.close()
        super().close()
