"""The command line, `dagster-datachain` (short alias `dcn`): storage, datasets, the Knowledge Base, the skill.

Exit codes: 0 success, 1 error (a one-line message, no traceback), 2 wrong usage.

Example:
    $ dagster-datachain ls s3://bucket/images/ --anon
    $ dagster-datachain query pets_images --where 'info.width > 400' --select file.path
    $ dagster-datachain run stage.py -- --limit 10
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import logging
import operator
import os
import re
import runpy
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
from tqdm import tqdm

from . import C, DataChainError, Expr, StorageError, delete_dataset, gc, read_dataset
from .kb import build_knowledge_base
from .kb.render import human_size, utc
from .kb.skill import TARGETS, install_skill, list_skills, uninstall_skill
from .memory.catalog import get_version, list_versions
from .memory.changes import count_changes, version_changes
from .memory.config import CATALOG_ENV_VAR, DATA_PATH_ENV_VAR, ROOT_ENV_VAR
from .memory.names import split_reference
from .memory.store import Memory, get_memory
from .storage.filesystem import (
    StorageURI,
    client_options,
    filesystem_for,
    parse_uri,
    register_storage_options,
    storage_error,
)
from .storage.listing import list_prefix
from .storage.paths import join_inside
from .storage.secrets import MaskSecrets, mask_secrets

PROG = "dagster-datachain"
_GLOB = re.compile(r"[*?\[]")
CHUNK = 1 << 20

Command = Callable[[argparse.Namespace, Memory], int | None]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s",
                        stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # client libraries log URLs too
        handler.addFilter(MaskSecrets())
    try:
        _register_options(args)
        if args.catalog or args.data_path:
            memory = Memory(args.root, catalog=args.catalog, data_path=args.data_path)
        else:
            memory = get_memory(args.root)
        if args.needs_memory and not memory.exists():  # looking must not create one
            raise DataChainError(f"no Data Memory at {memory.root} ({_root_origin(args.root)}); nothing was created: "
                                 f"save a dataset first, or point --root or ${ROOT_ENV_VAR} at a Data Memory")
        return args.command(args, memory) or 0
    except (DataChainError, OSError) as exc:  # a user's or an environment's error, not a bug: no traceback
        print(f"{PROG}: error: {mask_secrets(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """Every command with its options; `--help` works on each."""
    parser = argparse.ArgumentParser(prog=PROG, description="Files, datasets and the Knowledge Base of Data Memory.")
    parser.add_argument("--root", help=f"Data Memory directory (default: ${ROOT_ENV_VAR}, else .datachain)")
    parser.add_argument("--catalog", help=f"a shared Data Memory on DuckLake: postgresql://user@host:port/db, "
                        f"sqlite:///file or file.ducklake (default: ${CATALOG_ENV_VAR}; password: $PGPASSWORD)")
    parser.add_argument("--data-path", help=f"the lake's rows: a folder or s3://bucket/prefix/ (default: "
                        f"${DATA_PATH_ENV_VAR}; S3 keys: AWS_* variables)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    parser.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                        help="storage option for the buckets in this command, e.g. -o endpoint_url=http://host:9000 "
                        "(repeatable; JSON values such as true or 5 are parsed)")
    parser.set_defaults(needs_memory=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, run: Command, help: str, memory: bool = False) -> argparse.ArgumentParser:  # noqa: A002
        """A subcommand; `memory=True` for those that read an existing Data Memory."""
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(command=run, needs_memory=memory)
        return sub

    sub = command("ls", _ls, "List the files and folders directly under a storage URI, with sizes and dates.")
    sub.add_argument("uri", help="local path, file://, s3://, gs:// or az:// URI; globs (*, ?, [...]) allowed")
    sub.add_argument("--anon", action="store_true", help="no credentials (public buckets)")

    sub = command("du", _du, "Count the files under a storage URI and add up their sizes.")
    sub.add_argument("uri")
    sub.add_argument("--anon", action="store_true", help="no credentials (public buckets)")

    sub = command("cp", _cp, "Copy a file, or with -r every file under a prefix (keeping relative paths), "
                  "between local folders and buckets.")
    sub.add_argument("src")
    sub.add_argument("dst", help="destination file or folder (a trailing / or an existing folder puts files in it)")
    sub.add_argument("-r", "--recursive", action="store_true", help="copy every file under SRC")
    sub.add_argument("--anon", action="store_true", help="read SRC without credentials (public buckets)")

    command("datasets", _datasets, "List datasets with their latest version, versions and rows.", memory=True)

    sub = command("show", _show, "Print rows of a dataset version, like chain.show().", memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")
    sub.add_argument("--limit", type=int, default=20, help="rows to print (default 20)")

    sub = command("schema", _schema, "Print the columns and types of a dataset version.", memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")

    sub = command("rm", _rm, "Delete one version of a dataset (NAME@VERSION) or all of them (NAME).", memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")

    sub = command("diff", _diff, "Rows added, changed (same file, other values) and removed between two versions "
                  "of one dataset (long lists, such as embeddings, shortened).", memory=True)
    sub.add_argument("old", metavar="NAME@A")
    sub.add_argument("new", metavar="NAME@B")
    sub.add_argument("--limit", type=int, default=20, help="changed rows to print (default 20; 0: counts only)")

    sub = command("query", _query, "Filter, sort and print a dataset without code (never runs a file).",
                  memory=True)
    sub.add_argument("dataset", metavar="NAME[@VERSION]")
    sub.add_argument("--where", type=parse_where, help="conditions: COLUMN OP VALUE [and ...], e.g. 'info.width>400'")
    sub.add_argument("--select", nargs="+", metavar="COLUMN", help="columns to print (dotted names)")
    sub.add_argument("--order-by", metavar="COLUMN", help="sort by this column")
    sub.add_argument("--desc", action="store_true", help="sort descending")
    sub.add_argument("--limit", type=int, default=20, help="rows to print (default 20)")

    sub = command("run", _run, "Run a Python script as `python SCRIPT` would, with this Data Memory as the default.")
    sub.add_argument("script", metavar="SCRIPT.py")
    sub.add_argument("script_args", nargs="*", metavar="ARG", help="arguments for the script (after --)")

    kb = commands.add_parser("kb", help="The Knowledge Base (dc-knowledge/).")
    kb_commands = kb.add_subparsers(title="commands", metavar="COMMAND", required=True)
    sub = kb_commands.add_parser("build", help="Write the Knowledge Base from Data Memory.",
                                 description="Write the Knowledge Base from Data Memory.")
    sub.set_defaults(command=_kb_build, needs_memory=True)
    sub.add_argument("--path", default="dc-knowledge", help="folder to write (default dc-knowledge)")
    sub.add_argument("--dataset", action="append", metavar="NAME", help="rewrite only the pages that mention NAME")

    skill = commands.add_parser("skill", help="The agent skill for Claude Code, Cursor and Codex.")
    skill_commands = skill.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, run, text in (("install", _skill_install, "Write the skill files an agent reads."),
                            ("uninstall", _skill_uninstall, "Remove the skill files (for Codex, only our section).")):
        sub = skill_commands.add_parser(name, help=text, description=text)
        sub.set_defaults(command=run)
        sub.add_argument("--target", choices=TARGETS, required=True)
        sub.add_argument("--local", action="store_true", help="in this project instead of the home folder")
    skill_commands.add_parser("list", help="Show where skills are installed.",
                              description="Show where skills are installed.").set_defaults(command=_skill_list)

    sub = command("gc", _gc, "Remove checkpoints of abandoned runs and tables nothing refers to.", memory=True)
    sub.add_argument("--older-than", type=float, default=0.0, metavar="HOURS",
                     help="only checkpoints untouched this long (default 0)")
    return parser


# =============================================================================== storage


def _ls(args: argparse.Namespace, memory: Memory) -> None:
    fs, path = _storage(args.uri, args.anon)
    with _storage_errors("list", args.uri):
        found = fs.glob(path, detail=True).values() if _GLOB.search(path) else fs.ls(path, detail=True)
        entries = sorted(found, key=lambda e: str(e["name"]))
    rows = []
    for entry in entries:
        folder = entry.get("type") == "directory"
        name = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1] + ("/" if folder else "")
        modified = _modified(entry)
        rows.append(("" if folder else human_size(int(entry.get("size") or 0)),
                     utc(modified) if modified else "", name))
    _print_table(rows)


def _du(args: argparse.Namespace, memory: Memory) -> None:
    listing = list_prefix(_parsed(args.uri, args.anon))
    for _ in listing:  # pages; a long listing logs its progress
        pass
    print(f"{human_size(listing.total_size)}\t{listing.file_count:,} files\t{args.uri}")


def _cp(args: argparse.Namespace, memory: Memory) -> None:
    src_fs, src = _storage(args.src, args.anon)
    dst_fs, dst = _storage(args.dst, False)
    with _storage_errors("read", args.src):
        folder = src_fs.isdir(src)
        if folder and not args.recursive:
            raise StorageError(f"{args.src} is a folder: add -r to copy what is under it", uri=args.src)
        sources = sorted(src_fs.find(src, detail=True).items()) if folder else [(src, src_fs.info(src))]
    into = folder or args.dst.endswith("/") or dst_fs.isdir(dst)
    base = src.rstrip("/") if folder else src.rsplit("/", 1)[0]
    local = _is_local(args.dst)
    # every target is proved inside DST before anything is written: a key such as `data/../../x` is refused
    pairs = [(path, join_inside(dst, path[len(base):].lstrip("/"), local=local, uri=_uri_of(args.src, path))
              if into else dst) for path, _ in sources]
    total = sum(int(info.get("size") or 0) for _, info in sources)
    with tqdm(total=total, unit="B", unit_scale=True, desc="cp", disable=None, file=sys.stderr) as bar, \
            _storage_errors("copy to", args.dst):
        for source, target in pairs:
            dst_fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            with src_fs.open(source, "rb") as reader, dst_fs.open(target, "wb") as writer:
                while chunk := reader.read(CHUNK):
                    writer.write(chunk)
                    bar.update(len(chunk))
    print(f"Copied {len(pairs):,} files ({human_size(total)}) to {args.dst}")


def _register_options(args: argparse.Namespace) -> None:
    """`-o KEY=VALUE` options, registered (in this process only) for the scheme of every URI argument."""
    options: dict[str, Any] = {}
    for number, item in enumerate(args.option, 1):
        key, separator, value = item.partition("=")
        if not separator or not key:  # the value may be a secret: not echoed
            raise DataChainError(f"storage option #{number} (-o) is not KEY=VALUE, "
                                 "e.g. -o endpoint_url=http://host:9000")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    uris = [v for v in vars(args).values() if isinstance(v, str) and "://" in v and not v.startswith("file://")]
    for uri in uris if options else []:
        register_storage_options(uri.split("://", 1)[0] + "://", options)


def _storage(uri: str, anon: bool) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and fsspec path of a local path or URI (validated like `read_storage` does)."""
    if _is_local(uri):
        rest = uri.split("://", 1)[-1]
        return fsspec.filesystem("file"), str(Path(rest).expanduser().resolve())
    return filesystem_for(_parsed(uri, anon).source), uri.split("://", 1)[1]


def _is_local(uri: str) -> bool:
    scheme, separator, _ = uri.partition("://")
    return not separator or scheme == "file"


def _uri_of(uri: str, fs_path: str) -> str:
    """The URI (for messages) of an fsspec path found under the command's `uri` argument."""
    return fs_path if _is_local(uri) else f"{uri.split('://', 1)[0]}://{fs_path}"


def _parsed(uri: str, anon: bool) -> StorageURI:
    """The parsed URI, its bucket registered for anonymous access when asked."""
    parsed = parse_uri(uri)
    if anon and not parsed.is_local:
        register_storage_options(parsed.source, client_options(parsed.protocol, anon=True))
    return parsed


@contextmanager
def _storage_errors(action: str, uri: str) -> Iterator[None]:
    """Whatever the storage client raises, as a StorageError naming the URI (and no secret)."""
    try:
        yield
    except Exception as exc:  # the network boundary: client libraries raise their own types
        raise storage_error(action, uri, exc) from exc


def _root_origin(root: str | None) -> str:
    """Where the Data Memory path came from, for messages."""
    if root is not None:
        return "--root"
    return f"${ROOT_ENV_VAR}" if os.environ.get(ROOT_ENV_VAR) else "the default, in the working folder"


@contextmanager
def _reported_here(function: Callable[..., Any]) -> Iterator[None]:
    """Hold back the INFO report `function`'s module logs, while the command prints that same report itself."""
    library_logger = logging.getLogger(function.__module__)
    level = library_logger.level
    library_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        library_logger.setLevel(level)


def _modified(entry: dict[str, Any]) -> datetime | None:
    value = entry.get("LastModified") or entry.get("last_modified") or entry.get("updated") or entry.get("mtime")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if isinstance(value, datetime) else None


# =============================================================================== datasets


def _datasets(args: argparse.Namespace, memory: Memory) -> None:
    with memory.connect() as con:
        records = list_versions(con)
    by_name: dict[str, list[str]] = {}
    for record in records:
        by_name.setdefault(record.name, []).append(record.version)
    latest = {record.name: record for record in records}
    rows = [("NAME", "LATEST", "ROWS", "UPDATED", "VERSIONS")]
    rows += [(name, r.version, f"{r.row_count:,}", utc(r.created_at), ", ".join(by_name[name]))
             for name, r in sorted(latest.items())]
    _print_table(rows)


def _show(args: argparse.Namespace, memory: Memory) -> None:
    read_dataset(args.dataset, memory=memory).show(args.limit)


def _schema(args: argparse.Namespace, memory: Memory) -> None:
    read_dataset(args.dataset, memory=memory).print_schema()


def _rm(args: argparse.Namespace, memory: Memory) -> None:
    with _reported_here(delete_dataset):
        deleted = delete_dataset(args.dataset, force="@" not in args.dataset, memory=memory)
    print(f"Deleted {deleted} version(s) of {split_reference(args.dataset)[0]}")


_MARKS = {"added": "+", "removed": "-", "changed": "~"}


def _diff(args: argparse.Namespace, memory: Memory) -> None:
    (old_name, old_version), (new_name, new_version) = split_reference(args.old), split_reference(args.new)
    if old_name != new_name:
        raise DataChainError(f"{old_name} and {new_name} are different datasets: diff compares two versions of one "
                             f"dataset, e.g. {PROG} diff {new_name}@A {new_name}@B")
    with memory.connect() as con:
        old, new = get_version(con, old_name, old_version), get_version(con, new_name, new_version)
        counts = count_changes(con, old, new)
        rows = version_changes(con, old, new).limit(max(args.limit, 0)).fetchall()
    print(f"{old.reference} -> {new.reference}: {counts.added:,} added, {counts.changed:,} changed, "
          f"{counts.removed:,} removed")
    for change, row in rows:
        print(_MARKS[change], json.dumps(_shortened(json.loads(row)), separators=(",", ":"), ensure_ascii=False))


_LIST_ITEMS = 8
"""Lists longer than this (embeddings) are printed as their first items and their length."""


def _shortened(value: Any) -> Any:
    """A JSON value with every long list cut to its first items plus a note of how many values it has."""
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_shortened(item) for item in value[:_LIST_ITEMS]]
        return items + [f"... {len(value)} values"] if len(value) > _LIST_ITEMS else items
    return value


# =============================================================================== query


def _query(args: argparse.Namespace, memory: Memory) -> None:
    """A dataset, filtered and printed; a script is run only by `run`, never because a file has this name."""
    try:
        chain = read_dataset(args.dataset, memory=memory)
    except DataChainError as exc:
        if Path(args.dataset).is_file():
            raise DataChainError(f"{exc} (to run the file {args.dataset} as a script: {PROG} run {args.dataset})") \
                from exc
        raise
    if args.where is not None:
        chain = chain.filter(args.where)
    if args.order_by:
        chain = chain.order_by(args.order_by, descending=args.desc)
    if args.select:
        chain = chain.select(*args.select)
    chain.show(args.limit)


def _run(args: argparse.Namespace, memory: Memory) -> int:
    """Run a script as `python SCRIPT.py` would, with this Data Memory as the default."""
    path = Path(args.script)
    if not path.is_file():
        raise DataChainError(f"no such script: {args.script}")
    os.environ[ROOT_ENV_VAR] = str(memory.root)
    if memory.lake_config is not None:
        os.environ[CATALOG_ENV_VAR] = memory.lake_config.catalog
        os.environ[DATA_PATH_ENV_VAR] = memory.lake_config.data_path
    sys.argv = [str(path), *args.script_args]
    sys.path.insert(0, str(path.resolve().parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
    except DataChainError:
        raise
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # the user's own bug: its traceback is what they need
        traceback.print_exc()
        return 1
    return 0


_TOKEN = re.compile(r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<op>==|!=|<=|>=|=|<|>)"""
                    r"""|(?P<word>[^\s=!<>'"]+))""")
_COMPARISONS: dict[str, Callable[[C, Any], Expr]] = {
    "==": lambda c, v: c == v, "=": lambda c, v: c == v, "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v, "<=": lambda c, v: c <= v, ">": lambda c, v: c > v, ">=": lambda c, v: c >= v,
    "like": lambda c, v: c.like(str(v)), "ilike": lambda c, v: c.ilike(str(v)), "glob": lambda c, v: c.glob(str(v)),
}  # fmt: skip


def parse_where(text: str) -> Expr:
    """`info.width > 400 and file.path like '%dog%'` -> an Expr; only `COLUMN OP LITERAL` joined by `and`.

    Literals are numbers, quoted strings, true, false or null; nothing is evaluated as code.

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


# =============================================================================== kb, skill, gc


def _kb_build(args: argparse.Namespace, memory: Memory) -> None:
    print(build_knowledge_base(args.path, memory=memory, datasets=args.dataset))


def _skill_install(args: argparse.Namespace, memory: Memory) -> None:
    print(f"Installed the {args.target} skill: {install_skill(args.target, local=args.local)}")


def _skill_uninstall(args: argparse.Namespace, memory: Memory) -> None:
    path = uninstall_skill(args.target, local=args.local)
    print(f"Removed the {args.target} skill: {path}" if path else f"No {args.target} skill was installed there")


def _skill_list(args: argparse.Namespace, memory: Memory) -> None:
    rows = [("TARGET", "SCOPE", "STATUS", "PATH")]
    rows += [(s.target, s.scope, "installed" if s.installed else "-", str(s.path)) for s in list_skills()]
    _print_table(rows)


def _gc(args: argparse.Namespace, memory: Memory) -> None:
    with _reported_here(gc):
        report = gc(args.older_than, memory=memory)
    print(f"Removed {report.checkpoints} checkpoint(s) and {len(report.tables)} orphan table(s)")


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, the last one left ragged."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        print("  ".join([cell.ljust(width) for cell, width in zip(row, widths, strict=False)] + [row[-1]]).rstrip())


if __name__ == "__main__":
    sys.exit(main())
