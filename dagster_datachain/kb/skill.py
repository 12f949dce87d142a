"""The agent skill: instruction files that point Claude Code, Cursor or Codex at the Knowledge Base and the API.

Example:
    >>> from dagster_datachain.kb.skill import install_skill
    >>> path = install_skill("claude", local=True)  # .claude/skills/datachain/SKILL.md
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import DataChainError
from .api import PACKAGE, cheat_sheet
from .render import render

Target = Literal["claude", "cursor", "codex"]
TARGETS: tuple[Target, ...] = ("claude", "cursor", "codex")
KNOWLEDGE_BASE = "dc-knowledge"
BEGIN = "<!-- dagster-datachain skill: begin (`dagster-datachain skill uninstall --target codex` removes it) -->"
END = "<!-- dagster-datachain skill: end -->"


@dataclass(frozen=True)
class SkillLocation:
    """Where one agent reads the skill, for one scope (`project`: this folder, `user`: the home folder)."""

    target: Target
    scope: Literal["project", "user"]
    base: Path  # the project or home folder
    relative: str

    @property
    def path(self) -> Path:
        return self.base / self.relative

    @property
    def installed(self) -> bool:
        if self.target == "codex":
            return self.path.is_file() and BEGIN in self.path.read_text()
        return self.path.is_file()


def location(target: Target, *, local: bool = False, project: str | os.PathLike[str] | None = None) -> SkillLocation:
    """The skill file of `target`: in the project (`local=True`, default folder: the working directory) or home."""
    if target not in TARGETS:
        raise DataChainError(f"unknown skill target {target!r}; choose one of {', '.join(TARGETS)}")
    if target == "cursor" and not local:
        raise DataChainError("Cursor reads rules only from a project: use --local")
    base = Path(project if project is not None else Path.cwd()) if local else Path.home()
    relative = {
        "claude": ".claude/skills/datachain/SKILL.md",
        "cursor": ".cursor/rules/datachain.mdc",
        "codex": "AGENTS.md" if local else ".codex/AGENTS.md",
    }[target]
    return SkillLocation(target, "project" if local else "user", base, relative)


def skill_text(target: Target) -> str:
    """The instructions as `target` reads them: one body, wrapped in that agent's file format."""
    sections = cheat_sheet()
    package = importlib.import_module(PACKAGE)
    dagster = all(hasattr(package, name) for name in ("dataset_asset", "datachain_resources"))
    body = render("skill.md.j2", kb=KNOWLEDGE_BASE, sections=sections, dagster=dagster).strip()
    suffix = "mdc" if target == "cursor" else "md"
    return render(f"skill_{target}.{suffix}.j2", body=body, begin=BEGIN, end=END)


def install_skill(target: Target, *, local: bool = False, project: str | os.PathLike[str] | None = None) -> Path:
    """Write (or refresh) the skill for `target`; for Codex only its own section of AGENTS.md is replaced.

    Args:
        target: `claude`, `cursor` or `codex`.
        local: in the project instead of the home folder.
        project: the project folder; the working directory by default.

    Returns:
        The file written.

    Raises:
        DataChainError: an unknown target, or Cursor without `local` (it reads rules only from a project).

    Example:
        >>> install_skill("claude", local=True)  # in /project
        PosixPath('/project/.claude/skills/datachain/SKILL.md')
    """
    where = location(target, local=local, project=project)
    text = skill_text(target)
    if target == "codex":
        text = _with_section(where.path.read_text() if where.path.is_file() else "", text)
    where.path.parent.mkdir(parents=True, exist_ok=True)
    where.path.write_text(text)
    return where.path


def uninstall_skill(target: Target, *, local: bool = False,
                    project: str | os.PathLike[str] | None = None) -> Path | None:
    """Remove the skill of `target` (for Codex, only its section of AGENTS.md).

    Args:
        target: `claude`, `cursor` or `codex`.
        local: in the project instead of the home folder.
        project: the project folder; the working directory by default.

    Returns:
        The file the skill was removed from, or None when none was installed there.
    """
    where = location(target, local=local, project=project)
    if not where.installed:
        return None
    rest = _with_section(where.path.read_text(), "") if target == "codex" else ""
    if rest.strip():
        where.path.write_text(rest)
    else:
        where.path.unlink()
        _remove_empty_parents(where.path.parent, stop=where.base)
    return where.path


def list_skills(project: str | os.PathLike[str] | None = None) -> list[SkillLocation]:
    """Every place a skill can live, installed or not.

    Args:
        project: the project folder; the working directory by default.

    Returns:
        One location per target and scope (project, user), each saying whether a skill is there.

    Example:
        >>> [(s.target, s.scope) for s in list_skills() if s.installed]
        [('claude', 'project')]
    """
    places = []
    for target in TARGETS:
        for local in (True, False):
            if target != "cursor" or local:
                places.append(location(target, local=local, project=project))
    return places


def _with_section(document: str, section: str) -> str:
    """`document` with its skill section (between BEGIN and END) replaced by `section` ("" removes it)."""
    start, end = document.find(BEGIN), document.find(END)
    if start != -1 and end > start:
        before, after = document[:start].rstrip(), document[end + len(END):].lstrip()
    else:
        before, after = document.rstrip(), ""
    parts = [part for part in (before, section.strip(), after.rstrip()) if part]
    return "\n\n".join(parts) + "\n" if parts else ""


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents below `stop` while they are empty (e.g. `.claude/skills/datachain`)."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
