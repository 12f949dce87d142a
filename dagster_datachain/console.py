"""What a plain script prints: the library's progress and summaries on stderr, as the reference prints them.

Every message is a record of the `dagster_datachain` logger. When nobody listens to it (no handler on the root
logger or on the library's loggers) the console handler writes the message to stderr; as soon as the user
configures logging, or a Dagster run forwards the records to its own log, the console handler steps aside.

Quiet it with the standard logging configuration, `logging.getLogger("dagster_datachain").setLevel(logging.WARNING)`,
or with the environment variable `DATACHAIN_QUIET=1`.
"""

from __future__ import annotations

import logging
import os
import sys

LIBRARY_LOGGER = "dagster_datachain"
QUIET_VARIABLE = "DATACHAIN_QUIET"


class ConsoleHandler(logging.Handler):
    """Writes a record's message to the current stderr unless someone else handles the library's records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        if _quiet() or _handled_elsewhere(self, record):
            return
        try:
            sys.stderr.write(record.getMessage() + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - printing progress must never break the work
            self.handleError(record)


def _quiet() -> bool:
    return os.environ.get(QUIET_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def _handled_elsewhere(console: ConsoleHandler, record: logging.LogRecord) -> bool:
    """True when a handler other than `console` receives the record (user logging config, Dagster, caplog)."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        if any(handler is not console for handler in logger.handlers):
            return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


def install() -> None:
    """Attach the console handler once; the library logger passes INFO unless the user set its level."""
    logger = logging.getLogger(LIBRARY_LOGGER)
    if not any(isinstance(handler, ConsoleHandler) for handler in logger.handlers):
        logger.addHandler(ConsoleHandler())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
