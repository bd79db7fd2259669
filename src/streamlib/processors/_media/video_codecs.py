"""VideoEncoder and VideoDecoder: pictures to encoded packets and back, through FFmpeg."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from ...core import (
    NS_PER_S,
    EncodedPacket,
    Input,
    InputPort,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    VideoFrame,
)
from .._raw_video import RawVideoOptions
from .._requirements import MEDIA
from ._encoder_base import EncoderProcessor

if TYPE_CHECKING:
    from ...media import VideoConverter
    from ...media.codecs import PacketDecoder, VideoEncoderSession

__all__ = ["VideoDecoder", "VideoEncoder"]


class VideoEncoderConfig(ProcessorConfig):
    codec: Literal["h264", "vp8", "vp9", "av1", "ffv1"] = Field("h264", description="Video codec.")
    preset: str | None = Field(
        None,
        description="Speed/quality preset (x264: ultrafast..veryslow; vpx: realtime, "
        "good, best; svt-av1: 0..13).",
    )
    tune: str | None = Field(None, description="Tune, e.g. zerolatency (no frame delay).")
    bitrate: int | None = Field(None, gt=0, description="Target bits per second.")
    crf: float | None = Field(None, ge=0, le=63, description="Constant quality (lower: better).")
    keyframe_interval: int = Field(60, ge=1, le=10_000, description="Frames between keyframes.")
    profile: str | None = Field(None, description="H.264 profile (baseline, main, high...).")
    lossless: bool = Field(False, description="Mathematically lossless (h264, vp9, ffv1).")
    fps: float = Field(30.0, gt=0, le=1000, description="Nominal frame rate (rate control).")
    threads: int = Field(0, ge=0, le=64, description="Encoder threads (0: automatic).")


class VideoEncoder(EncoderProcessor[VideoFrame, VideoEncoderConfig]):
    """Encode pictures into ``EncodedPacket``s: H.264 (libx264) by default; VP8, VP9, AV1, FFV1.

    Packets carry the codec, keyframe flag, pts/dts, time base and extradata,
    so an ``Mp4Writer`` (``video_packets``) or a network sender takes them
    without encoding again. The encoder opens at the first frame's size; a
    size change later scales to that size.

    Example pipeline entry::

        enc: {type: VideoEncoder, config: {codec: h264, preset: ultrafast, tune: zerolatency}}
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "codec", "encoder")
    requires = (MEDIA,)
    renamed_ports: ClassVar[Mapping[str, str]] = {"video_in": "video"}

    video = Input(VideoFrame, profile="fifo", description="Pictures to encode, in order.")
    packets = Output(EncodedPacket, description="Encoded video.")

    def __init__(
        self, config: VideoEncoderConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        from ...media.codecs import VideoEncoderSettings, video_codec

        self._codec = video_codec(self.config.codec)
        self._codec.require_encoder()
        self._codec.options(self._settings(VideoEncoderSettings, 16, 16))  # bad options: now

    def _settings(self, settings_class: Any, width: int, height: int) -> Any:
        cfg = self.config
        return settings_class(
            width=width,
            height=height,
            fps=cfg.fps,
            preset=cfg.preset,
            tune=cfg.tune,
            bitrate=cfg.bitrate,
            crf=cfg.crf,
            keyframe_interval=cfg.keyframe_interval,
            profile=cfg.profile,
            lossless=cfg.lossless,
            threads=cfg.threads,
        )

    def raw_input(self) -> InputPort[VideoFrame]:
        return self.video

    def open_session(self, frame: VideoFrame) -> VideoEncoderSession:
        from ...media.codecs import VideoEncoderSession, VideoEncoderSettings

        settings = self._settings(VideoEncoderSettings, frame.width, frame.height)
        return VideoEncoderSession(self._codec, settings)


class VideoDecoderConfig(RawVideoOptions):
    threads: int = Field(0, ge=0, le=64, description="Decoder threads (0: automatic).")


class VideoDecoder(Processor[VideoDecoderConfig]):
    """Decode ``EncodedPacket``s (any codec FFmpeg decodes) into pictures.

    Frame threading (``threads: 0``, the default) decodes several frames at once
    for throughput, at a few frames of delay; ``threads: 1`` decodes each packet
    at once. Pictures keep the timestamps of the packets they came from.

    Example pipeline entry::

        dec: {type: VideoDecoder, config: {pixel_format: rgb24}}
    """

    tags: ClassVar[tuple[str, ...]] = ("video", "codec", "decoder")
    requires = (MEDIA,)
    fusible: ClassVar[bool] = False

    packets = Input(EncodedPacket, profile="fifo", description="Encoded video, in order.")
    video = Output(VideoFrame, description="Decoded pictures.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...media import VideoConverter
        from ...media.codecs import PacketDecoder

        cfg = self.config
        self._decoder: PacketDecoder = PacketDecoder(threads=cfg.threads)
        self._converter: VideoConverter = VideoConverter(
            width=cfg.width, height=cfg.height, pixel_format=cfg.pixel_format
        )
        self._stamps: dict[int, int] = {}  # pts -> the packet's timestamp_ns
        self._origin: tuple[int, int] | None = None  # (pts, timestamp_ns) of the first packet
        self._number = 0

    def process(self) -> None:
        packet = self.packets.read()
        while packet is not None:
            if packet.pts is not None:
                self._stamps[packet.pts] = packet.timestamp_ns
                if self._origin is None:
                    self._origin = (packet.pts, packet.timestamp_ns)
            self._emit(self._decoder.decode(packet), packet)
            packet = self.packets.read()

    def on_end_of_stream(self) -> None:
        self._emit(self._decoder.flush(), None)  # pictures frame threading held back

    def _emit(self, pictures: list[Any], packet: EncodedPacket | None) -> None:
        for picture in pictures:
            stamp = self._stamp_of(picture, packet)
            frame = self._converter.convert_av(
                picture, timestamp_ns=stamp, frame_number=self._number
            )
            self._number += 1
            self.video.write(frame)

    def _stamp_of(self, picture: Any, packet: EncodedPacket | None) -> int:
        pts: int | None = picture.pts
        if pts is not None:
            stamp = self._stamps.pop(pts, None)
            if len(self._stamps) > 256:  # pts of packets the decoder dropped: forget them
                self._stamps.clear()
            if stamp is not None:
                return stamp
            if self._origin is not None and picture.time_base is not None:
                first_pts, first_ns = self._origin
                tb: Fraction = picture.time_base
                return first_ns + (pts - first_pts) * tb.numerator * NS_PER_S // tb.denominator
        return 0 if packet is None else int(packet.timestamp_ns)
