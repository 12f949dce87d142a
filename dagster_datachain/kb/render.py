"""The Jinja2 templates in `kb_templates/` and the filters they format values with."""

from __future__ import annotations

import importlib.metadata
import json
import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

from ..errors import DataChainError

TEMPLATES = "kb_templates"
_LINK_BRACKETS = re.compile(r"([\[\]])(?=\1)")


def templates_dir() -> Path:
    """`kb_templates/` beside the package in a checkout (editable install), else the installed copy."""
    checkout = Path(__file__).resolve().parents[2] / TEMPLATES
    if checkout.is_dir():
        return checkout
    for file in importlib.metadata.files("dagster_datachain") or []:
        if file.parent.name == TEMPLATES and file.name == "index.md.j2":
            return Path(str(file.locate())).resolve().parent
    raise DataChainError(f"the Knowledge Base templates ({TEMPLATES}/) are missing from this installation")


@cache
def environment() -> jinja2.Environment:
    """The template environment: strict about undefined names, markdown output (no HTML escaping)."""
    import jinja2  # on first use: plain scripts that never write the Knowledge Base do not load it

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(size=human_size, number="{:,}".format, utc=utc, iso=iso, text=text, cell=cell, yaml=yaml)
    return env


def render(template: str, **context: Any) -> str:
    """Fill one template."""
    return environment().get_template(template).render(**context)


def human_size(size: int) -> str:
    """Bytes in decimal units: `4021` -> `4.0 KB`."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1000
    raise AssertionError("unreachable")


def utc(moment: datetime) -> str:
    """`2025-01-31 12:00:00 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime) -> str:
    """`2025-01-31T12:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value: Any) -> str:
    """User-supplied text on one line, `|` escaped (tables), `[[` / `]]` split by a zero-width space (no links)."""
    return _LINK_BRACKETS.sub("\\1\u200b", " ".join(str(value).split()).replace("|", "\\|"))


def cell(value: Any) -> str:
    """Any stored value, short enough for a table cell: floats to 4 digits, long lists and texts cut."""
    return text(_short(value, 40))


def _short(value: Any, width: int) -> str:
    if isinstance(value, float):
        shown = f"{value:.4g}"
    elif isinstance(value, list):
        items = ", ".join(_short(v, 12) for v in value[:3])
        shown = f"[{items}, …] ({len(value)})" if len(value) > 3 else f"[{items}]"
    elif isinstance(value, datetime):
        shown = utc(value) if value.tzinfo else value.isoformat(sep=" ")
    elif isinstance(value, date):
        shown = value.isoformat()
    elif isinstance(value, bytes):
        shown = f"<{len(value)} bytes>"
    elif isinstance(value, dict):
        shown = json.dumps(value, sort_keys=True, default=str)
    else:
        shown = "" if value is None else str(value)
    shown = " ".join(shown.split())
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def yaml(value: Any) -> str:
    """A YAML scalar or flow list, written as JSON (valid YAML) with brackets in strings escaped (no wikilinks)."""
    if isinstance(value, list):
        return "[" + ", ".join(yaml(item) for item in value) + "]"
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("[", "\\u005b").replace("]", "\\u005d") if isinstance(value, str) else text
