"""WhepPlayer: play a WHEP endpoint's video and audio into the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from ...core import (
    AudioFrame,
    Output,
    Processor,
    ProcessorContext,
    Scheduling,
    VideoFrame,
    reach_field,
)
from .._raw_video import OutputPixelFormat
from .._requirements import WEBRTC
from ._support import (
    NetworkEvents,
    ReceivedFrames,
    WebRtcClientConfig,
    client_session_options,
    enabled_kinds,
)

if TYPE_CHECKING:
    from ...webrtc import EventLoopThread, WhepPlayerSession

__all__ = ["WhepPlayer"]


class WhepPlayerConfig(WebRtcClientConfig):
    """Config of :class:`WhepPlayer`."""

    url: str = reach_field(
        ..., reaches="url", description="The WHEP endpoint, e.g. http://127.0.0.1:8889/whep."
    )
    video_enabled: bool = Field(True, description="Receive video.")
    audio_enabled: bool = Field(True, description="Receive audio.")
    pixel_format: OutputPixelFormat = Field(
        "rgb24", description="Pixel format of the output frames."
    )


class WhepPlayer(Processor[WhepPlayerConfig]):
    """Play a WHEP endpoint: its video comes out decoded, its audio as float32.

    It connects in the background and reconnects with its own backoff
    (``retry_initial`` doubling up to ``retry_max``) whenever the connection
    fails, ICE or DTLS does not complete within ``connect_timeout``, or the
    server goes silent for ``silence_timeout``; the pipeline keeps running
    meanwhile, with no output. Events on ``processor:<id>``: ``connecting``
    (with the attempt number), ``connected``, ``disconnected`` (reason, next
    pause), ``stopped``. Timestamps keep the sender's spacing and never go
    back, also across reconnections.

    Example pipeline entry::

        play: {type: WhepPlayer, config: {url: "http://127.0.0.1:8889/whep"}}
    """

    tags: ClassVar[tuple[str, ...]] = ("source", "network", "webrtc")
    requires = (WEBRTC,)
    fusible: ClassVar[bool] = False  # waits on the network
    capabilities: ClassVar[frozenset[str]] = frozenset({"network"})
    default_scheduling = Scheduling.loop()

    video = Output(VideoFrame, description="Pictures received.")
    audio = Output(AudioFrame, description="Audio received.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...webrtc import EventLoopThread, WhepPlayerSession

        cfg = self.config
        kinds = enabled_kinds(video=cfg.video_enabled, audio=cfg.audio_enabled)
        self.events = NetworkEvents(ctx.events, ctx.processor_id)
        self.received = ReceivedFrames(pixel_format=cfg.pixel_format)
        self._loop: EventLoopThread = EventLoopThread(
            f"{self.type_name}-{ctx.processor_id}", loopback=cfg.ice == "loopback"
        )
        self.session: WhepPlayerSession = WhepPlayerSession(
            self._loop,
            cfg.url,
            on_frame=self.received.put,
            kinds=kinds,
            on_event=self._on_event,
            **client_session_options(cfg),
        )
        self.session.start()

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "connecting":
            self.received.new_stream()  # the next sender's RTP times start afresh
        self.events(name, payload)

    def process(self) -> None:
        # A short wait, so the runtime can stop us between waits.
        self.received.forward(self.video, self.audio, timeout=0.1)

    def teardown(self) -> None:
        loop = getattr(self, "_loop", None)
        try:
            if loop is not None:
                try:
                    self.session.stop()
                finally:
                    loop.stop()
        finally:
            super().teardown()
