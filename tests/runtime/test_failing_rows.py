"""Rows a UDF fails on: fail fast naming the file (default), or skip and record them; a re-run after fixing a file
reuses every row whose input did not change; a file deleted after listing reads as "not found"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import dagster_datachain as dc

CORRUPT = (3, 17, 29, 41, 58)


def make_images(folder: Path, count: int = 60) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        path = folder / f"img{i:03d}.png"
        if i in CORRUPT:
            path.write_bytes(b"not an image")
        else:
            Image.new("RGB", (i + 1, 2)).save(path)


def counting_width(log: Path):
    def width(file: dc.ImageFile) -> int:
        with open(log, "a") as out:
            out.write(file.path + "\n")
        return file.read().width

    return width


@pytest.mark.parametrize("parallel", [None, 2])
def test_fixing_bad_files_one_by_one_recomputes_only_what_changed(memory, tmp_path, parallel):
    make_images(tmp_path / "in")
    log = tmp_path / "calls.log"
    width = counting_width(log)
    failures = []
    for _ in range(len(CORRUPT) + 1):
        chain = (dc.read_storage(str(tmp_path / "in"), type="image", update=True)
                 .settings(batch_size=10, parallel=parallel))
        try:
            saved = chain.map(width=width).save("widths")
            break
        except dc.StorageError as error:  # fail fast, naming the file; the user fixes it and runs again
            assert "cannot decode image" in str(error)
            row = error.uri.rsplit("/", 1)[-1]
            assert error.__notes__[0].startswith(f"UDF 'width' failed on input row {row}: ")
            failures.append(row)
            Image.new("RGB", (int(row[3:6]) + 1, 2)).save(tmp_path / "in" / row)
    assert sorted(failures) == [f"img{i:03d}.png" for i in CORRUPT]
    assert sorted(saved.to_values("width")) == list(range(1, 61))
    calls = len(log.read_text().split())
    if parallel is None:
        assert calls == 60 + len(CORRUPT)  # each file once, plus each failed attempt
    else:  # a failure also stops the other worker, losing at most its batch in flight (10 rows)
        assert calls <= 60 + len(CORRUPT) * (1 + 10)


def test_fail_fast_names_the_file(memory, tmp_path):
    make_images(tmp_path / "in", 5)
    chain = dc.read_storage(str(tmp_path / "in"), type="image").map(width=counting_width(tmp_path / "log"))
    with pytest.raises(dc.StorageError, match=r"UDF 'width' failed on input row img003\.png.*cannot decode image"):
        chain.save("widths")


def test_skipped_rows_are_left_out_and_recorded_in_an_errors_dataset(memory, tmp_path):
    make_images(tmp_path / "in")
    chain = (dc.read_storage(str(tmp_path / "in"), type="image", delta=True)
             .settings(batch_size=10, on_error="skip").map(width=counting_width(tmp_path / "log")))
    saved = chain.save("widths")
    assert saved.count() == 60 - len(CORRUPT)
    errors = dc.read_dataset("widths__errors")
    assert sorted(errors.to_values("row")) == [f"img{i:03d}.png" for i in CORRUPT]
    assert all("cannot decode image" in e and "width" in e for e in errors.to_values("error"))
    assert set(errors.to_values("udf")) == {"width"}

    for i in CORRUPT:
        Image.new("RGB", (i + 1, 2)).save(tmp_path / "in" / f"img{i:03d}.png")
    fixed = (dc.read_storage(str(tmp_path / "in"), type="image", update=True, delta=True)
             .settings(batch_size=10, on_error="skip").map(width=counting_width(tmp_path / "log")).save("widths"))
    assert sorted(fixed.to_values("width")) == list(range(1, 61))
    assert dc.read_dataset("widths__errors").count() == 0  # the latest errors version says: none failed
    assert len((tmp_path / "log").read_text().split()) == 60 + len(CORRUPT)  # delta: only the fixed files ran


def test_skipping_in_parallel_workers(memory, tmp_path):
    make_images(tmp_path / "in")
    saved = (dc.read_storage(str(tmp_path / "in"), type="image").settings(batch_size=10, parallel=2, on_error="skip")
             .map(width=counting_width(tmp_path / "log")).save("widths"))
    assert saved.count() == 60 - len(CORRUPT)
    assert sorted(dc.read_dataset("widths__errors").to_values("row")) == [f"img{i:03d}.png" for i in CORRUPT]


def test_a_file_deleted_after_listing_reads_as_not_found(memory, tmp_path):
    make_images(tmp_path / "in", 5)
    (tmp_path / "in" / "img003.png").write_bytes((tmp_path / "in" / "img002.png").read_bytes())
    chain = dc.read_storage(str(tmp_path / "in"), type="image")
    assert chain.count() == 5  # listed
    (tmp_path / "in" / "img003.png").unlink()
    with pytest.raises(dc.StorageError, match=r"img003\.png.*not found") as error:
        chain.map(width=counting_width(tmp_path / "log")).save("widths")
    assert "decode" not in str(error.value)
