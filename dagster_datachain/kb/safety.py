"""What keeps the Knowledge Base safe to share: no secrets in any text, no file outside its folder.

Example:
    >>> scrub_uri("s3://user:pw@bucket/a.jpg?X-Amz-Signature=abc")
    's3://bucket/a.jpg'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import DataChainError

_USERINFO = re.compile(r"(?<=://)[^/\s@\]|]+@")
_QUERY = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#|\])>`'\"]*)[?#][^\s|\])>`'\"]*")
_SECRET_WORD = r"(?:secret|token|password|passwd|credential|signature|key|sas|sig)"
_ASSIGNMENT = re.compile(rf"(?i)\b([\w-]*{_SECRET_WORD})(\s*=\s*)[^\s&,;'\"|`]+")
_SECRET_OPTION = re.compile(r"(?i)key|secret|token|password|passwd|credential|signature|sas|connection_string")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MASK = "***"


def scrub_uri(uri: str) -> str:
    """A URI without credentials (`user:pass@`), query string or fragment (signed-URL parameters)."""
    return _QUERY.sub(r"\1", _USERINFO.sub("", uri))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with URI credentials, URL query strings, `secret=...` assignments and the given values masked."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _ASSIGNMENT.sub(rf"\1\2{MASK}", scrub_uri(text))


def option_secrets(options: Mapping[str, Any]) -> Iterator[str]:
    """The string values of storage options whose names say they are secret (nested dicts included)."""
    for name, value in options.items():
        if isinstance(value, Mapping):
            yield from option_secrets(value)
        elif isinstance(value, str) and len(value) >= 4 and _SECRET_OPTION.search(str(name)):
            yield value


def safe_stem(name: str) -> str:
    """A file name stem made only of letters, digits, `.`, `_` and `-`, never `..`, never empty.

    Example:
        >>> safe_stem("../../etc/passwd")
        'etc-passwd'
    """
    stem = re.sub(r"\.{2,}", ".", _UNSAFE.sub("-", name)).strip(".-")[:150]
    return stem or "_"


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing any path that would land outside `root`."""
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise DataChainError(f"refusing to write {relative!r} outside the Knowledge Base {base}")
    return target
