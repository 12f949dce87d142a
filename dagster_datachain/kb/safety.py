"""What keeps the Knowledge Base safe to share: no secrets in any text, no file outside its folder.

Example:
    >>> scrub_uri("s3://user:pw@bucket/a.jpg?X-Amz-Signature=abc")
    's3://bucket/a.jpg'
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataChainError
from ..storage.secrets import mask_secrets

_USERINFO = re.compile(r"(?<=://)[^/\s@\]|]+@")
_QUERY = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#|\])>`'\"]*)[?#][^\s|\])>`'\"]*")
_SECRET_WORD = r"(?:secret|token|password|passwd|credential|signature|key|sas|sig)"
_ASSIGNMENT = re.compile(rf"(?i)\b([\w-]*{_SECRET_WORD})(\s*=\s*)[^\s&,;'\"|`]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MASK = "***"


def scrub_uri(uri: str) -> str:
    """A URI without credentials (`user:pass@`), query string or fragment (signed-URL parameters)."""
    return _QUERY.sub(r"\1", _USERINFO.sub("", uri))


def redact(text: str) -> str:
    """`text` without URI credentials, URL query strings, `secret=...` values or the secret storage options (keys,
    tokens) registered in this process."""
    return _ASSIGNMENT.sub(rf"\1\2{MASK}", scrub_uri(mask_secrets(text)))


def safe_stem(name: str) -> str:
    """A file name stem made only of letters, digits, `.`, `_` and `-`, never `..`, never empty.

    Example:
        >>> safe_stem("../../etc/passwd")
        'etc-passwd'
    """
    stem = re.sub(r"\.{2,}", ".", re.sub(r"[-.]*-[-.]*", "-", _UNSAFE.sub("-", name))).strip(".-")[:150]
    return stem or "_"


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing any path that would land outside `root`."""
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise DataChainError(f"refusing to write {relative!r} outside the Knowledge Base {base}")
    return target
