"""`cp` never writes outside its destination, whatever the object keys say (`data/../../../escaped.txt`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dagster_datachain as dc
from dagster_datachain.storage.paths import join_inside
from tests.storage.conftest import new_bucket
from tests.storage_servers import StorageServer

from .test_cli import run


def options(server: StorageServer) -> list[str]:
    return [arg for key, value in server.storage_options.items() for arg in ("-o", f"{key}={value}")]


def test_cp_refuses_object_keys_that_climb_out_of_the_destination(s3_server: StorageServer, tmp_path: Path) -> None:
    bucket = new_bucket(s3_server)
    bucket.put({"data/ok.txt": b"ok", "data/../../../escaped.txt": b"bad"})
    dst = tmp_path / "a" / "b" / "dst"  # ../../../ from dst/ lands in tmp_path
    result = run(*options(s3_server), "cp", "-r", bucket.uri("data/"), f"{dst}/")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert bucket.uri("data/../../../escaped.txt") in error and "leaves its destination" in error
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [] and not Path("/escaped.txt").exists()  # refused before anything was copied

    bucket.rm("data/../../../escaped.txt")
    assert "Copied 1 files" in run(*options(s3_server), "cp", "-r", bucket.uri("data/"), f"{dst}/").stdout
    assert (dst / "ok.txt").read_bytes() == b"ok"


def test_cp_refuses_a_symlinked_folder_inside_the_destination(tmp_path: Path) -> None:
    src, dst, outside = tmp_path / "src", tmp_path / "dst", tmp_path / "outside"
    (src / "link").mkdir(parents=True)
    (src / "link" / "x.txt").write_text("x")
    outside.mkdir()
    dst.mkdir()
    (dst / "link").symlink_to(outside)
    result = run("cp", "-r", str(src), str(dst))
    assert result.returncode == 1 and "leaves its destination" in result.stderr
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", ".."])
def test_join_inside_refuses_paths_that_escape(path: str, tmp_path: Path) -> None:
    with pytest.raises(dc.StorageError, match="leaves its destination"):
        join_inside(str(tmp_path), path, local=True)
    with pytest.raises(dc.StorageError, match="leaves its destination"):
        join_inside("bucket/out", path, local=False)
    assert join_inside(str(tmp_path), "a/b.txt", local=True) == str(tmp_path.resolve() / "a" / "b.txt")
