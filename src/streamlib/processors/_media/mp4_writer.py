"""Mp4Writer: record video and audio (raw or already encoded) into MP4, MOV, MKV or WebM."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from ...core import (
    AudioFrame,
    ConfigError,
    CustomEvent,
    EncodedPacket,
    ErrorPolicy,
    Frame,
    Input,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    VideoFrame,
    path_field,
    processor_topic,
)
from .._requirements import MEDIA

if TYPE_CHECKING:
    from ...media import MediaWriter
    from ...media.codecs import AudioEncoderSession, VideoEncoderSession

__all__ = ["Mp4Writer"]

ContainerChoice = Literal["mp4", "mov", "mkv", "webm"]
VideoCodecName = Literal["h264", "vp8", "vp9", "av1", "ffv1"]
AudioCodecName = Literal["aac", "opus"]

_EXTENSIONS: dict[str, ContainerChoice] = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "mkv", ".mka": "mkv", ".webm": "webm",
}  # fmt: skip
_DEFAULT_CODECS: dict[str, tuple[VideoCodecName, AudioCodecName]] = {
    "mp4": ("h264", "aac"), "mov": ("h264", "aac"), "mkv": ("h264", "aac"), "webm": ("vp9", "opus"),
}  # fmt: skip
_CONTAINERS_OF: dict[str, frozenset[str]] = {
    "h264": frozenset({"mp4", "mov", "mkv"}),
    "vp8": frozenset({"mp4", "mkv", "webm"}),
    "vp9": frozenset({"mp4", "mkv", "webm"}),
    "av1": frozenset({"mp4", "mkv", "webm"}),
    "ffv1": frozenset({"mov", "mkv"}),
    "aac": frozenset({"mp4", "mov", "mkv"}),
    "opus": frozenset({"mp4", "mkv", "webm"}),
}


@dataclass(slots=True)
class _Stream:
    """One input being recorded: its stream index and, for raw input, its encoder."""

    index: int
    video: VideoEncoderSession | None = None
    audio: AudioEncoderSession | None = None


class Mp4WriterConfig(ProcessorConfig):
    path: str = path_field(..., description="The file to write.", min_length=1)
    container: ContainerChoice | None = Field(
        None, description="mp4, mov, mkv or webm (default: from the file's extension)."
    )
    overwrite: bool = Field(False, description="Replace the file if it exists.")
    make_folders: bool = Field(
        False, description="Create the file's missing folders when the recording starts."
    )
    fragmented: bool = Field(
        False,
        description="Write in fragments as it goes, so even kill -9 leaves a playable file.",
    )
    fragment_s: float = Field(
        1.0, gt=0.0, le=60.0, description="Longest fragment (or Matroska cluster), seconds."
    )
    video_codec: VideoCodecName | None = Field(
        None, description="Codec for raw video (default: h264; vp9 for webm)."
    )
    audio_codec: AudioCodecName | None = Field(
        None, description="Codec for raw audio (default: aac; opus for webm)."
    )
    preset: str | None = Field(None, description="Encoder preset (x264: ultrafast..veryslow).")
    tune: str | None = Field(None, description="Encoder tune, e.g. zerolatency.")
    crf: float | None = Field(None, ge=0, le=63, description="Constant quality (lower: better).")
    video_bitrate: int | None = Field(None, gt=0, description="Video bits per second.")
    audio_bitrate: int | None = Field(None, gt=0, description="Audio bits per second.")
    keyframe_interval: int = Field(60, ge=1, le=10_000, description="Frames between keyframes.")
    lossless: bool = Field(False, description="Encode video losslessly (h264, vp9, ffv1).")
    fps: float = Field(
        30.0, gt=0, le=1000, description="Nominal frame rate (keyframe timing, last frame)."
    )
    wait_for_inputs_s: float = Field(
        2.0,
        ge=0.0,
        le=60.0,
        description="How long to wait for every connected input's first frame before "
        "starting without the missing ones.",
    )

    @model_validator(mode="after")
    def _check(self) -> Mp4WriterConfig:
        container = self.resolved_container
        video, audio = self.codecs
        for codec in (video, audio):
            if container not in _CONTAINERS_OF[codec]:
                allowed = ", ".join(sorted(_CONTAINERS_OF[codec]))
                raise ValueError(
                    f"a {container} file cannot hold {codec}; use a {allowed} file or another codec"
                )
        return self

    @property
    def resolved_container(self) -> ContainerChoice:
        if self.container is not None:
            return self.container
        return _EXTENSIONS.get(os.path.splitext(self.path)[1].lower(), "mp4")

    @property
    def codecs(self) -> tuple[VideoCodecName, AudioCodecName]:
        video, audio = _DEFAULT_CODECS[self.resolved_container]
        return self.video_codec or video, self.audio_codec or audio


class Mp4Writer(Processor[Mp4WriterConfig]):
    """Record video and audio into a file: MP4 by default, also MOV, MKV or WebM.

    Connect raw ``video``/``audio`` (it encodes them: H.264 + AAC by default) or
    already encoded ``video_packets``/``audio_packets`` from a ``VideoEncoder``/
    ``AudioEncoder`` (it muxes them as they are); either kind alone makes a
    video-only or audio-only file. Inputs are ``lossless``: a recording drops
    nothing.

    The recording starts once every connected input has sent its first frame
    (or after ``wait_for_inputs_s``); each stream is placed on one timeline from
    its first frame's timestamp, so a source that starts late begins late in
    the file, and audio follows its sample count, so it never drifts. The file
    is finished (index written) when its inputs end (a ``finalized`` event with
    the path and size), or when the processor stops, also on Ctrl-C or SIGTERM;
    with ``fragmented: true`` it is written in fragments as it goes, so even a
    killed process leaves a playable file up to the last fragment.

    An existing file is an error unless ``overwrite: true``, and so is a folder
    that cannot be written: both are checked when the processor is added. A
    recording that never receives a frame leaves no file. A recorder never
    replaces a file it wrote itself: started again (after a stop, or after a
    failure) it continues in the next free numbered name, ``out-2.mp4``,
    ``out-3.mp4``..., shown in :attr:`recording_path` and a
    ``recording_continues`` event.

    A write that fails (disk full, I/O error, quota) raises at once from
    ``process()``, so the runtime reports it (event, error count) and the
    recorder stops; the message names the file, the reason and what to do. A
    fragmented MP4/MOV keeps every complete fragment and plays; a plain one has
    no index yet, so its recording is lost (the message says so): use
    ``fragmented: true`` where a disk may fill. An input connected
    after the recording started cannot join the file (containers list their
    streams up front): its frames are counted in ``frames_ignored`` and an
    ``input_ignored`` event says so.

    Example pipeline entry::

        rec: {type: Mp4Writer, config: {path: out.mp4, fragmented: true, tune: zerolatency}}
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "audio", "sink", "file", "recorder")
    requires = (MEDIA,)
    capabilities: ClassVar[frozenset[str]] = frozenset({"write"})
    fusible: ClassVar[bool] = False  # encoding and disk writes take long
    # Restarting would open (and truncate) the same file again: stop instead.
    error_policy: ClassVar[ErrorPolicy] = ErrorPolicy.STOP

    video = Input(VideoFrame, profile="lossless", description="Raw pictures to encode.")
    audio = Input(AudioFrame, profile="lossless", description="Raw audio to encode.")
    video_packets = Input(
        EncodedPacket, profile="lossless", description="Encoded video to mux as it is."
    )
    audio_packets = Input(
        EncodedPacket, profile="lossless", description="Encoded audio to mux as it is."
    )

    def __init__(
        self, config: Mp4WriterConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        from ...media.codecs import audio_codec, video_codec

        cfg = self.config
        _check_writable(cfg.path, overwrite=cfg.overwrite, make_folders=cfg.make_folders)
        video, audio = cfg.codecs
        video_codec(video).require_encoder()
        audio_codec(audio).require_encoder()
        self.frames_ignored = 0
        self._started = False
        self._recording_path: str | None = None
        self._written_paths: list[str] = []  # every file this recorder opened, oldest first

    @property
    def recording(self) -> bool:
        """Whether the file's streams are fixed and frames are being written."""
        return self._started

    @property
    def recording_path(self) -> str | None:
        """The file this run records into (``path``, or a numbered one when started again)."""
        return self._recording_path

    # -- lifecycle -------------------------------------------------------------------

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...media import MediaWriter

        cfg = self.config
        path, overwrite = cfg.path, cfg.overwrite
        if path in self._written_paths and os.path.exists(path):
            # Ours from an earlier run (maybe all that is left of a failed one): keep it.
            path, overwrite = _next_free_name(path), False
            self._publish("recording_continues", {"path": path, "previous": cfg.path})
        # again: a file may have appeared
        _check_writable(path, overwrite=overwrite, make_folders=cfg.make_folders)
        if cfg.make_folders:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._writer: MediaWriter | None = MediaWriter(
            path,
            container=cfg.resolved_container,
            fragmented=cfg.fragmented,
            fragment_s=cfg.fragment_s,
            overwrite=overwrite,
        )
        self._recording_path = path
        if path not in self._written_paths:
            self._written_paths.append(path)
        self._streams: dict[str, _Stream] = {}
        self._buffered: dict[str, list[Frame]] = {}
        self._first_arrival: float | None = None
        self._started = False
        self._warned: set[str] = set()

    def process(self) -> None:
        for name, port in self.inputs.items():
            batch = port.read_all()
            if not batch:
                continue
            if self._started:
                self._record(name, batch)
            else:
                self._buffered.setdefault(name, []).extend(batch)
                if self._first_arrival is None:
                    self._first_arrival = time.monotonic()
        if not self._started and self._first_arrival is not None:
            connected = {name for name, port in self.inputs.items() if port.is_connected()}
            waiting = connected - set(self._buffered)
            waited = time.monotonic() - self._first_arrival
            if not waiting or waited >= self.config.wait_for_inputs_s:
                self._start()

    def on_end_of_stream(self) -> None:
        # Every input ended: the file is finished now, not at teardown, so it is
        # complete (index written) as soon as the run ends.
        path = self._recording_path
        self._finish()
        if path is not None and os.path.exists(path):
            self._publish("finalized", {"path": path, "bytes": os.path.getsize(path)})

    def teardown(self) -> None:
        try:
            self._finish()
        finally:
            super().teardown()

    def _finish(self) -> None:
        """Write what the encoders still hold, then the file's index; close it."""
        writer = getattr(self, "_writer", None)
        if writer is None:
            return  # finished already (at the end of the stream)
        try:
            # After a failed write nothing more can go in (the failure is reported already).
            if writer.failure is None:
                if not self._started and self._buffered:
                    self._start()  # stopped before every input arrived: keep what came
                for stream in self._streams.values():
                    session = stream.video or stream.audio
                    if session is not None:
                        for packet in session.flush():
                            writer.write(stream.index, packet)
        finally:
            self._writer = None
            writer.close()

    # -- recording -------------------------------------------------------------------

    def _start(self) -> None:
        from ...media.codecs import (
            AudioEncoderSession,
            AudioEncoderSettings,
            VideoEncoderSession,
            VideoEncoderSettings,
            audio_codec,
            video_codec,
        )

        writer = self._writer
        assert writer is not None
        buffered = self._buffered
        for raw, packets in (("video", "video_packets"), ("audio", "audio_packets")):
            if raw in buffered and packets in buffered:
                raise ConfigError(
                    f"{self.type_name}: both {raw} and {packets} are connected; record one "
                    f"{raw} stream (disconnect the other)"
                )
        origin = min(frames[0].timestamp_ns for frames in buffered.values())
        cfg = self.config
        video_name, audio_name = cfg.codecs
        for name in self.inputs:  # declaration order: video before audio
            frames = buffered.get(name)
            if not frames:
                continue
            first = frames[0]
            if isinstance(first, EncodedPacket):
                self._streams[name] = _Stream(writer.add_stream(first))
            elif isinstance(first, VideoFrame):
                codec = video_codec(video_name)
                settings = VideoEncoderSettings(
                    width=first.width,
                    height=first.height,
                    fps=cfg.fps,
                    preset=cfg.preset,
                    tune=cfg.tune,
                    bitrate=cfg.video_bitrate,
                    crf=cfg.crf,
                    keyframe_interval=cfg.keyframe_interval,
                    lossless=cfg.lossless,
                )
                index, context = writer.add_encoder(codec.require_encoder(), "video")
                session = VideoEncoderSession(codec, settings, origin_ns=origin, context=context)
                self._streams[name] = _Stream(index, video=session)
            elif isinstance(first, AudioFrame):
                audio = audio_codec(audio_name)
                audio_settings = AudioEncoderSettings(
                    sample_rate=first.sample_rate,
                    channels=first.channels,
                    bitrate=cfg.audio_bitrate,
                )
                index, context = writer.add_encoder(audio.require_encoder(), "audio")
                encoder = AudioEncoderSession(
                    audio, audio_settings, origin_ns=origin, context=context
                )
                self._streams[name] = _Stream(index, audio=encoder)
        writer.start(origin_ns=origin)
        self._started = True
        self._buffered = {}
        for name, frames in buffered.items():
            self._record(name, frames)

    def _record(self, name: str, frames: list[Frame]) -> None:
        stream = self._streams.get(name)
        if stream is None:
            self._ignore(name, len(frames))
            return
        writer = self._writer
        assert writer is not None
        for frame in frames:
            if stream.video is not None:
                assert isinstance(frame, VideoFrame)
                packets = stream.video.encode(frame)
            elif stream.audio is not None:
                assert isinstance(frame, AudioFrame)
                packets = stream.audio.encode(frame)
            else:
                assert isinstance(frame, EncodedPacket)
                packets = [frame]
            for packet in packets:
                writer.write(stream.index, packet)

    def _ignore(self, name: str, count: int) -> None:
        """An input connected after the recording started: containers cannot add it."""
        self.frames_ignored += count
        if name in self._warned:
            return
        self._warned.add(name)
        self._publish(
            "input_ignored",
            {
                "input": name,
                "reason": "connected after the recording started; a container lists its "
                "streams up front, so record it in a new file",
            },
        )

    def _publish(self, name: str, payload: dict[str, Any]) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        ctx.events.publish(
            CustomEvent(
                custom_topic=processor_topic(str(ctx.processor_id)),
                name=name,
                payload=payload,
                timestamp_ns=ctx.clock.now_ns(),
            )
        )


def _next_free_name(path: str) -> str:
    """``out.mp4`` -> the first of ``out-2.mp4``, ``out-3.mp4``... that does not exist."""
    stem, extension = os.path.splitext(path)
    number = 2
    while os.path.exists(f"{stem}-{number}{extension}"):
        number += 1
    return f"{stem}-{number}{extension}"


def _check_writable(path: str, *, overwrite: bool, make_folders: bool = False) -> None:
    """``ConfigError`` unless ``path`` can be created (or, with ``overwrite``, replaced).

    With ``make_folders`` the nearest folder that exists must let us create the rest.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ConfigError(f"{path!r} is a folder; give a file name such as {path}/out.mp4")
    if os.path.exists(path) and not overwrite:
        raise ConfigError(f"{path!r} exists; set overwrite: true to replace it, or pick a new name")
    if make_folders:
        while not os.path.exists(folder):
            folder = os.path.dirname(folder)
        if not os.path.isdir(folder):
            raise ConfigError(f"cannot write {path!r}: {folder!r} is a file, not a folder")
    elif not os.path.isdir(folder):
        raise ConfigError(
            f"cannot write {path!r}: the folder {folder!r} does not exist "
            "(create it, or set make_folders: true)"
        )
    if not os.access(folder, os.W_OK | os.X_OK) or (
        os.path.exists(path) and not os.access(path, os.W_OK)
    ):
        raise ConfigError(f"cannot write {path!r}: no permission to write in {folder!r}")
