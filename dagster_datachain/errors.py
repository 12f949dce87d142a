"""The package's exceptions: one base class, one precise subclass per kind of failure."""

from __future__ import annotations

import pickle


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
    """A UDF returned a value that does not match its declared type, or its worker died.

    Carries the UDF name and the input row (its file path where there is one). An exception raised by user code
    travels inside one (`user_error`) through the runner, and reaches the caller as itself, as in DataChain,
    with this error's message (UDF and input row) added as a note: see `user_facing()`.
    """

    def __init__(self, message: str, *, udf: str, row: str | None = None,
                 user_error: BaseException | None = None) -> None:
        super().__init__(message)
        self.udf = udf
        self.row = row
        self.user_error = user_error

    def user_facing(self) -> BaseException:
        """The exception the caller sees: the user's own exception with our message as a note, else this one."""
        if self.user_error is None:
            return self
        self.user_error.add_note(str(self))
        return self.user_error

    def __reduce__(self) -> tuple[object, ...]:  # crosses process boundaries from parallel workers
        user_error = self.user_error
        try:
            pickle.loads(pickle.dumps(user_error))
        except Exception:  # noqa: BLE001 - the user's exception cannot cross processes: our message still does
            user_error = None
        return (_rebuild_udf_error, (str(self), self.udf, self.row, user_error))


def _rebuild_udf_error(message: str, udf: str, row: str | None, user_error: BaseException | None) -> UDFError:
    return UDFError(message, udf=udf, row=row, user_error=user_error)


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


class FileError(StorageError):
    """One file that cannot be read or decoded, or whose path is refused (DataChain's name).

    Carries `message`, `source` and `path`; its text is `Error in file '<source>/<path>': <message>`, as in
    DataChain. Being a `StorageError`, it is also caught by `except StorageError` / `except OSError`.
    """

    def __init__(self, message: str, source: str, path: str) -> None:
        super().__init__(f"Error in file '{source}/{path}': {message}", uri=f"{source.rstrip('/')}/{path}")
        from .storage.secrets import mask_secrets

        self.message = mask_secrets(message)
        self.source = source
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message, self.source, self.path))


class FileMissingError(FileError, FileNotFoundError):
    """A file that is not in its storage: a `FileError` that is also the `FileNotFoundError` DataChain raises."""


class DataMemoryLockedError(DataChainError):
    """Another process kept the Data Memory file locked for longer than the lock timeout."""


class DataMemoryCorruptError(DataChainError):
    """The Data Memory file is damaged (empty, truncated, overwritten): names the file and how to recover."""


class DataMemoryConfigError(DataChainError):
    """A shared Data Memory (DuckLake) that cannot be opened as configured: names the catalog, data path or
    extension at fault, never a credential."""


class DataMemoryConflictError(DataChainError):
    """Concurrent commits to a shared Data Memory kept conflicting with this one after every retry."""


class DataMemoryVersionError(DataChainError):
    """The Data Memory file was written by a newer DuckDB than this process runs: names the file and both versions."""


class DataMemoryFullError(DataChainError, OSError):
    """The disk under Data Memory (database or staging) is full; names the file that could not be written."""


# DataChain's own exception names, so `except` clauses of DataChain scripts keep working. Each is also one of ours.


class DataChainParamsError(DataChainError, ValueError):
    """A method was called with arguments that do not fit together (DataChain's name)."""


class DataChainColumnError(DataChainParamsError, ColumnNotFoundError):
    """A column name that the chain does not have (DataChain's name)."""

    def __init__(self, col_name: str, msg: str) -> None:
        super().__init__(f"Error for column {col_name}: {msg}")
        self.col_name = col_name


class SignalResolvingError(DataChainParamsError, ColumnNotFoundError):
    """A dotted column path that does not resolve to a field (DataChain's name)."""


class SetupError(DataChainError, TypeError):
    """`setup()` was given something that is not a callable (DataChain's name)."""


class UdfSignatureError(SchemaError, ValueError):
    """A UDF whose signature does not fit the chain: parameters, outputs, annotations (DataChain's name)."""


class DatasetInvalidVersionError(InvalidDatasetNameError):
    """A dataset version that is not a valid version or version specifier (DataChain's name)."""


class DatasetMergeError(DataChainParamsError):
    """A merge whose keys do not fit (DataChain's name)."""


class NotFoundError(DataChainError, LookupError):
    """A namespace or project that does not exist (DataChain's name)."""


class NotAllowedError(DataChainError):
    """An operation the local mode does not allow (DataChain's name)."""


class NamespaceNotFoundError(NotFoundError):
    """Only the namespaces `local` (datasets) and `system` (listings) exist here (DataChain's name)."""


class ProjectNotFoundError(NotFoundError):
    """Only the projects `local.local` and `system.listing` exist here (DataChain's name)."""


class InvalidNamespaceNameError(DataChainError, RuntimeError):
    """A namespace name of more than two dotted parts (DataChain's name)."""


class ProjectCreateNotAllowedError(NotAllowedError):
    """Projects cannot be created outside Studio (DataChain's name)."""


class NamespaceDeleteNotAllowedError(NotAllowedError):
    """The `local` and `system` namespaces cannot be removed (DataChain's name)."""


class ProjectDeleteNotAllowedError(NotAllowedError):
    """The default and listing projects cannot be removed (DataChain's name)."""
