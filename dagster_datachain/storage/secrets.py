"""Masking secrets out of messages: URI credentials, signed-URL parameters and the storage options' secret values.

Every `StorageError` is masked when it is made, and the command line masks every message it prints, so a key pair
in `s3://KEY:SECRET@bucket`, an `X-Amz-Signature=` or a registered `secret=` never reaches a message, a log line,
Data Memory or the Knowledge Base.

Example:
    >>> mask_secrets("cannot read s3://AKIA:pw@bucket/a.txt?X-Amz-Signature=abc&versionId=3")
    'cannot read s3://***@bucket/a.txt?X-Amz-Signature=***&versionId=3'
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

MASK = "***"
_SECRET_NAME = r"key|secret|token|password|passwd|credential|connection_string|sas|sig|signature|auth"
_SECRET_OPTION = re.compile(_SECRET_NAME, re.IGNORECASE)
# `user:password@` after a scheme (a bare `container@account` host, as adlfs URIs have, is no secret)
_USERINFO = re.compile(r"(?<=://)[^/\s@?#:]*:[^/\s@]*@")
# a query-string or connection-string parameter whose name says it is secret: X-Amz-Signature=, sig=, AccountKey=
_PARAMETER = re.compile(rf"(?i)([?&;][\w.-]*(?:{_SECRET_NAME})[\w.-]*=)[^&;:,)\s'\"#]+")
_MIN_SECRET_LENGTH = 8  # shorter option values ("anon", "true") are not secrets and would garble messages

_lock = threading.Lock()
_known: set[str] = set()


def remember_secrets(options: dict[str, Any]) -> None:
    """Note the secret values among storage options (keys, tokens, connection strings and their parts), so that
    `mask_secrets` hides them from then on in this process.

    Args:
        options: storage options, possibly nested; values of options named like secrets (key, secret, token,
            password, ...) of 8 characters or more are remembered.

    Example:
        >>> remember_secrets({"key": "AKIAEXAMPLE", "secret": "wJalrXUtnFEMI"})
        >>> mask_secrets("signed with wJalrXUtnFEMI")
        'signed with ***'
    """
    found = set(_secret_values(options))
    with _lock:
        _known.update(found)


def mask_secrets(text: str) -> str:
    """`text` with URI credentials, secret query parameters and every remembered secret option value masked.

    Args:
        text: any message.

    Returns:
        The message with each secret replaced by `***`.
    """
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # a longer secret before any secret it contains
    for secret in known:
        text = text.replace(secret, MASK)
    return _PARAMETER.sub(rf"\1{MASK}", _USERINFO.sub(f"{MASK}@", text))


class MaskSecrets(logging.Filter):
    """A logging filter that masks secrets in every record's message (for loggers and handlers).

    Example:
        >>> logging.getLogger("s3fs").addFilter(MaskSecrets())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_secrets(record.getMessage()), None
        return True


def has_credentials(uri: str) -> bool:
    """Whether `uri` carries `user:password@` credentials.

    Example:
        >>> has_credentials("s3://KEY:SECRET@bucket/"), has_credentials("az://container@account/")
        (True, False)
    """
    return _USERINFO.search(uri) is not None


def _secret_values(options: dict[str, Any]) -> Iterator[str]:
    for name, value in options.items():
        if isinstance(value, dict):
            yield from _secret_values(value)
        elif isinstance(value, str) and _SECRET_OPTION.search(str(name)) and len(value) >= _MIN_SECRET_LENGTH:
            yield value
            # connection strings: also each secret part on its own (AccountKey=..., SharedAccessSignature=...)
            parts = (part.partition("=") for part in value.split(";"))
            yield from (v for k, _, v in parts if _SECRET_OPTION.search(k) and len(v) >= _MIN_SECRET_LENGTH)
