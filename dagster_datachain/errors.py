"""The package's exceptions: one base class, one precise subclass per kind of failure."""

from __future__ import annotations


class DataChainError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidDatasetNameError(DataChainError, ValueError):
    """A dataset name or version string that is not allowed (path separators, `..`, a stray `@`)."""


class DatasetNotFoundError(DataChainError, LookupError):
    """No dataset of that name exists in Data Memory."""


class DatasetVersionNotFoundError(DatasetNotFoundError):
    """The dataset exists, but not at the version asked for."""


class DatasetVersionExistsError(DataChainError):
    """Versions are immutable: saving the same name@version twice is refused."""


class ColumnNotFoundError(DataChainError, KeyError):
    """An expression or UDF parameter names a column the chain does not have."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class SchemaError(DataChainError, TypeError):
    """A type that cannot be stored, or two schemas that do not fit together."""


class UDFError(DataChainError):
    """User code raised, or returned a value that does not match its declared type.

    Carries the UDF name and the input row (its file path where there is one).
    """

    def __init__(self, message: str, *, udf: str, row: str | None = None) -> None:
        super().__init__(message)
        self.udf = udf
        self.row = row

    def __reduce__(self) -> tuple[object, ...]:  # crosses process boundaries from parallel workers
        return (_rebuild_udf_error, (str(self), self.udf, self.row))


def _rebuild_udf_error(message: str, udf: str, row: str | None) -> UDFError:
    return UDFError(message, udf=udf, row=row)


class StorageError(DataChainError, OSError):
    """A storage URI that cannot be listed or a file that cannot be read; names the URI, never a secret."""

    def __init__(self, message: str, *, uri: str) -> None:
        from .storage.secrets import mask_secrets  # here, so that no StorageError anywhere can carry a secret

        super().__init__(mask_secrets(message))
        self.uri = mask_secrets(uri)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_storage_error, (str(self), self.uri))


def _rebuild_storage_error(message: str, uri: str) -> StorageError:
    return StorageError(message, uri=uri)


class DataMemoryLockedError(DataChainError):
    """Another process kept the Data Memory file locked for longer than the lock timeout."""


class DataMemoryCorruptError(DataChainError):
    """The Data Memory file is damaged (empty, truncated, overwritten): names the file and how to recover."""


class DataMemoryFullError(DataChainError, OSError):
    """The disk under Data Memory (database or staging) is full; names the file that could not be written."""
