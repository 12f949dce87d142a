"""Audio and video files as DataChain scripts use them: metadata, fragments, frames, saved parts. The media are
made here (a WAV with the standard library's `wave`, an MP4 with PyAV), so every expected value is known."""

from __future__ import annotations

import io
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import dagster_datachain as dc

RATE, SECONDS = 8000, 2.5


def write_wav(path: Path, channels: int = 2) -> None:
    """A 16-bit WAV whose left channel counts up sample by sample (so a fragment's first value tells its start)."""
    frames = int(RATE * SECONDS)
    left = np.arange(frames, dtype=np.int16) % 1000
    samples = np.stack([left, -left], axis=1)[:, :channels]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())


def write_mp4(path: Path, frames: int = 20, fps: int = 10) -> None:
    """A 32x24 video whose frame n is a flat grey of 10 * n."""
    av = pytest.importorskip("av", reason="video needs the optional 'av' package")
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
        for n in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((24, 32, 3), 10 * n, dtype=np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    pytest.importorskip("soundfile", reason="audio needs the optional 'soundfile' package")
    folder = tmp_path / "sounds"
    folder.mkdir()
    write_wav(folder / "stereo.wav")
    write_wav(folder / "mono.wav", channels=1)
    return folder


@pytest.fixture
def videos(tmp_path: Path) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    write_mp4(folder / "clip.mp4")
    return folder


# ----------------------------------------------------------------------------- audio


def audio_info(file: dc.AudioFile) -> dc.Audio:
    return file.get_info()


def test_audio_info_in_a_chain(sounds, memory):
    chain = dc.read_storage(str(sounds), type="audio").map(info=audio_info)
    infos = dict(chain.order_by("file.path").to_list("file.path", "info"))
    assert infos["stereo.wav"] == dc.Audio(sample_rate=RATE, channels=2, duration=SECONDS, samples=20_000,
                                           format="wav", codec="PCM_16", bit_rate=16 * RATE * 2)
    assert infos["mono.wav"].channels == 1 and infos["mono.wav"].bit_rate == 16 * RATE
    assert chain.schema["file"] is dc.AudioFile and chain.schema["info"] is dc.Audio
    assert [dc.Audio.get_channel_name(2, i) for i in range(2)] == ["Left", "Right"]  # DataChain 0.62
    assert (dc.Audio.get_channel_name(6, 3), dc.Audio.get_channel_name(3, 2)) == ("LFE", "Ch3")  # DataChain 0.62


def fragments(file: dc.AudioFile) -> Iterator[dc.AudioFragment]:
    yield from file.get_fragments(duration=1.0)


def first_sample(part: dc.AudioFragment) -> float:
    samples, rate = part.get_np()
    assert rate == RATE and samples.dtype == np.float32
    return float(samples[0][0] if samples.ndim == 2 else samples[0])


def test_audio_fragments(sounds, memory):
    chain = dc.read_storage(str(sounds / "stereo.wav"), type="audio").gen(part=fragments)
    parts = chain.order_by("part.start").map(first=first_sample)
    rows = parts.to_list("part.start", "part.end", "first")
    assert [(s, e) for s, e, _ in rows] == [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5)]
    # sample n of the left channel is n % 1000 (as a 16-bit value), so each fragment starts where it should
    assert [round(f * 32768) for _, _, f in rows] == [0, RATE % 1000, (2 * RATE) % 1000]
    (last,) = parts.filter(dc.C("part.start") == 2.0).to_values("part")
    samples, _ = last.get_np()
    assert samples.shape == (RATE // 2, 2)
    with wave.open(io.BytesIO(last.read_bytes("wav"))) as decoded:
        assert (decoded.getnframes(), decoded.getnchannels(), decoded.getframerate()) == (RATE // 2, 2, RATE)


def test_audio_save(sounds, tmp_path, memory):
    (file,) = dc.read_storage(str(sounds / "stereo.wav"), type="audio").to_values("file")
    out = tmp_path / "out"
    whole = file.save(str(out), format="flac")
    part = file.save(str(out), format="wav", start=1, end=2)
    tail = file.get_fragment(2.0, 2.5).save(str(out))
    assert [f.name for f in (whole, part, tail)] == ["stereo.flac", "stereo_001000_002000.wav",
                                                     "stereo_002000_002500.wav"]  # DataChain 0.62's names
    assert isinstance(whole, dc.AudioFile) and whole.get_info().format == "flac"
    assert whole.get_info().samples == 20_000 and part.get_info().samples == RATE
    assert file.save(str(out), start=2.0).name == "stereo_002000_end.wav"
    with pytest.raises(ValueError, match="invalid time range"):
        file.get_fragment(2.0, 1.0)


def test_audio_errors(sounds, memory, monkeypatch):
    (sounds / "noise.wav").write_bytes(b"not audio at all")
    broken = dc.AudioFile(source=sounds.as_uri(), path="noise.wav")
    with pytest.raises(dc.FileError, match="unable to extract metadata from audio file"):  # DataChain 0.62
        broken.get_info()
    monkeypatch.setitem(sys.modules, "soundfile", None)
    with pytest.raises(ImportError, match=r"pip install 'dagster_datachain\[audio\]'"):
        dc.AudioFile(source=sounds.as_uri(), path="mono.wav").get_info()


# ----------------------------------------------------------------------------- video


def video_info(file: dc.VideoFile) -> dc.Video:
    return file.get_info()


def every_fifth(file: dc.VideoFile) -> Iterator[dc.VideoFrame]:
    yield from file.get_frames(step=5)


def grey(frame: dc.VideoFrame) -> int:
    return round(float(frame.get_np().mean()))


def test_video_info_and_frames(videos, memory):
    chain = dc.read_storage(str(videos), type="video")
    (info,) = chain.map(info=video_info).to_values("info")
    assert info == dc.Video(width=32, height=24, fps=10.0, duration=2.0, frames=20,
                            format="mov,mp4,m4a,3gp,3g2,mj2", codec="mpeg4")
    frames = chain.gen(frame=every_fifth).map(grey=grey).order_by("frame.frame")
    rows = frames.to_list("frame.frame", "frame.timestamp", "grey")
    assert [(n, t) for n, t, _ in rows] == [(0, 0.0), (5, 0.5), (10, 1.0), (15, 1.5)]
    assert all(abs(g - 10 * n) <= 3 for n, _, g in rows)  # lossy codec: within a few levels


def test_video_frame_and_fragment_save(videos, tmp_path, memory):
    (file,) = dc.read_storage(str(videos), type="video").to_values("file")
    frame = file.get_frame(7)
    assert (frame.frame, frame.timestamp) == (7, 0.7) and abs(float(frame.get_np().mean()) - 70) <= 3
    image = frame.save(str(tmp_path / "frames"), format="png")
    assert isinstance(image, dc.ImageFile) and image.name == "clip_0007.png"  # DataChain 0.62's name
    assert image.get_info() == dc.Image(width=32, height=24, format="PNG")
    assert frame.read_bytes()[:2] == b"\xff\xd8"  # jpg by default
    fragments = list(file.get_fragments(duration=0.8))
    assert [(f.start, f.end) for f in fragments] == [(0.0, 0.8), (0.8, 1.6), (1.6, 2.0)]
    saved = fragments[1].save(str(tmp_path / "clips"))
    assert isinstance(saved, dc.VideoFile) and saved.name.startswith("clip_") and saved.name.endswith(
        "_000800_001600.mp4")
    assert saved.get_info().frames == 8 and abs(float(saved.get_frame(0).get_np().mean()) - 80) <= 3


def test_video_errors(videos, memory, monkeypatch):
    (file,) = dc.read_storage(str(videos), type="video").to_values("file")
    with pytest.raises(dc.FileError, match="video_stream_index 1 is out of range"):
        file.get_info(video_stream_index=1)
    with pytest.raises(ValueError, match="frame must be a non-negative integer"):
        file.get_frame(-1)
    (videos / "bad.mp4").write_bytes(b"no video here")
    with pytest.raises(dc.FileError, match="unable to extract metadata from video file"):  # DataChain 0.62
        dc.VideoFile(source=videos.as_uri(), path="bad.mp4").get_info()
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ImportError, match=r"pip install 'dagster_datachain\[video\]'"):
        dc.VideoFile(source=videos.as_uri(), path="clip.mp4").get_info()
