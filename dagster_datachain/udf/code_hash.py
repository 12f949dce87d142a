"""A fingerprint of what user code computes: bytecode, constants, and every value the code can see.

Two functions hash alike only when their bytecode and constants (nested functions, lambdas and comprehensions
included), default arguments, closure cell contents and referenced globals (functions, classes and simple values,
followed recursively) are alike. Class-based UDFs hash their class's methods and attributes plus the instance's
attributes; `functools.partial` hashes the function and its bound arguments. Library code (the standard library,
installed packages, this package) is identified by its qualified name only, and a value with no stable
representation by its type name, so hashing never fails and never depends on memory addresses.

Mutable containers (lists, dicts, sets) count by type only: they are usually state the code updates while the
program runs (a counter, a cache, collected results), and hashing their contents would make every re-run in the
same process look like new code. Configuration belongs in simple values, tuples, default arguments or `setup()`.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import sysconfig
import types
from pathlib import Path
from typing import Any

_SIMPLE = (type(None), bool, int, float, complex, str, bytes)
_MUTABLE = (list, dict, set, bytearray)
_LIBRARY_ROOTS = tuple(
    str(Path(p).resolve()) for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)
_OWN_PACKAGE = __name__.split(".")[0]


def code_hash(obj: Any) -> str:
    """16 hex digits identifying the code of `obj` (a function, lambda, partial, method or callable instance)."""
    hasher = _Hasher()
    hasher.add(obj)
    return hasher.digest.hexdigest()[:16]


class _Hasher:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.seen: dict[int, int] = {}  # id -> position: cycles (recursion, self-reference) hash as back-references
        self.kept: list[Any] = []  # keeps every seen object alive, so no id is reused while hashing

    def write(self, *items: object) -> None:
        for item in items:
            self.digest.update(f"{item}\x1f".encode())

    def add(self, obj: Any) -> None:
        if isinstance(obj, _SIMPLE):
            self.write(type(obj).__name__, repr(obj))
            return
        if id(obj) in self.seen:
            self.write("ref", self.seen[id(obj)])
            return
        self.seen[id(obj)] = len(self.seen)
        self.kept.append(obj)
        if isinstance(obj, tuple):
            self.write("tuple", len(obj))
            for item in obj:
                self.add(item)
        elif isinstance(obj, frozenset):
            self.write("frozenset", *sorted(repr(item) for item in obj))
        elif isinstance(obj, _MUTABLE):
            self.write("mutable", type(obj).__qualname__)
        elif isinstance(obj, types.ModuleType):
            self.write("module", obj.__name__)
        elif isinstance(obj, functools.partial):
            self.write("partial")
            self.add(obj.func)
            self.add(obj.args)
            self.mapping(obj.keywords)
        elif isinstance(obj, types.MethodType):
            self.write("method")
            self.add(obj.__func__)
            self.add(obj.__self__)
        elif isinstance(obj, types.FunctionType):
            self._function(obj)
        elif isinstance(obj, types.CodeType):
            self._code(obj)
        elif isinstance(obj, type):
            self._class(obj)
        elif _is_library(type(obj)):
            self.write("value", _stable_repr(obj))
        else:  # an instance of a user class: a class-based UDF or a value it uses
            self.write("instance")
            self._class(type(obj))
            self.mapping(getattr(obj, "__dict__", {}))

    def mapping(self, items: dict[str, Any]) -> None:
        """Named values that configure code (keyword arguments, instance attributes), each by its content."""
        for name, value in sorted(items.items()):
            self.write("name", name)
            self.add(value)

    def _function(self, func: types.FunctionType) -> None:
        if _is_library(func):
            self.write("function", func.__module__, func.__qualname__)
            return
        self.write("function", func.__qualname__)
        self._code(func.__code__)
        self.add(func.__defaults__)
        self.mapping(func.__kwdefaults__ or {})
        for cell in func.__closure__ or ():
            try:
                self.add(cell.cell_contents)
            except ValueError:  # a cell not yet filled
                self.write("empty-cell")
        for name in sorted(_global_names(func.__code__)):
            if name in func.__globals__:
                self.write("global", name)
                self.add(func.__globals__[name])

    def _code(self, code: types.CodeType) -> None:
        self.write("code", code.co_name, code.co_argcount, code.co_kwonlyargcount, code.co_flags)
        self.digest.update(code.co_code)
        self.write(*code.co_names, *code.co_varnames)
        for const in code.co_consts:
            self.add(const)

    def _class(self, cls: type) -> None:
        if _is_library(cls):
            self.write("class", cls.__module__, cls.__qualname__)
            return
        self.write("class", cls.__qualname__)
        for base in cls.__bases__:
            self.add(base)
        for name, value in sorted(vars(cls).items()):
            if name.startswith("__") and name.endswith("__") and not callable(value) or name in _CLASS_NOISE:
                continue
            self.write("attr", name)
            self.add(value.__func__ if isinstance(value, (staticmethod, classmethod)) else value)


_CLASS_NOISE = {"__dict__", "__weakref__", "__doc__", "__module__", "__qualname__", "__annotations__",
                "__pydantic_validator__", "__pydantic_serializer__", "__pydantic_core_schema__",
                "__signature__", "__class_getitem__", "__init_subclass__", "__subclasshook__"}


def _global_names(code: types.CodeType) -> set[str]:
    """Names the code (and its nested code objects) may look up as globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _is_library(obj: Any) -> bool:
    """Code that is not the user's: builtins, the standard library, installed packages, this package."""
    module_name = getattr(obj, "__module__", None) or ""
    if module_name == "__main__":
        return False
    if module_name == "builtins" or module_name.split(".")[0] in (_OWN_PACKAGE, *sys.stdlib_module_names):
        return True
    module_file = getattr(sys.modules.get(module_name), "__file__", None)
    return module_file is not None and str(Path(module_file).resolve()).startswith(_LIBRARY_ROOTS)


def _stable_repr(obj: Any) -> str:
    """repr() unless it shows a memory address (then the type name, which is all that is stable)."""
    try:
        text = repr(obj)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break hashing
        return type(obj).__qualname__
    return type(obj).__qualname__ if " at 0x" in text else text
