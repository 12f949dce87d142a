"""What every command group shares: the program name, how a command is added, and how tables are printed."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from ..memory.store import Memory

PROG = "dagster-datachain"

Command = Callable[[argparse.Namespace, Memory], int | None]
"""A command's function: the parsed arguments and the Data Memory in, an exit code (None: 0) out."""


class Commands:
    """The subcommands of one parser level; each command group module adds its own through `register`.

    Example:
        >>> commands = Commands(argparse.ArgumentParser(prog=PROG))
        >>> show = commands.add("show", run_show, "Print rows of a dataset version.", memory=True)
        >>> show.add_argument("dataset")
    """

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def add(self, name: str, run: Command, help: str, *, memory: bool = False) -> argparse.ArgumentParser:  # noqa: A002
        """Add a command.

        Args:
            name: what the user types, e.g. `ls`.
            run: the function that carries it out.
            help: one sentence for `--help` (also the command's description).
            memory: whether it reads an existing Data Memory (then a missing one is an error, never created).

        Returns:
            The command's parser, to add its arguments to.
        """
        command = self._commands.add_parser(name, help=help, description=help)
        command.set_defaults(command=run, needs_memory=memory)
        return command

    def group(self, name: str, help: str) -> Commands:  # noqa: A002
        """Add a command that has commands of its own (`kb build`, `skill install`).

        Returns:
            The group's commands, to add them to.
        """
        return Commands(self._commands.add_parser(name, help=help))


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Print rows with columns padded to their widest cell, the last one left ragged."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        print("  ".join([cell.ljust(width) for cell, width in zip(row, widths, strict=False)] + [row[-1]]).rstrip())
