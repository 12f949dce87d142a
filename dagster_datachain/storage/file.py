"""File, ImageFile and TextFile: typed pointers to objects in storage, with ways to read them.

A File whose `location` names a virtual file (a member of a tar archive, see `tar.py`) is read from inside its
parent object; the media file types (audio, video) and their metadata models are in `media.py`.
"""

from __future__ import annotations

import io
import posixpath
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, Field, PrivateAttr

from ..errors import FileError, StorageError
from .filesystem import file_error, filesystem_for, parse_source
from .paths import check_relative

if TYPE_CHECKING:
    from .media import AudioFile, Image, VideoFile

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_F = TypeVar("_F", bound="File")


class File(BaseModel):
    """A file in storage: where it is (`source` + `path`) and what it was when listed.

    Example:
        >>> def size_kb(file: File) -> float:
        ...     return len(file.read()) / 1024
    """

    source: str = Field(default="", description="Storage root the path is relative to, e.g. s3://bucket")
    path: str = Field(description="Path of the object inside its source")
    size: int = Field(default=0, description="Size in bytes")
    version: str = Field(default="", description="Object version (S3 VersionId, GCS generation), if any")
    etag: str = Field(default="", description="Entity tag or content fingerprint from storage")
    is_latest: bool = Field(default=True, description="Whether this is the latest version of the object")
    last_modified: datetime = Field(default=EPOCH, description="Last modification time (UTC)")
    location: dict | list[dict] | None = Field(default=None, description="Where inside the object a row comes from")

    _hidden_fields: ClassVar[list[str]] = ["source", "version", "etag", "is_latest", "last_modified", "location"]
    _schema_display: ClassVar[str] = "File@v1"
    _version: ClassVar[int] = 1
    _prefetched: bytes | None = PrivateAttr(default=None)
    _prefetch_failure: StorageError | None = PrivateAttr(default=None)
    _use_cache: bool = PrivateAttr(default=False)

    # ----------------------------------------------------------------- locating

    def get_uri(self) -> str:
        """The full URI.

    Returns:
        `source/path`, e.g. `s3://bucket/images/cat.jpg`.

    Raises:
        StorageError: the stored path would leave its source (absolute, `..`).

    Example:
        >>> File(source="s3://bucket", path="images/cat.jpg").get_uri()
        's3://bucket/images/cat.jpg'
    """
        return f"{self.source.rstrip('/')}/{self._safe_path()}"

    @property
    def name(self) -> str:
        """The file name without folders."""
        return posixpath.basename(self.path)

    def get_fs_path(self) -> str:
        """The path fsspec uses for this file (`bucket/images/cat.jpg`, or an absolute local path).

    Raises:
        StorageError: the stored path would leave its source.
    """
        return parse_source(self.source).fs_path(self._safe_path())

    @property
    def is_local(self) -> bool:
        """Whether the file is on the local filesystem."""
        return self.source.startswith("file://")

    @property
    def parent(self) -> str:
        """The folder part of the path (`a/b` for `a/b/c.jpg`, `.` for a file at the root)."""
        return posixpath.dirname(self.path) or "."

    def get_file_suffix(self) -> str:
        """The extension with its dot (`.jpg`), or ""."""
        return posixpath.splitext(self.name)[1]

    def get_file_ext(self) -> str:
        """The extension without its dot (`jpg`), or ""."""
        return self.get_file_suffix().removeprefix(".")

    def get_file_stem(self) -> str:
        """The file name without its extension."""
        return posixpath.splitext(self.name)[0]

    def _safe_path(self) -> str:
        try:
            return check_relative(self.path, self.source)
        except FileError:
            raise
        except StorageError as exc:
            raise FileError(str(exc), self.source, self.path) from None

    @property
    def _on_disk(self) -> bool:
        """Whether the content is a whole local file (not a member of an archive)."""
        return self.is_local and not self.location

    # ----------------------------------------------------------------- views as other file types

    def as_text_file(self) -> TextFile:
        """The same file as a TextFile (`read()` gives str)."""
        return self._as(TextFile)

    def as_image_file(self) -> ImageFile:
        """The same file as an ImageFile (`read()` gives a PIL image)."""
        return self._as(ImageFile)

    def as_audio_file(self) -> AudioFile:
        """The same file as an AudioFile."""
        from .media import AudioFile

        return self._as(AudioFile)

    def as_video_file(self) -> VideoFile:
        """The same file as a VideoFile."""
        from .media import VideoFile

        return self._as(VideoFile)

    def _as(self, kind: type[_F]) -> _F:
        if isinstance(self, kind):
            return self
        view = kind(**{name: getattr(self, name) for name in File.model_fields})
        view._use_cache = self._use_cache
        return view

    # ----------------------------------------------------------------- reading

    def read_bytes(self) -> bytes:
        """The file's whole content as bytes (prefetched or cached content when there is some).

        Raises:
            StorageError: the read failed, naming the URI and what went wrong (not found, access denied, ...).

        Example:
            >>> def size_kb(file: File) -> float:
            ...     return len(file.read_bytes()) / 1024
        """
        if self._prefetched is not None:
            return self._prefetched
        if self._prefetch_failure is not None:  # the store already failed this read: not another wait for it
            raise self._prefetch_failure
        if self._use_cache and not self._on_disk:
            return Path(self.get_local_path()).read_bytes()
        try:
            with self.open() as handle:
                return handle.read()
        except Exception as exc:  # whatever the client library raises, at the network boundary
            raise file_error("read", self.source, self.path, exc)  # noqa: B904 - the helper chains exc

    def read(self) -> Any:
        """The content: bytes for File, a PIL image for ImageFile, text for TextFile.

        Raises:
            StorageError: the read failed (or, for an ImageFile, the bytes are no image).
        """
        return self.read_bytes()

    def read_text(self, encoding: str = "utf-8") -> str:
        """The content decoded as text.

        Args:
            encoding: the text encoding.

        Raises:
            StorageError: the read failed.
            UnicodeDecodeError: the bytes are not text in `encoding`.
        """
        return self.read_bytes().decode(encoding)

    @contextmanager
    def open(self, mode: Literal["rb", "r"] = "rb") -> Iterator[IO[Any]]:
        """Open the file for reading, as a binary (default) or text stream.

        Args:
            mode: `rb` or `r`.

        Yields:
            The open stream, closed when the block ends. The listed version is read when the filesystem lists
            versions (`version_aware=True`), else the latest.

        Raises:
            StorageError: the file cannot be opened.

        Example:
            >>> with file.open() as stream:
            ...     header = stream.read(16)
        """
        if self._prefetched is not None:
            data = io.BytesIO(self._prefetched)
            yield io.TextIOWrapper(data) if mode == "r" else data
            return
        if self.location:  # a member of an archive: a window on its parent object
            from .tar import open_virtual

            with open_virtual(self) as member:
                yield io.TextIOWrapper(member) if mode == "r" else member
            return
        if self.is_local:  # the operating system's open: fsspec's layers cost more than a small file's read
            try:
                handle: IO[Any] = open(self.get_fs_path(), mode)  # noqa: SIM115 - closed by the with below
            except OSError as exc:
                raise file_error("open", self.source, self.path, exc)  # noqa: B904 - the helper chains exc
            with handle:
                yield handle
            return
        fs = filesystem_for(self.source)
        path = self.get_fs_path()
        # the listed version is read when the filesystem lists versions (`version_aware=True`), else the latest
        pinned = {}
        if self.version and getattr(fs, "version_aware", False):
            if parse_source(self.source).protocol == "gs":
                path = f"{path}#{self.version}"  # gcsfs reads a generation named in the path (not generation=)
            else:
                pinned["version_id"] = self.version  # s3fs, adlfs
        try:
            handle = fs.open(path, mode, **pinned)
        except Exception as exc:  # whatever the client library raises, at the network boundary
            raise file_error("open", self.source, self.path, exc)  # noqa: B904 - the helper chains exc
        with handle:
            yield handle

    def get_local_path(self) -> str:
        """A local filesystem path with this file's content (downloaded to the cache for remote files).

        Returns:
            The local path, for libraries that want a file name.

        Raises:
            StorageError: the download failed.
        """
        if self._on_disk:
            return self.get_fs_path()
        from .cache import cached_copy

        try:
            return str(cached_copy(self))
        except Exception as exc:  # whatever the client library raises, at the network boundary
            raise file_error("download", self.source, self.path, exc)  # noqa: B904 - the helper chains exc

    def save(self, destination: str | Path) -> None:
        """Write the file's content to a local path.

        Args:
            destination: the local file to write (replaced if it exists).

        Raises:
            StorageError: the read failed.
        """
        with self.open() as src, open(destination, "wb") as dst:
            shutil.copyfileobj(src, dst)

    # ----------------------------------------------------------------- prefetch support

    def prefetch(self) -> None:
        """Read the content now and keep it in memory for the next read (used by `settings(prefetch=...)`).

        Raises:
            StorageError: the read failed; it is kept too, and the next read raises it again without waiting.
        """
        try:
            self._prefetched = self.read_bytes()
        except StorageError as exc:
            self._prefetch_failure = exc
            raise

    def release(self) -> None:
        """Drop prefetched content (or failure)."""
        self._prefetched = None
        self._prefetch_failure = None

    def use_cache(self, enabled: bool = True) -> None:
        """Read through the local content-addressed cache (`settings(cache=True)`).

        Args:
            enabled: whether remote reads go through the cache.
        """
        self._use_cache = enabled


class TextFile(File):
    """A text file: `read()` gives a str."""

    _schema_display: ClassVar[str] = "TextFile@v1"

    def read(self) -> str:
        return self.read_text()


class ImageFile(File):
    """An image file: `read()` gives a PIL image."""

    _schema_display: ClassVar[str] = "ImageFile@v1"

    def read(self) -> Any:
        from PIL import Image, UnidentifiedImageError

        data = self.read_bytes()  # a read failure (not found, denied) is reported as such, not as undecodable
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise StorageError(f"cannot decode image {self.get_uri()}: {exc}", uri=self.get_uri()) from exc
        return image

    def get_info(self) -> Image:
        """Width, height and format of the image, read from its header; `FileError` when it is not an image."""
        from PIL import Image as PILImage

        from .media import Image

        try:
            with self.open() as stream, PILImage.open(stream) as image:
                return Image(width=image.width, height=image.height, format=image.format or "")
        except Exception as exc:  # PIL's errors or the storage's: the file cannot be read as an image
            raise FileError("unable to open image file", self.source, self.path) from exc

