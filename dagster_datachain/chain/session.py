"""DataChain's `Session` and `Job`, mapped onto Data Memory and the orchestrator run.

A session here names the Data Memory that chains read and save to: `Session()` uses the default one
(`DATACHAIN_ROOT_DIR` or `.datachain/`), `Session(memory=...)` another, and `Session(in_memory=True)` a temporary
one removed when the session ends. Inside `with Session(...) as session:` every reader uses its Data Memory, as
DataChain's readers use the innermost session. The job of a process is the Dagster run that saves (its run id),
or one job per script run.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import uuid
import weakref
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from ..memory.store import Memory, get_memory, using_memory


class Session:
    """The context chains run in: which Data Memory they read and save to.

    Example:
        >>> with Session("scratch", in_memory=True) as session:
        ...     read_values(n=[1, 2]).save("nums")  # lands in the session's temporary Data Memory
    """

    GLOBAL_SESSION_NAME = "global"
    GLOBAL_SESSION_CTX: ClassVar[Session | None] = None
    SESSION_CONTEXTS: ClassVar[list[Session]] = []

    def __init__(self, name: str = "", catalog: Any = None, client_config: dict[str, Any] | None = None,
                 in_memory: bool = False, *, memory: Memory | str | os.PathLike[str] | None = None) -> None:
        if re.fullmatch(r"[0-9a-zA-Z]*", name) is None:
            raise ValueError(f"Session name can contain only letters or numbers - '{name}' given.")
        self.name = f"{name or self.GLOBAL_SESSION_NAME}_{uuid.uuid4().hex[:6]}"
        self.client_config = dict(client_config or {})
        self.in_memory = in_memory
        self._temporary: Path | None = Path(tempfile.mkdtemp(prefix="datachain-session-")) if in_memory else None
        if self._temporary is not None:  # removed at the session's end, or when it is dropped unended
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._temporary, True)
        chosen = memory if memory is not None else (catalog if isinstance(catalog, Memory) else self._temporary)
        self._memory = get_memory(chosen) if chosen is not None else None
        self._scope: AbstractContextManager[Memory] | None = None

    def __repr__(self) -> str:
        return f"Session({self.name!r}, memory={self.memory!r})"

    @property
    def memory(self) -> Memory:
        """The Data Memory of this session (the default one, as resolved now, unless the session chose one)."""
        return self._memory if self._memory is not None else get_memory()

    @property
    def catalog(self) -> Memory:
        """DataChain's name for where datasets are kept: the Data Memory."""
        return self.memory

    def __enter__(self) -> Session:
        Session.SESSION_CONTEXTS.append(self)
        if self._memory is not None:
            self._scope = using_memory(self._memory)
            self._scope.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._scope is not None:
            self._scope.__exit__(exc_type, exc, tb)
            self._scope = None
        if self in Session.SESSION_CONTEXTS:
            Session.SESSION_CONTEXTS.remove(self)
        if self._temporary is not None:
            self.memory.close()
            self._cleanup()
            self._temporary = None

    @classmethod
    def get(cls, session: Session | None = None, catalog: Any = None, client_config: dict[str, Any] | None = None,
            in_memory: bool = False) -> Session:
        """`session` if given, else the innermost `with Session(...)`, else the process-wide global session."""
        if session is not None:
            return session
        if cls.SESSION_CONTEXTS:
            return cls.SESSION_CONTEXTS[-1]
        if in_memory or catalog is not None:
            return Session(catalog=catalog, client_config=client_config, in_memory=in_memory)
        if cls.GLOBAL_SESSION_CTX is None:
            cls.GLOBAL_SESSION_CTX = Session(cls.GLOBAL_SESSION_NAME, client_config=client_config)
        return cls.GLOBAL_SESSION_CTX

    @classmethod
    def for_memory(cls, memory: Memory) -> Session:
        """The current session when it uses `memory`, else a session bound to `memory`."""
        current = cls.get()
        return current if current.memory is memory else Session(memory=memory)

    @staticmethod
    def is_temp_dataset(name: str) -> bool:
        """Whether `name` is one of DataChain's temporary session datasets (none are made here)."""
        return name.startswith("session_")

    def get_job(self) -> Job | None:
        """The job of this process if one was started."""
        return Job._current

    def get_or_create_job(self) -> Job:
        """The job of this process: the orchestrator run that saves, or one job per script run."""
        return Job.current()


def memory_of(memory: Memory | str | os.PathLike[str] | None,
              session: Session | None) -> Memory | str | os.PathLike[str] | None:
    """The Data Memory a reader uses: its `memory=`, else its `session=`'s, else the default (None)."""
    return memory if memory is not None or session is None else session.memory


class JobStatus(IntEnum):
    """DataChain's job states (the numbers are DataChain's)."""

    CREATED = 1
    QUEUED = 2
    INIT = 3
    RUNNING = 4
    COMPLETE = 5
    FAILED = 6
    CANCELING = 7
    CANCELED = 8


class Job(BaseModel):
    """The run a chain belongs to: `id` is the Dagster run id inside a Dagster run, else one id per process."""

    id: str
    name: str
    status: int = JobStatus.RUNNING
    created_at: datetime
    query: str = ""
    query_type: int = 1  # DataChain's JobQueryType.PYTHON
    workers: int = 1
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    finished_at: datetime | None = None
    python_version: str | None = None
    error_message: str = ""
    error_stack: str = ""
    parent_job_id: str | None = None
    rerun_from_job_id: str | None = None
    run_group_id: str | None = None
    is_remote_execution: bool = False

    _current: ClassVar[Job | None] = None

    @classmethod
    def current(cls) -> Job:
        """The job of this thread's orchestrator run, else the one job of this process (made on first use)."""
        from . import metrics, params
        from .save import current_run_id

        run_id = current_run_id()
        if cls._current is None or (run_id is not None and cls._current.id != run_id):
            script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
            job_id = run_id or str(uuid.uuid4())
            cls._current = Job(
                id=job_id, name=script or job_id, created_at=datetime.now(UTC), query=_read_text(script),
                python_version=f"{sys.version_info.major}.{sys.version_info.minor}", run_group_id=job_id,
            )
        return cls._current.model_copy(update={"params": params.all_params(), "metrics": dict(metrics.metrics)})


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8") if path else ""
    except (OSError, UnicodeDecodeError):
        return ""
