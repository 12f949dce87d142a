"""Media files and their metadata: `Image`, `Audio`, `Video` (what `get_info()` tells), `AudioFile` and
`VideoFile` (files with ways to read samples and frames), and the parts of them a UDF can yield (`AudioFragment`,
`VideoFragment`, `VideoFrame`). Field names and defaults are DataChain's; -1 / "" mean "unknown".

Decoding needs optional packages: audio `soundfile` (`pip install 'dagster_datachain[audio]'`), video `av`
(`pip install 'dagster_datachain[video]'`). The models themselves need neither, so a chain can store them anyway.

Example:
    >>> def clips(file: VideoFile) -> Iterator[VideoFragment]:
    ...     yield from file.get_fragments(duration=10.0)
    >>> read_storage("videos/*.mp4", type="video").gen(clip=clips)
"""

from __future__ import annotations

import hashlib
import importlib
import io
import math
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field, PrivateAttr

from ..errors import FileError
from .file import File, ImageFile, TextFile
from .filesystem import filesystem_for, parse_uri

_EXTRAS = {"soundfile": "audio", "av": "video"}
_F = TypeVar("_F", bound=File)


def _require(module: str) -> ModuleType:
    """The optional package `module`, or an ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"reading {_EXTRAS[module]} needs the '{module}' package: "
                          f"pip install 'dagster_datachain[{_EXTRAS[module]}]'") from exc


# ----------------------------------------------------------------------------- metadata models


class Image(BaseModel):
    """What an image file's header says: size in pixels and the format (`PNG`, `JPEG`)."""

    _schema_display: ClassVar[str] = "Image@v1"
    _version: ClassVar[int] = 1

    width: int = Field(default=-1)
    height: int = Field(default=-1)
    format: str = Field(default="")


class Audio(BaseModel):
    """What an audio file's header says. `samples` counts frames (one sample per channel); `codec` is the
    sample encoding (`PCM_16`, `FLOAT`, ...); `bit_rate` is known for uncompressed encodings only."""

    _schema_display: ClassVar[str] = "Audio@v1"
    _version: ClassVar[int] = 1

    sample_rate: int = Field(default=-1)
    channels: int = Field(default=-1)
    duration: float = Field(default=-1.0)
    samples: int = Field(default=-1)
    format: str = Field(default="")
    codec: str = Field(default="")
    bit_rate: int = Field(default=-1)

    @staticmethod
    def get_channel_name(num_channels: int, channel_idx: int) -> str:
        """A readable name of a channel for the usual layouts (`Left`, `FC`, ...), else `Ch<n>` (1-based)."""
        names = _CHANNEL_NAMES.get(num_channels, ())
        return names[channel_idx] if 0 <= channel_idx < len(names) else f"Ch{channel_idx + 1}"


_SURROUND = ("FL", "FR", "FC", "LFE", "BL", "BR")
_CHANNEL_NAMES: dict[int, tuple[str, ...]] = {
    1: ("Mono",), 2: ("Left", "Right"), 4: ("W", "X", "Y", "Z"), 6: _SURROUND, 8: (*_SURROUND, "SL", "SR")}


class Video(BaseModel):
    """What a video stream says: size in pixels, frames per second, duration in seconds, frame count, the
    container format (FFmpeg's name) and the codec."""

    _schema_display: ClassVar[str] = "Video@v1"
    _version: ClassVar[int] = 1

    width: int = Field(default=-1)
    height: int = Field(default=-1)
    fps: float = Field(default=-1.0)
    duration: float = Field(default=-1.0)
    frames: int = Field(default=-1)
    format: str = Field(default="")
    codec: str = Field(default="")


# ----------------------------------------------------------------------------- audio


class AudioFile(File):
    """An audio file (any format libsndfile reads: wav, flac, ogg, mp3, ...)."""

    _schema_display: ClassVar[str] = "AudioFile@v1"

    def get_info(self) -> Audio:
        """Sample rate, channels, duration and encoding, read from the header."""
        soundfile = _require("soundfile")
        try:
            with self.open() as stream:
                info = soundfile.info(stream)
        except Exception as exc:  # libsndfile's or the storage's errors: not a readable audio file
            raise FileError("unable to extract metadata from audio file", self.source, self.path) from exc
        bits = _bits_per_sample(info.subtype or "")
        return Audio(sample_rate=int(info.samplerate), channels=int(info.channels), duration=float(info.duration),
                     samples=int(info.frames), format=(info.format or self.get_file_ext() or "unknown").lower(),
                     codec=info.subtype or "",
                     bit_rate=bits * int(info.samplerate) * int(info.channels) if bits else -1)

    def get_fragment(self, start: float, end: float) -> AudioFragment:
        """The part from `start` to `end` seconds (nothing is read until it is used)."""
        _check_range(self, "audio fragment", start, end)
        return AudioFragment(audio=self, start=start, end=end)

    def get_fragments(self, duration: float, start: float = 0, end: float | None = None) -> Iterator[AudioFragment]:
        """Consecutive fragments of `duration` seconds from `start` to `end` (default: the end of the file)."""
        for first, last in _spans(duration, start, end, lambda: self.get_info().duration):
            yield self.get_fragment(first, last)

    def save(self, destination: str | Path, format: str | None = None, start: float = 0,  # type: ignore[override]
             end: float | None = None, client_config: dict[str, Any] | None = None) -> AudioFile:
        """Write the file (or the part from `start` to `end`) in `format` (default: its own extension) into the
        folder `destination` (local or a storage URI); the written file, named after this one and the times."""
        return _save_audio(self, destination, format, start, end, client_config)


class AudioFragment(BaseModel):
    """Seconds `start` to `end` of an audio file."""

    _schema_display: ClassVar[str] = "AudioFragment@v1"
    _version: ClassVar[int] = 1

    audio: AudioFile
    start: float
    end: float

    def get_np(self) -> tuple[Any, int]:
        """The samples as a float32 NumPy array (`(samples,)` for mono, `(samples, channels)` else) and the rate."""
        return _samples(self.audio, self.start, self.end - self.start)

    def read_bytes(self, format: str = "wav") -> bytes:
        """The fragment encoded as an audio file of `format`."""
        return _encode_audio(self.audio, format, self.start, self.end - self.start)

    def save(self, destination: str | Path, format: str | None = None,
             client_config: dict[str, Any] | None = None) -> AudioFile:
        """Write the fragment into the folder `destination`; the written file."""
        return _save_audio(self.audio, destination, format, self.start, self.end, client_config)


def _bits_per_sample(subtype: str) -> int:
    """Bits of one sample of an uncompressed encoding (`PCM_24` -> 24, `FLOAT` -> 32), else 0."""
    if subtype in ("FLOAT", "DOUBLE"):
        return 32 if subtype == "FLOAT" else 64
    match = re.fullmatch(r"PCM_[A-Z]*(\d+)[A-Z]*", subtype)
    return int(match.group(1)) if match else 0


def _samples(audio: AudioFile, start: float, duration: float | None) -> tuple[Any, int]:
    if start < 0:
        raise ValueError("start must be a non-negative float")
    if duration is not None and duration <= 0:
        raise ValueError("duration must be a positive float")
    soundfile = _require("soundfile")
    try:
        with audio.open() as stream, soundfile.SoundFile(stream) as sound:
            rate = int(sound.samplerate)
            sound.seek(min(int(start * rate), sound.frames))
            count = -1 if duration is None else int(duration * rate)
            return sound.read(frames=count, dtype="float32", always_2d=False), rate
    except Exception as exc:  # libsndfile's or the storage's errors
        raise FileError("unable to read audio fragment", audio.source, audio.path) from exc


def _encode_audio(audio: AudioFile, format: str, start: float, duration: float | None) -> bytes:
    soundfile = _require("soundfile")
    samples, rate = _samples(audio, start, duration)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=format)
    return buffer.getvalue()


def _save_audio(audio: AudioFile, destination: str | Path, format: str | None, start: float, end: float | None,
                client_config: dict[str, Any] | None) -> AudioFile:
    format = format or audio.get_file_ext()
    if start < 0:
        raise ValueError(f"Can't save audio for '{audio.path}', start time must be non-negative: {start:.3f}")
    if end is not None:
        _check_range(audio, "audio", start, end, verb="save")
    if end is None and start == 0:
        name = f"{audio.get_file_stem()}.{format}"
    else:
        until = "end" if end is None else f"{int(end * 1000):06d}"
        name = f"{audio.get_file_stem()}_{int(start * 1000):06d}_{until}.{format}"
    try:
        data = _encode_audio(audio, format, start, None if end is None else end - start)
    except (FileError, ValueError):
        raise
    except Exception as exc:  # libsndfile cannot write this format
        raise FileError(f"unable to save audio as {format}", audio.source, audio.path) from exc
    return _write(destination, name, data, AudioFile, client_config)


# ----------------------------------------------------------------------------- video


class VideoFile(File):
    """A video file (any container and codec FFmpeg decodes). `video_stream_index` counts video streams only."""

    _schema_display: ClassVar[str] = "VideoFile@v1"
    _infos: dict[int, Video] = PrivateAttr(default_factory=dict)

    def get_info(self, video_stream_index: int = 0) -> Video:
        """Size, frame rate, duration, frame count, format and codec of a video stream (read once per file)."""
        if video_stream_index not in self._infos:
            self._infos[video_stream_index] = _video_info(self, video_stream_index)
        return self._infos[video_stream_index]

    def get_frame(self, frame: int, video_stream_index: int = 0) -> VideoFrame:
        """Frame number `frame` (not decoded until its pixels are asked for); the timestamp is frame / fps."""
        if frame < 0:
            raise ValueError("frame must be a non-negative integer")
        fps = self.get_info(video_stream_index).fps
        return VideoFrame(video=self, frame=frame, video_stream_index=video_stream_index,
                          timestamp=frame / fps if fps > 0 else -1.0)

    def get_frames(self, start: int = 0, end: int | None = None, step: int = 1,
                   video_stream_index: int = 0) -> Iterator[VideoFrame]:
        """Frames `start`, `start + step`, ... before `end` (default: the last frame), decoded in one pass."""
        if start < 0:
            raise ValueError("start_frame must be a non-negative integer.")
        if step < 1:
            raise ValueError("step must be a positive integer.")
        if end is None:
            end = self.get_info(video_stream_index).frames
        if end < 0:
            raise ValueError("end_frame must be a non-negative integer.")
        if start > end:
            raise ValueError("start_frame must be less than or equal to end_frame.")
        for index, decoded, timestamp in _decode(self, video_stream_index, until=end):
            if index >= start and (index - start) % step == 0:
                frame = VideoFrame(video=self, frame=index, video_stream_index=video_stream_index, timestamp=timestamp)
                frame._pixels = decoded.to_ndarray(format="rgb24")
                yield frame

    def get_fragment(self, start: float, end: float) -> VideoFragment:
        """The part from `start` to `end` seconds (nothing is read until it is saved)."""
        _check_range(self, "video fragment", start, end)
        return VideoFragment(video=self, start=start, end=end)

    def get_fragments(self, duration: float, start: float = 0, end: float | None = None) -> Iterator[VideoFragment]:
        """Consecutive fragments of `duration` seconds from `start` to `end` (default: the end of the video)."""
        for first, last in _spans(duration, start, end, lambda: self.get_info().duration):
            yield self.get_fragment(first, last)


class VideoFrame(BaseModel):
    """One frame of a video: its number, the video stream and its time in seconds."""

    _schema_display: ClassVar[str] = "VideoFrame@v1"
    _version: ClassVar[int] = 1

    video: VideoFile
    frame: int
    video_stream_index: int = 0
    timestamp: float
    _pixels: Any = PrivateAttr(default=None)  # decoded RGB array, kept after the first decode; never pickled

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        return {**state, "__pydantic_private__": {**(state.get("__pydantic_private__") or {}), "_pixels": None}}

    def get_np(self) -> Any:
        """The frame as an RGB NumPy array of shape (height, width, 3)."""
        if self._pixels is None:
            for index, decoded, _ in _decode(self.video, self.video_stream_index, until=self.frame + 1):
                if index == self.frame:
                    self._pixels = decoded.to_ndarray(format="rgb24")
            if self._pixels is None:
                raise FileError("unable to read video frame", self.video.source, self.video.path)
        return self._pixels

    def read_bytes(self, format: str = "jpg") -> bytes:
        """The frame encoded as an image of `format` (`jpg`, `png`, ...)."""
        from PIL import Image as PILImage

        buffer = io.BytesIO()
        PILImage.fromarray(self.get_np()).save(buffer, format=_image_format(format))
        return buffer.getvalue()

    def save(self, destination: str | Path, format: str = "jpg",
             client_config: dict[str, Any] | None = None) -> ImageFile:
        """Write the frame as `<video stem>_<frame, 4 digits>.<format>` into the folder `destination`."""
        name = f"{self.video.get_file_stem()}_{self.frame:04d}.{format.removeprefix('.')}"
        return _write(destination, name, self.read_bytes(format), ImageFile, client_config)


class VideoFragment(BaseModel):
    """Seconds `start` to `end` of a video."""

    _schema_display: ClassVar[str] = "VideoFragment@v1"
    _version: ClassVar[int] = 1

    video: VideoFile
    start: float
    end: float

    def save(self, destination: str | Path, format: str | None = None, client_config: dict[str, Any] | None = None,
             timeout: float | None = None) -> VideoFile:
        """Re-encode the fragment's frames into a new video in the folder `destination`, named
        `<stem>_<hash of source/path>_<start ms>_<end ms>.<format>`. `timeout` is accepted for DataChain's
        signature (no ffmpeg process is started: frames are re-encoded in this process)."""
        video = self.video
        _check_range(video, "video fragment", self.start, self.end, verb="save")
        format = (format or video.get_file_ext()).removeprefix(".").lower()
        if not format:
            raise ValueError(f"Can't save video fragment for '{video.path}', "
                             "output format must be specified when source has no extension")
        digest = hashlib.sha256(f"{video.source}/{video.path}".encode()).hexdigest()[:16]
        name = (f"{video.get_file_stem()}_{digest}_{int(self.start * 1000):06d}_{int(self.end * 1000):06d}"
                f".{format}")
        return _write(destination, name, _encode_fragment(self, format), VideoFile, client_config)


def _video_info(file: VideoFile, index: int) -> Video:
    av = _require("av")
    if index < 0:
        raise ValueError("video_stream_index must be a non-negative integer")
    try:
        with file.open() as stream, av.open(stream) as container:
            video = _video_stream(container, index, file)
            fps = _fps(video)
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif video.duration is not None and video.time_base is not None:
                duration = float(video.duration * video.time_base)
            else:
                duration = -1.0
            frames = int(video.frames or 0)
            if frames <= 0 and duration > 0 and fps > 0:
                frames = math.ceil(duration * fps)
            return Video(width=int(video.codec_context.width or 0), height=int(video.codec_context.height or 0),
                         fps=fps, duration=float(duration), frames=frames, format=container.format.name or "",
                         codec=video.codec_context.name or "")
    except FileError:
        raise
    except Exception as exc:  # FFmpeg's or the storage's errors: not a readable video
        raise FileError("unable to extract metadata from video file", file.source, file.path) from exc


def _video_stream(container: Any, index: int, file: File) -> Any:
    streams = list(container.streams.video)
    if index >= len(streams):
        raise FileError(f"video_stream_index {index} is out of range ({len(streams)} video streams)",
                        file.source, file.path)
    return streams[index]


def _fps(video: Any) -> float:
    rate = video.average_rate or video.base_rate or video.guessed_rate
    return float(rate) if rate else -1.0


def _decode(file: VideoFile, index: int, *, until: int) -> Iterator[tuple[int, Any, float]]:
    """(frame number, decoded frame, seconds) of the frames before number `until`, from the first on."""
    av = _require("av")
    if index < 0:
        raise ValueError("video_stream_index must be a non-negative integer")
    try:
        with file.open() as stream, av.open(stream) as container:
            video = _video_stream(container, index, file)
            fps = _fps(video)
            for number, decoded in enumerate(container.decode(video)):
                if number >= until:
                    return
                yield number, decoded, _seconds(decoded, number, fps)
    except (FileError, GeneratorExit):
        raise
    except Exception as exc:  # FFmpeg's or the storage's errors
        raise FileError("unable to read video frames", file.source, file.path) from exc


def _seconds(decoded: Any, number: int, fps: float) -> float:
    if decoded.pts is not None and decoded.time_base is not None:
        return float(decoded.pts * decoded.time_base)
    if decoded.time is not None:
        return float(decoded.time)
    return number / fps if fps > 0 else -1.0


def _encode_fragment(fragment: VideoFragment, format: str) -> bytes:
    """The frames of the fragment's time range, re-encoded with the container format's default video codec."""
    av = _require("av")
    video = fragment.video
    buffer = io.BytesIO()
    try:
        with video.open() as stream, av.open(stream) as source, av.open(buffer, "w", format=format) as target:
            input_stream = _video_stream(source, 0, video)
            fps = _fps(input_stream)
            rate = round(fps) if fps > 0 else 25
            output = target.add_stream(target.default_video_codec, rate=rate)
            output.width, output.height = input_stream.codec_context.width, input_stream.codec_context.height
            output.pix_fmt = "yuv420p"
            written = 0
            for number, decoded in enumerate(source.decode(input_stream)):
                seconds = _seconds(decoded, number, fps)
                if seconds >= fragment.end:
                    break
                if seconds >= fragment.start:
                    frame = av.VideoFrame.from_ndarray(decoded.to_ndarray(format="rgb24"), format="rgb24")
                    frame.pts = written
                    written += 1
                    target.mux(output.encode(frame.reformat(format="yuv420p")))
            target.mux(output.encode(None))
    except (FileError, ValueError):
        raise
    except Exception as exc:  # FFmpeg's or the storage's errors
        raise FileError(f"unable to save video fragment as {format}", video.source, video.path) from exc
    if not written:
        raise FileError(f"no frames between {fragment.start:.3f}s and {fragment.end:.3f}s", video.source, video.path)
    return buffer.getvalue()


FILE_TYPES: dict[str, type[File]] = {"binary": File, "text": TextFile, "image": ImageFile, "video": VideoFile,
                                     "audio": AudioFile}
"""`read_storage(type=...)` -> the File class of its rows."""


# ----------------------------------------------------------------------------- shared


def _check_range(file: File, what: str, start: float, end: float, *, verb: str = "get") -> None:
    if start < 0 or end < 0 or start >= end:
        raise ValueError(f"Can't {verb} {what} for '{file.path}', invalid time range: ({start:.3f}, {end:.3f})")


def _spans(duration: float, start: float, end: float | None, length: Any) -> Iterator[tuple[float, float]]:
    """(start, end) pairs of consecutive spans of `duration` seconds; `length()` gives the end when not given."""
    if duration <= 0:
        raise ValueError("duration must be a positive float")
    if start < 0:
        raise ValueError("start must be a non-negative float")
    if end is None:
        end = float(length())
    if end < 0:
        raise ValueError("end must be a non-negative float")
    if start >= end:
        raise ValueError("start must be less than end")
    while start < end:
        yield start, min(start + duration, end)
        start += duration


def _image_format(format: str) -> str:
    """PIL's format name for an extension (`jpg` -> JPEG)."""
    from PIL import Image as PILImage

    extension = "." + format.lower().removeprefix(".")
    return PILImage.registered_extensions().get(extension, format.upper())


def _write(destination: str | Path, name: str, data: bytes, kind: type[_F],
           client_config: dict[str, Any] | None) -> _F:
    """Write `data` as `name` in the folder `destination` (a local path or a storage URI); the written file."""
    folder = parse_uri(str(destination).rstrip("/") + "/")
    path = posixpath.join(folder.prefix, name)
    if folder.is_local:
        target = Path(folder.fs_path(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    else:
        fs = filesystem_for(folder.source)
        if client_config:
            fs = type(fs)(**{**fs.storage_options, **client_config})
        fs.pipe_file(folder.fs_path(path), data)
    return kind(source=folder.source, path=path, size=len(data))
