"""The `--where` parser of `query`: `COLUMN OP LITERAL` conditions joined by `and`, never evaluated as code."""

from __future__ import annotations

import argparse
import ast
import functools
import operator
import re
from collections.abc import Callable
from typing import Any

from ..chain.expr import C, Expr

_TOKEN = re.compile(r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<op>==|!=|<=|>=|=|<|>)"""
                    r"""|(?P<word>[^\s=!<>'"]+))""")
_COMPARISONS: dict[str, Callable[[C, Any], Expr]] = {
    "==": lambda c, v: c == v, "=": lambda c, v: c == v, "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v, "<=": lambda c, v: c <= v, ">": lambda c, v: c > v, ">=": lambda c, v: c >= v,
    "like": lambda c, v: c.like(str(v)), "ilike": lambda c, v: c.ilike(str(v)), "glob": lambda c, v: c.glob(str(v)),
}  # fmt: skip


def parse_where(text: str) -> Expr:
    """Read conditions such as `info.width > 400 and file.path like '%dog%'` into an expression.

    Only `COLUMN OP LITERAL` clauses joined by `and`; OP is one of `== = != < <= > >= like ilike glob`, and
    literals are numbers, quoted strings, true, false or null. Nothing is evaluated as code.

    Args:
        text: the conditions as typed.

    Returns:
        The expression, for `chain.filter`.

    Raises:
        argparse.ArgumentTypeError: the text is not such conditions (argparse turns it into a usage error).

    Example:
        >>> parse_where("info.width>400").text
        "(C('info.width') > 400)"
    """
    tokens = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            break
        tokens.append((match.lastgroup, match.group(match.lastgroup or 0)))
        position = match.end()
    if text[position:].strip():
        raise argparse.ArgumentTypeError(f"cannot read {text[position:].strip()!r} in {text!r}")
    clauses: list[Expr] = []
    for start in range(0, len(tokens), 4):
        clause = tokens[start:start + 3]
        joiner = tokens[start + 3] if start + 3 < len(tokens) else None
        if len(clause) < 3 or clause[0][0] != "word" or clause[1][1].lower() not in _COMPARISONS:
            raise argparse.ArgumentTypeError(f"expected COLUMN OP VALUE in {text!r}, e.g. 'info.width > 400'")
        if joiner is not None and joiner[1].lower() != "and":
            raise argparse.ArgumentTypeError(f"conditions are joined by 'and', not {joiner[1]!r}")
        clauses.append(_condition(clause[0][1], clause[1][1].lower(), _literal(*clause[2])))
    if not clauses or len(tokens) % 4 != 3:
        raise argparse.ArgumentTypeError(f"expected COLUMN OP VALUE [and ...] in {text!r}")
    return functools.reduce(operator.and_, clauses)


def _condition(column: str, op: str, value: Any) -> Expr:
    if value is None and op in ("==", "=", "!="):
        return C(column).is_null() if op != "!=" else C(column).is_not_null()
    return _COMPARISONS[op](C(column), value)


def _literal(kind: str | None, token: str) -> Any:
    if kind == "string":
        return ast.literal_eval(token)  # a quoted string literal and nothing else (the tokenizer made sure)
    words = {"true": True, "false": False, "null": None, "none": None}
    if token.lower() in words:
        return words[token.lower()]
    for number in (int, float):
        try:
            return number(token)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{token!r} is not a number, true, false or null; quote text: '{token}'")
