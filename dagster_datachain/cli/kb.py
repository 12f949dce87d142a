"""`kb build`, and `skill install|uninstall|list` for the agent skill that points agents at the Knowledge Base."""

from __future__ import annotations

import argparse

from ..kb import build_knowledge_base
from ..kb.skill import TARGETS, install_skill, list_skills, uninstall_skill
from ..memory.store import Memory
from .common import Commands, print_table


def register(commands: Commands) -> None:
    """Add the `kb` and `skill` groups."""
    kb = commands.group("kb", "The Knowledge Base (dc-knowledge/).")
    sub = kb.add("build", build, "Write the Knowledge Base from Data Memory.", memory=True)
    sub.add_argument("--path", default="dc-knowledge", help="folder to write (default dc-knowledge)")
    sub.add_argument("--dataset", action="append", metavar="NAME", help="rewrite only the pages that mention NAME")

    skill = commands.group("skill", "The agent skill for Claude Code, Cursor and Codex.")
    for name, run, text in (("install", skill_install, "Write the skill files an agent reads."),
                            ("uninstall", skill_uninstall, "Remove the skill files (for Codex, only our section).")):
        sub = skill.add(name, run, text)
        sub.add_argument("--target", choices=TARGETS, required=True)
        sub.add_argument("--local", action="store_true", help="in this project instead of the home folder")
    skill.add("list", skill_list, "Show where skills are installed.")


def build(args: argparse.Namespace, memory: Memory) -> None:
    """Write the Knowledge Base to `args.path` (only the pages mentioning `args.dataset` when given)."""
    print(build_knowledge_base(args.path, memory=memory, datasets=args.dataset))


def skill_install(args: argparse.Namespace, memory: Memory) -> None:
    """Install the skill for `args.target`, in this project with `args.local`, else in the home folder."""
    print(f"Installed the {args.target} skill: {install_skill(args.target, local=args.local)}")


def skill_uninstall(args: argparse.Namespace, memory: Memory) -> None:
    """Remove the skill for `args.target`."""
    path = uninstall_skill(args.target, local=args.local)
    print(f"Removed the {args.target} skill: {path}" if path else f"No {args.target} skill was installed there")


def skill_list(args: argparse.Namespace, memory: Memory) -> None:
    """Print every target and scope with whether its skill is installed."""
    rows = [("TARGET", "SCOPE", "STATUS", "PATH")]
    rows += [(s.target, s.scope, "installed" if s.installed else "-", str(s.path)) for s in list_skills()]
    print_table(rows)
