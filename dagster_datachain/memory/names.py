"""Dataset names and semantic versions: parsing, validation, bumping."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

from ..errors import DatasetInvalidVersionError, InvalidDatasetNameError, SchemaError
from .sql import RESERVED_COLUMNS

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}")
_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")

_MAX_PART = 2**31 - 1  # parts are stored as 32-bit integers
Bump = Literal["patch", "minor", "major"]


class SemVer(NamedTuple):
    """MAJOR.MINOR.PATCH, ordered numerically."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bump(self, part: Bump) -> SemVer:
        if part == "major":
            bumped = SemVer(self.major + 1, 0, 0)
        elif part == "minor":
            bumped = SemVer(self.major, self.minor + 1, 0)
        else:
            bumped = SemVer(self.major, self.minor, self.patch + 1)
        return _checked(bumped, f"the {part} part of {self} cannot grow")


FIRST_VERSION = SemVer(1, 0, 0)


def validate_name(name: str) -> str:
    """Return `name` if it is a valid dataset name, else raise InvalidDatasetNameError naming the problem."""
    if not isinstance(name, str) or not name:
        raise InvalidDatasetNameError("a dataset name must be a non-empty string")
    for bad, why in (("/", "a path separator '/'"), ("\\", "a path separator '\\'"), ("@", "'@'"), ("..", "'..'")):
        if bad in name:
            raise InvalidDatasetNameError(f"invalid dataset name {name!r}: it contains {why}")
    if not _NAME.fullmatch(name):
        raise InvalidDatasetNameError(
            f"invalid dataset name {name!r}: use letters, digits, '_', '-' and '.', at most 128 characters"
        )
    return name


def parse_version(text: str) -> SemVer:
    """`"1.0.2"` -> SemVer(1, 0, 2); anything else raises InvalidDatasetNameError."""
    match = _VERSION.fullmatch(str(text).strip())
    if match is None:
        raise DatasetInvalidVersionError(f"invalid dataset version {text!r}: expected MAJOR.MINOR.PATCH, e.g. 1.0.0")
    return _checked(SemVer(*(int(g) for g in match.groups())), f"invalid dataset version {text!r}")


def _checked(version: SemVer, problem: str) -> SemVer:
    if max(version) > _MAX_PART:
        raise InvalidDatasetNameError(f"{problem}: each part of a version must be at most {_MAX_PART}")
    return version


def validate_columns(columns: Iterable[str]) -> None:
    """Refuse column names that Data Memory keeps for itself (the visibility range of each row)."""
    reserved = [c for c in columns if c in RESERVED_COLUMNS]
    if reserved:
        raise SchemaError(f"column name {reserved[0]!r} is reserved for Data Memory's version ranges "
                          f"({', '.join(RESERVED_COLUMNS)}); rename the column before saving")


LOCAL_PROJECT_PREFIX = "local.local."
"""DataChain's fully qualified names `<namespace>.<project>.<name>`: its local mode's only project names datasets
as `local.local.<name>`, which is `<name>` here."""


def local_name(name: str) -> str:
    """`local.local.pets` -> `pets`; other names unchanged."""
    return name.removeprefix(LOCAL_PROJECT_PREFIX) if isinstance(name, str) else name


def split_reference(reference: str, version: str | None = None) -> tuple[str, SemVer | None]:
    """`"pets@1.0.2"` -> ("pets", 1.0.2); an explicit `version` argument must agree with the one in the name."""
    name, at, inline = local_name(reference).partition("@")
    validate_name(name)
    if at and not inline:
        raise InvalidDatasetNameError(f"invalid dataset reference {reference!r}: nothing after '@'")
    parsed = parse_version(inline) if at else None
    if version is not None:
        explicit = parse_version(version)
        if parsed is not None and parsed != explicit:
            raise InvalidDatasetNameError(f"{reference!r} and version={version!r} disagree")
        parsed = explicit
    return name, parsed
