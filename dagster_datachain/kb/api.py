"""The chain API cheat sheet, read from the package itself (`__all__`, signatures, docstrings) so it cannot drift."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from types import ModuleType, UnionType
from typing import Any

logger = logging.getLogger(__name__)

PACKAGE = "dagster_datachain"


@dataclass(frozen=True)
class Entry:
    """One line of the cheat sheet: how to call something and what it does."""

    call: str  # e.g. `dc.read_dataset(name, version=None, *, ...)` or `.map(func=None, *, ...)`
    summary: str


@dataclass(frozen=True)
class Section:
    """A titled group of cheat sheet lines."""

    title: str
    entries: list[Entry]


def cheat_sheet() -> list[Section]:
    """Every public name of the package, and the methods of the objects a chain script touches.

    Read from the package itself (`__all__`, signatures, first docstring paragraphs), so the skill's cheat sheet
    cannot drift from the code; a name whose optional part cannot load here is left out with a warning.

    Returns:
        Sections (functions, DataChain methods, expressions, `dc.func`, File methods, classes, errors), empty
        ones left out.

    Example:
        >>> [section.title for section in cheat_sheet()][:2]
        ['Functions', 'DataChain methods (each returns a new chain unless it executes)']
    """
    package = importlib.import_module(PACKAGE)
    public = dict(_public(package))
    functions = [_entry(f"dc.{n}", o) for n, o in public.items() if callable(o) and not isinstance(o, type)]
    classes = [_entry(f"dc.{n}", o, signature=False) for n, o in public.items()
               if isinstance(o, type) and not issubclass(o, BaseException)]
    classes += [Entry(f"dc.{n}", f"A type alias: `{o}`.") for n, o in public.items() if isinstance(o, UnionType)]
    errors = [_entry(f"dc.{n}", o, signature=False) for n, o in public.items()
              if isinstance(o, type) and issubclass(o, BaseException)]
    sections = [
        Section("Functions", functions),
        Section("DataChain methods (each returns a new chain unless it executes)", _methods(public.get("DataChain"))),
        Section('Column expressions: `dc.C("info.width") > 400`, combined with `&`, `|`, `~`',
                _methods(public.get("Expr"))),
        Section("`dc.func`: functions that run inside DuckDB", _module_functions("dc.func", public.get("func"))),
        Section("`dc.metrics`: values a script records about its run", _module_functions("dc.metrics",
                                                                                        public.get("metrics"))),
        Section("File methods (a `dc.File` column in a UDF)", _methods(public.get("File"))),
        Section("Classes", classes),
        Section("Errors (all subclasses of `dc.DataChainError`)", errors),
    ]
    return [section for section in sections if section.entries]


def _public(package: ModuleType) -> Iterable[tuple[str, Any]]:
    for name in sorted(getattr(package, "__all__", [])):
        try:
            yield name, getattr(package, name)
        except (ImportError, AttributeError) as exc:  # an optional part that cannot load here is left out
            logger.warning("cheat sheet: leaving out %s.%s (%s)", package.__name__, name, exc)


def _methods(cls: type | None) -> list[Entry]:
    """Public methods and properties the class itself defines (not those pydantic or object add)."""
    entries = []
    for name, member in sorted(vars(cls).items()) if cls is not None else ():
        function = member.fget if isinstance(member, property) else member
        if name.startswith("_") or not inspect.isfunction(function) or not _ours(function):
            continue
        entries.append(Entry(f".{name}", _summary(member)) if isinstance(member, property)
                       else _entry(f".{name}", member, skip_self=True))
    return entries


def _module_functions(prefix: str, module: Any) -> list[Entry]:
    """`prefix.<name>(...)` for a module's public functions, descending into public submodules."""
    if not isinstance(module, ModuleType):
        return []
    names = getattr(module, "__all__", None) or [
        n for n, f in vars(module).items() if inspect.isfunction(f) and _ours(f) and f.__module__ == module.__name__]
    entries = []
    for name in sorted(n for n in names if not n.startswith("_")):
        member = getattr(module, name)
        if isinstance(member, ModuleType):
            entries.extend(_module_functions(f"{prefix}.{name}", member))
        elif inspect.isfunction(member):
            entries.append(_entry(f"{prefix}.{name}", member))
    return entries


def _ours(function: Any) -> bool:
    return str(getattr(function, "__module__", "")).startswith(PACKAGE)


def _entry(name: str, obj: Any, *, signature: bool = True, skip_self: bool = False) -> Entry:
    return Entry(f"{name}{_signature(obj, skip_self) if signature else ''}", _summary(obj))


def _signature(obj: Any, skip_self: bool) -> str:
    """Parameters with defaults but without annotations: short enough to read at a glance."""
    try:
        parameters = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return "(...)"
    if skip_self and parameters and parameters[0].name == "self":
        parameters = parameters[1:]
    bare = [p.replace(annotation=inspect.Parameter.empty, default=_Shown.of(p.default)) for p in parameters]
    return str(inspect.Signature(bare))


class _Shown:
    """A default value shown the way code would write it (`Status.STOPPED`, not `<Status.STOPPED: 'STOPPED'>`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    @staticmethod
    def of(value: Any) -> Any:
        return _Shown(f"{type(value).__name__}.{value.name}") if isinstance(value, Enum) else value


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())
