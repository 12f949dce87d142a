"""Every command of the command line, run as a subprocess against real files and a real Data Memory."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import pytest

from dagster_datachain.cli import build_parser, main

from ..kb.pets import build_pets


def run(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess[str]:
    """`dagster-datachain ARGS` in a fresh process (the Data Memory comes from DATACHAIN_ROOT_DIR or --root)."""
    return subprocess.run([sys.executable, "-m", "dagster_datachain.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=120, check=False)


def ok(*args: str, **kwargs) -> str:
    result = run(*args, **kwargs)
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(*args: str, code: int = 1) -> str:
    """The one-line error of a failing command (no traceback)."""
    result = run(*args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture
def pets(memory, images):
    build_pets(images)
    return images


# ============================================================================ the program


def test_console_scripts_are_installed():
    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts["dagster-datachain"] == scripts["dcn"] == "dagster_datachain.cli:main"
    assert "usage: dagster-datachain" in ok("--help")


COMMANDS = [["ls"], ["du"], ["cp"], ["datasets"], ["show"], ["schema"], ["rm"], ["diff"], ["query"], ["run"],
            ["kb", "build"], ["skill", "install"], ["skill", "list"], ["skill", "uninstall"], ["gc"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: dagster-datachain {' '.join(command)}")


def test_usage_errors_exit_2():
    assert "required" in fails(code=2)
    assert "invalid choice" in fails("skill", "install", "--target", "vim", code=2)
    assert "COLUMN OP VALUE" in fails("query", "pets_images", "--where", "info.width >", code=2)


# ============================================================================ storage


def test_ls_and_du_show_sizes_dates_and_totals(images):
    listing = ok("ls", str(images.root))
    assert [line.split()[-1] for line in listing.splitlines()] == ["cats/", "dogs/"]
    files = ok("ls", str(images.root / "dogs" / "shiba_inu"), "--anon").splitlines()
    assert [line.split()[-1] for line in files] == [f"shiba_inu_{i}.jpg" for i in range(4)]
    assert all(" B  " in line and " UTC  " in line for line in files)
    assert ok("ls", f"{images.root}/dogs/*/*_1.jpg").split()[-1] == "shiba_inu_1.jpg"
    total = sum(p.stat().st_size for p in images.root.rglob("*.jpg"))
    assert ok("du", str(images.root)).split("\t")[1] == "12 files"
    assert f"{total:,} bytes" in run("du", images.root.as_uri()).stderr  # the listing's own log line
    assert "not found" in fails("ls", str(images.root / "missing"))


def test_cp_copies_a_file_or_a_whole_prefix(images, tmp_path):
    out = tmp_path / "out"
    assert "Copied 1 files" in ok("cp", str(images.root / "cats/abyssinian/abyssinian_0.jpg"), f"{out}/")
    assert (out / "abyssinian_0.jpg").read_bytes() == (images.root / "cats/abyssinian/abyssinian_0.jpg").read_bytes()
    assert "Copied 12 files" in ok("cp", "-r", images.root.as_uri(), str(out / "all"))
    copied = sorted(p.relative_to(out / "all").as_posix() for p in (out / "all").rglob("*.jpg"))
    assert copied == sorted(images.sizes)
    assert "add -r" in fails("cp", str(images.root), str(out / "again"))
    assert "not found" in fails("cp", str(images.root / "nope.jpg"), str(out))


# ============================================================================ datasets


def test_datasets_show_schema(pets):
    table = ok("datasets").splitlines()
    assert table[0].split() == ["NAME", "LATEST", "ROWS", "UPDATED", "VERSIONS"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert sorted(rows) == ["labels", "numbers", "pets_area", "pets_images"]
    assert rows["pets_images"].split()[1:3] == ["1.0.2", "12"]
    assert rows["pets_images"].endswith("1.0.0, 1.0.1, 1.0.2")

    shown = ok("show", "pets_images@1.0.1", "--limit", "3")
    assert "[Limited by 3 rows]" in shown and "cats/abyssinian/abyssinian_0.jpg" in shown
    assert len([line for line in shown.splitlines() if line[:1].isdigit()]) == 3

    schema = ok("schema", "pets_area")
    assert "info: ImageInfo\n  width: int\n  height: int\narea: int" in schema
    assert "not found" in fails("show", "nope")
    assert "has no version 9.9.9" in fails("schema", "pets_area@9.9.9")


def test_diff_counts_and_lists_added_removed_changed_rows(pets):
    out = ok("diff", "pets_images@1.0.1", "pets_images@1.0.2").splitlines()
    assert out[0] == "pets_images@1.0.1 -> pets_images@1.0.2: 0 added, 1 changed, 1 removed"
    assert [line[:1] for line in out[1:]] == ["~", "-"]
    assert '"width":333' in out[1] and "cocker_spaniel_3.jpg" in out[2]
    assert ok("diff", "pets_images@1.0.0", "pets_images@1.0.1", "--limit", "0").startswith(
        "pets_images@1.0.0 -> pets_images@1.0.1: 1 added, 0 changed, 0 removed")


def test_rm_deletes_a_version_or_a_dataset(pets):
    assert ok("rm", "pets_images@1.0.0").strip() == "Deleted 1 version(s) of pets_images"
    assert ok("rm", "pets_area").strip() == "Deleted 1 version(s) of pets_area"
    assert "pets_area" not in ok("datasets")
    assert "not found" in fails("rm", "pets_area")
    assert "invalid dataset name" in fails("rm", "../x")


# ============================================================================ query


def test_query_filters_without_code(pets):
    out = ok("query", "pets_images", "--where", "info.width>100 and file.path like '%dogs%'",
             "--select", "file.path", "info.width", "--order-by", "info.width", "--desc")
    paths = [line.split()[1] for line in out.splitlines()[1:]]
    assert paths[0] == "dogs/shiba_inu/shiba_inu_0.jpg"  # 333 pixels wide since 1.0.2
    wide = {p for p, (width, _) in pets.sizes.items() if p.startswith("dogs/") and width > 100}
    assert set(paths) == wide - {"dogs/cocker_spaniel/cocker_spaniel_3.jpg"} | {"dogs/shiba_inu/shiba_inu_0.jpg"}
    assert "unknown column 'info.depth'" in fails("query", "pets_images", "--where", "info.depth > 3")


def test_run_runs_a_script_against_the_data_memory(pets, tmp_path):
    script = tmp_path / "stage.py"
    script.write_text("import sys\nimport dagster_datachain as dc\n\n"
                      "dc.read_dataset('numbers').filter(dc.C('n') > int(sys.argv[1])).save('big_numbers')\n"
                      "print('saved', dc.read_dataset('big_numbers').to_values('n'))\n")
    assert ok("run", str(script), "--", "1").strip() == "saved [2, 3]"
    assert "big_numbers" in ok("datasets")
    script.write_text("raise ValueError('my bug')\n")
    result = run("run", str(script))
    assert result.returncode == 1 and "ValueError: my bug" in result.stderr  # the user's bug keeps its traceback


# ============================================================================ kb, skill, gc, --root


def test_kb_build_writes_the_knowledge_base(pets, tmp_path):
    kb = tmp_path / "kb"
    assert ok("kb", "build", "--path", str(kb)).strip() == f"{kb}: 6 pages written, 0 unchanged, 0 removed"
    assert "[[pets_images]]" in (kb / "index.md").read_text()
    assert ok("kb", "build", "--path", str(kb), "--dataset", "numbers").strip().endswith("0 pages written, "
                                                                                       "2 unchanged, 0 removed")


def test_skill_install_list_uninstall(tmp_path):
    env = {"HOME": str(tmp_path / "home")}
    project = tmp_path / "project"
    project.mkdir()
    out = ok("skill", "install", "--target", "claude", "--local", cwd=project, env=env)
    assert out.strip().endswith(str(project / ".claude/skills/datachain/SKILL.md"))
    ok("skill", "install", "--target", "codex", cwd=project, env=env)
    status = {tuple(line.split()[:3]) for line in ok("skill", "list", cwd=project, env=env).splitlines()[1:]}
    assert {("claude", "project", "installed"), ("codex", "user", "installed"), ("cursor", "project", "-")} <= status
    assert "Removed the claude skill" in ok("skill", "uninstall", "--target", "claude", "--local", cwd=project, env=env)
    assert not (project / ".claude").exists()
    assert "only from a project" in fails("skill", "install", "--target", "cursor")


def test_gc_and_the_root_option(pets, tmp_path):
    assert ok("gc", "--older-than", "24").strip() == "Removed 0 checkpoint(s) and 0 orphan table(s)"
    other = tmp_path / "other-memory"
    assert fails("--root", str(other), "datasets") == (
        f"dagster-datachain: error: no Data Memory at {other} (--root); nothing was created: save a dataset first, "
        "or point --root or $DATACHAIN_ROOT_DIR at a Data Memory")
    assert not other.exists()
    assert "pets_images" in ok("--root", os.environ["DATACHAIN_ROOT_DIR"], "datasets", env={"DATACHAIN_ROOT_DIR": ""})


def test_parser_knows_every_command():
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert sorted(commands) == sorted({c[0] for c in COMMANDS})
