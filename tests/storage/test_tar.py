"""Files inside tar archives, as DataChain's tar example reads them: `gen(file=process_tar)` lists the members,
each member is read in place from its archive (on every store), `TarVFile` reads one back by its location."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from PIL import Image

import dagster_datachain as dc
from dagster_datachain.storage.tar import process_tar

MEMBERS = {"a.txt": b"alpha", "sub/b.txt": b"beta beta", "sub/c.bin": bytes(range(256)) * 9}


def tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        folder = tarfile.TarInfo("sub")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)  # a folder entry: not a file, so not a row
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def read_member(file: dc.File) -> bytes:
    return file.read()


def test_members_of_archives_on_every_store(bucket):
    bucket.put({"shards/one.tar": tar_bytes(MEMBERS), "shards/two.tar": tar_bytes({"z.txt": b"zed"})})
    chain = bucket.read("shards/*.tar").gen(file=process_tar).map(data=read_member)
    rows = {f.path.removeprefix("shards/"): (f.size, d) for f, d in chain.to_list("file", "data")}
    expected = {f"one.tar/{name}": (len(data), data) for name, data in MEMBERS.items()}
    assert rows == {**expected, "two.tar/z.txt": (3, b"zed")}  # (a local listing's paths start below shards/)
    (member,) = chain.filter(dc.C("file.path").glob("*one.tar/sub/b.txt")).to_values("file")
    assert member.location[0]["vtype"] == "tar" and member.location[0]["size"] == 9  # DataChain 0.62's location
    assert member.read_text() == "beta beta" and member.name == "b.txt"
    with member.open() as stream:  # seekable, within the member only
        stream.seek(5)
        assert stream.read() == b"beta" and stream.tell() == 9


def test_tar_vfile_reader(tmp_path, memory):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "one.tar").write_bytes(tar_bytes(MEMBERS))
    files = dc.read_storage(str(tmp_path / "data")).gen(file=process_tar).to_values("file")
    member = next(f for f in files if f.path == "one.tar/a.txt")
    assert dc.TarVFile.get_vtype() == "tar"  # DataChain 0.62
    assert dc.TarVFile.parent(member, member.location).path == "one.tar"  # DataChain 0.62
    with dc.TarVFile.open(member, member.location) as stream:
        assert stream.read() == b"alpha"  # DataChain 0.62
    assert member.etag and member.etag != next(f for f in files if f.path == "one.tar/sub/b.txt").etag


def image_size(file: dc.ImageFile) -> dc.Image:
    return file.get_info()


def test_image_member_as_image_file(tmp_path, memory):
    picture = io.BytesIO()
    Image.new("RGB", (21, 13), (1, 2, 3)).save(picture, "PNG")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pics.tar").write_bytes(tar_bytes({"p.png": picture.getvalue()}))

    def members(file: dc.File):  # noqa: ANN202 - the annotation is the output type below
        for member in process_tar(file):
            yield member.as_image_file()

    chain = dc.read_storage(str(tmp_path / "data")).gen(file=members, output=dc.ImageFile).map(info=image_size)
    assert chain.to_values("info") == [dc.Image(width=21, height=13, format="PNG")]
    (image,) = chain.to_values("file")
    assert isinstance(image, dc.ImageFile) and image.read().size == (21, 13)


def test_compressed_archive_is_refused(tmp_path, memory):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "z.tar.gz").write_bytes(tar_bytes(MEMBERS, mode="w:gz"))
    (archive,) = dc.read_storage(str(tmp_path / "data")).to_values("file")
    with pytest.raises(dc.FileError, match="not an uncompressed tar archive"):
        list(process_tar(archive))


def test_audio_member(tmp_path, memory):
    pytest.importorskip("soundfile", reason="audio needs the optional 'soundfile' package")
    from tests.storage.test_media import RATE, write_wav

    write_wav(tmp_path / "s.wav")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sounds.tar").write_bytes(tar_bytes({"s.wav": (tmp_path / "s.wav").read_bytes()}))
    (member,) = dc.read_storage(str(tmp_path / "data")).gen(file=process_tar).to_values("file")
    info = member.as_audio_file().get_info()
    assert (info.sample_rate, info.samples) == (RATE, 20_000)


def test_missing_archive_member_location(tmp_path):
    orphan = dc.File(source=Path(tmp_path).as_uri(), path="x.tar/a", location=[{"vtype": "zip"}])
    with pytest.raises(dc.FileError, match="no reader for virtual files of vtype 'zip'"):
        orphan.read()
