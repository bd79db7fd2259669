"""What the WebRTC processors share: the dependency check, config fields, encoding once
for the network, and turning frames aiortc decoded into streamlib frames.

Processor modules import ``streamlib.webrtc`` (and so aiortc) only inside
methods, so ``import streamlib.processors`` works without the ``webrtc`` extra.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from ...core import (
    NS_PER_S,
    AudioFrame,
    CodecError,
    ConfigError,
    CustomEvent,
    EncodedPacket,
    EventBus,
    InputPort,
    OutputPort,
    ProcessorConfig,
    ProcessorId,
    RestartBackoff,
    SampleClock,
    VideoFrame,
    processor_topic,
    reach_field,
)

if TYPE_CHECKING:
    from ...media import AudioConverter, VideoConverter
    from ...media.codecs import AudioEncoderSession, VideoEncoderSession

__all__ = [
    "NetworkEvents",
    "ReceivedFrames",
    "WebRtcClientConfig",
    "WebRtcEncoders",
    "WebRtcPeerConfig",
    "client_session_options",
    "webrtc_ready",
]

_log = logging.getLogger(__name__)
# Opus sample rates; other rates must be resampled first (AudioResampler).
_OPUS_RATES = (48_000, 24_000, 16_000, 12_000, 8_000)


def enabled_kinds(*, video: bool, audio: bool) -> tuple[str, ...]:
    """The media kinds to negotiate, in SDP order: ``("video", "audio")`` or fewer."""
    return tuple(kind for kind, enabled in (("video", video), ("audio", audio)) if enabled)


class WebRtcPeerConfig(ProcessorConfig):
    """Config fields of every WebRTC processor."""

    ice: Literal["host", "loopback"] = Field(
        "host",
        description="Host candidates to offer: the machine's interfaces (host), or "
        "127.0.0.1 only (loopback: local-only setups, network namespaces).",
    )
    stun_servers: list[str] = reach_field(
        [],
        reaches="url",
        description="STUN servers (stun:host:port) for reaching peers behind NAT; none by "
        "default, so nothing leaves the machine unless asked.",
    )
    token: str | None = Field(None, description="Bearer token the WHIP/WHEP endpoint checks.")


class WebRtcClientConfig(WebRtcPeerConfig):
    """Fields of the processors that connect to an endpoint and reconnect (WHIP/WHEP clients)."""

    renamed_fields: ClassVar[Mapping[str, str]] = {
        "connect_timeout": "connect_timeout_s",
        "silence_timeout": "silence_timeout_s",
        "retry_initial": "retry_initial_s",
        "retry_max": "retry_max_s",
    }
    connect_timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Seconds one attempt may take to connect (HTTP, ICE and DTLS) "
        "before it counts as failed.",
    )
    silence_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds without RTCP from the other end before the connection "
        "counts as dropped.",
    )
    retry_initial_s: float = Field(
        0.5, gt=0, le=60, description="Pause before the first reconnection attempt (doubling)."
    )
    retry_max_s: float = Field(10.0, gt=0, le=600, description="Longest pause between attempts.")
    retry_jitter: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Each pause up to this fraction longer or shorter at random, so clients "
        "cut off together do not all return at once (0: exact pauses).",
    )


def client_session_options(config: WebRtcClientConfig) -> dict[str, Any]:
    """The keyword arguments of a :class:`~streamlib.webrtc.ReconnectingSession` for ``config``."""
    return {
        "token": config.token,
        "ice": ice_settings(config),
        "connect_timeout_s": config.connect_timeout_s,
        "silence_timeout_s": config.silence_timeout_s,
        "backoff": RestartBackoff(
            initial_s=config.retry_initial_s, max_s=config.retry_max_s, jitter=config.retry_jitter
        ),
    }


class WebRtcEncodingConfig(WebRtcPeerConfig):
    """Encoding fields of the processors that send media (H.264 and Opus)."""

    video_bitrate: int = Field(
        2_500_000, ge=100_000, le=50_000_000, description="H.264 bits per second."
    )
    keyframe_interval: int = Field(
        30, ge=1, le=600, description="Frames between keyframes (how soon a viewer can start)."
    )
    fps: float = Field(30.0, gt=0, le=240, description="Nominal frame rate (rate control).")
    audio_bitrate: int = Field(64_000, ge=6_000, le=510_000, description="Opus bits per second.")


def ice_settings(config: WebRtcPeerConfig) -> Any:
    """The :class:`~streamlib.webrtc.IceSettings` a config asks for."""
    from ...webrtc import IceSettings

    return IceSettings(mode=config.ice, stun_servers=tuple(config.stun_servers))


def webrtc_ready(packet: EncodedPacket) -> EncodedPacket:
    """``packet`` as WebRTC wants it: H.264 parameter sets in front of every keyframe.

    A ``VideoEncoder`` made for MP4 keeps SPS/PPS in ``extradata`` only; a
    viewer joining mid-stream needs them in band (libx264 writes both Annex B).
    """
    wanted = "h264" if packet.media_kind == "video" else "opus"
    if packet.codec != wanted:
        raise CodecError(
            f"WebRTC here sends {packet.media_kind} as {wanted}, not {packet.codec}: "
            f"encode with codec: {wanted} (or connect raw frames to video/audio instead)"
        )
    if packet.media_kind != "video" or not packet.keyframe or not packet.extradata:
        return packet
    if packet.data.startswith(packet.extradata):
        return packet
    return packet.replace(data=packet.extradata + packet.data)


class WebRtcEncoders:
    """Encode pictures (H.264 constrained baseline, ultrafast, zerolatency) and audio (Opus).

    Opened at the first frame of each kind; :meth:`reset` closes them so the
    next frame opens fresh ones, starting with a keyframe.
    """

    def __init__(self, config: WebRtcEncodingConfig) -> None:
        self._config = config
        self._video: VideoEncoderSession | None = None
        self._audio: AudioEncoderSession | None = None
        self._origin_ns: int | None = None

    def reset(self) -> None:
        """Forget the encoders (the next frame opens new ones, a new stream)."""
        self._video = None
        self._audio = None
        self._origin_ns = None

    def request_keyframe(self) -> None:
        """Make the next picture a keyframe (for a viewer that just joined).

        libx264 has no "keyframe now" call through PyAV's encoder session, so the
        encoder is opened afresh (milliseconds at ultrafast) on the same time
        origin: pts, and so RTP times, continue for the viewers already watching.
        """
        if self._video is not None:
            self._origin_ns = self._video.origin_ns
            self._video = None

    def encode_video(self, frame: VideoFrame) -> list[EncodedPacket]:
        """Packets for ``frame`` (none while the encoder fills up)."""
        session = self._video
        # H.264 in 4:2:0 wants even sizes: an odd picture is scaled by a pixel.
        size = (frame.width - frame.width % 2, frame.height - frame.height % 2)
        if session is None or (session.settings.width, session.settings.height) != size:
            from ...media.codecs import VideoEncoderSession, VideoEncoderSettings, video_codec

            cfg = self._config
            settings = VideoEncoderSettings(
                width=size[0],
                height=size[1],
                fps=cfg.fps,
                preset="ultrafast",
                tune="zerolatency",
                bitrate=cfg.video_bitrate,
                keyframe_interval=cfg.keyframe_interval,
                profile="baseline",
            )
            # In-band parameter sets: every keyframe is a place a viewer can start.
            session = self._video = VideoEncoderSession(
                video_codec("h264"), settings, origin_ns=self._origin_ns, global_header=False
            )
        return session.encode(frame)

    def encode_audio(self, block: AudioFrame) -> list[EncodedPacket]:
        """Opus packets for ``block`` (20 ms each, once enough samples came)."""
        session = self._audio
        if session is None:
            if block.sample_rate not in _OPUS_RATES:
                raise ConfigError(
                    f"Opus takes {', '.join(map(str, _OPUS_RATES))} Hz, not "
                    f"{block.sample_rate} Hz: put an AudioResampler in front"
                )
            if block.channels > 2:
                raise ConfigError(
                    f"WebRTC Opus carries mono or stereo, not {block.channels} channels: "
                    "put an AudioChannelConverter in front"
                )
            from ...media.codecs import AudioEncoderSession, AudioEncoderSettings, audio_codec

            settings = AudioEncoderSettings(
                sample_rate=block.sample_rate,
                channels=block.channels,
                bitrate=self._config.audio_bitrate,
            )
            session = self._audio = AudioEncoderSession(
                audio_codec("opus"), settings, global_header=False
            )
        return session.encode(block)

    def encode_inputs(
        self,
        video: InputPort[VideoFrame],
        audio: InputPort[AudioFrame],
        *,
        send_video: bool,
        send_audio: bool,
    ) -> Iterator[EncodedPacket]:
        """Packets for the newest picture on ``video`` and every block queued on ``audio``.

        A kind not sent now (nobody to send to) is still read, and dropped.
        """
        frame = video.read_latest()
        if frame is not None and send_video:
            yield from self.encode_video(frame)
        for block in audio.read_all():
            if send_audio:
                yield from self.encode_audio(block)


class ReceivedFrames:
    """Frames aiortc decoded, handed from the event loop to the processor's thread.

    ``put`` runs on the loop (cheap: it only queues); ``get`` converts on the
    processor's worker into streamlib frames with media-clock timestamps kept in
    the sender's spacing (RTP time, anchored at the first frame's arrival).
    """

    def __init__(self, *, pixel_format: str = "rgb24", capacity: int = 64) -> None:
        self._queue: queue.Queue[tuple[str, Any, int]] = queue.Queue(capacity)
        self._pixel_format = pixel_format
        self._video_converter: VideoConverter | None = None
        self._audio_converter: AudioConverter | None = None
        self._video_origin: tuple[int, int] | None = None  # (pts, arrival ns)
        self._audio_timeline = SampleClock()  # starts at the first block's arrival
        self._last_video_ns = 0
        self.dropped = 0
        self.video_count = 0
        self.audio_count = 0

    def new_stream(self) -> None:
        """Mark that a new sender starts (its RTP times have a new origin); any thread."""
        self.put("new_stream", None)

    def put(self, kind: str, frame: Any) -> None:
        """Queue a decoded ``av`` frame (drops the oldest when the processor lags)."""
        item = (kind, frame, time.monotonic_ns())
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def get(self, timeout_s: float) -> list[VideoFrame | AudioFrame]:
        """The next frames (one decoded frame can make several audio blocks); [] after
        ``timeout_s`` seconds without any."""
        try:
            kind, frame, arrived_ns = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return []
        if kind == "new_stream":
            # Anchor the next frames at their arrival again, after what came before.
            self._video_origin = None
            self._audio_timeline.reset()
            return []
        if kind == "video":
            return [self._video(frame, arrived_ns)]
        return self._audio(frame, arrived_ns)

    def forward(
        self, video: OutputPort[VideoFrame], audio: OutputPort[AudioFrame], timeout_s: float
    ) -> None:
        """Write the next received frames to ``video`` and ``audio`` (waiting up to
        ``timeout_s`` seconds)."""
        for frame in self.get(timeout_s):
            if isinstance(frame, VideoFrame):
                video.write(frame)
            else:
                audio.write(frame)

    def _video(self, frame: Any, arrived_ns: int) -> VideoFrame:
        from ...media import VideoConverter

        if self._video_converter is None:
            self._video_converter = VideoConverter(pixel_format=self._pixel_format)
        stamp = arrived_ns
        if frame.pts is not None and frame.time_base is not None:
            if self._video_origin is None:
                self._video_origin = (frame.pts, arrived_ns)
            first_pts, first_ns = self._video_origin
            tb: Fraction = frame.time_base
            stamp = first_ns + (frame.pts - first_pts) * tb.numerator * NS_PER_S // tb.denominator
        # Never back in time (a sender whose clock jumped, or a new sender's first frames).
        stamp = max(stamp, self._last_video_ns + 1)
        self._last_video_ns = stamp
        self.video_count += 1
        return self._video_converter.convert_av(
            frame, timestamp_ns=stamp, frame_number=self.video_count - 1
        )

    def _audio(self, frame: Any, arrived_ns: int) -> list[VideoFrame | AudioFrame]:
        from ...media import AudioConverter

        if self._audio_converter is None:
            self._audio_converter = AudioConverter()
        out: list[VideoFrame | AudioFrame] = []
        rate = frame.sample_rate
        timeline = self._audio_timeline
        timeline.follow(rate, arrived_ns)
        for samples in self._audio_converter.convert(frame):
            if not samples.shape[0]:
                continue
            stamp = timeline.stamp(samples.shape[0])
            out.append(AudioFrame(samples, rate, timestamp_ns=stamp, frame_number=self.audio_count))
            self.audio_count += 1
        return out


class NetworkEvents:
    """Publishes a processor's network events (``connecting``, ``viewer_joined``...) on its topic.

    Callable from any thread: the event bus never blocks a publisher.
    """

    def __init__(self, events: EventBus, processor_id: ProcessorId) -> None:
        self._events = events
        self._topic = processor_topic(processor_id)
        self.history: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        self.history.append((name, payload))
        del self.history[:-200]  # keep the recent past for statistics and tests
        _log.info("%s %s %s", self._topic, name, payload)
        self._events.publish(CustomEvent(custom_topic=self._topic, name=name, payload=payload))
