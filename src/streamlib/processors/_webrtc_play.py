"""WhepPlayer: play a WHEP endpoint's video and audio into the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from ..core import (
    AudioFrame,
    NetworkError,
    Output,
    Processor,
    ProcessorContext,
    Scheduling,
    VideoFrame,
)
from ._media_support import OutputPixelFormat
from ._webrtc_support import (
    NetworkEvents,
    ReceivedFrames,
    WebRtcPeerConfig,
    ice_settings,
    require_webrtc,
)

if TYPE_CHECKING:
    from ..webrtc import EventLoopThread, WhepPlayerSession

__all__ = ["WhepPlayer"]


class WhepPlayerConfig(WebRtcPeerConfig):
    """Config of :class:`WhepPlayer`."""

    url: str = Field(description="The WHEP endpoint, e.g. http://127.0.0.1:8889/whep.")
    video_enabled: bool = Field(True, description="Receive video.")
    audio_enabled: bool = Field(True, description="Receive audio.")
    pixel_format: OutputPixelFormat = Field(
        "rgb24", description="Pixel format of the output frames."
    )
    connect_timeout: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Seconds to connect before giving up (then the "
        "runtime's error policy retries with backoff).",
    )


class WhepPlayer(Processor):
    """Play a WHEP endpoint: its video comes out decoded, its audio as float32.

    A connection that fails or drops raises ``NetworkError`` from ``process``,
    so the runtime's error policy (restart with backoff by default) reconnects.

    Example pipeline entry::

        play: {type: WhepPlayer, config: {url: "http://127.0.0.1:8889/whep"}}
    """

    tags: ClassVar[tuple[str, ...]] = ("source", "network", "webrtc")
    fusible: ClassVar[bool] = False  # waits on the network
    capabilities: ClassVar[frozenset[str]] = frozenset({"network"})
    default_scheduling = Scheduling.loop()

    Config = WhepPlayerConfig

    video = Output(VideoFrame, description="Pictures received.")
    audio = Output(AudioFrame, description="Audio received.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        require_webrtc(self.type_name)

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ..webrtc import EventLoopThread, WhepPlayerSession

        cfg = self.config
        kinds = tuple(
            kind
            for kind, enabled in (("video", cfg.video_enabled), ("audio", cfg.audio_enabled))
            if enabled
        )
        self.events = NetworkEvents(ctx.events, ctx.processor_id)
        self.received = ReceivedFrames(pixel_format=cfg.pixel_format)
        self._loop: EventLoopThread = EventLoopThread(
            f"{self.type_name}-{ctx.processor_id}", loopback=cfg.ice == "loopback"
        )
        self.session: WhepPlayerSession = WhepPlayerSession(
            cfg.url,
            on_frame=self.received.put,
            kinds=kinds,
            token=cfg.token,
            ice=ice_settings(cfg),
            connect_timeout=cfg.connect_timeout,
        )
        self.events("connecting", {"url": cfg.url})
        try:
            self._loop.run(self.session.connect(), cfg.connect_timeout + 5)
        except (NetworkError, TimeoutError) as error:
            self.events("failed", {"url": cfg.url, "reason": str(error)})
            self._close()
            raise NetworkError(f"cannot play {cfg.url}: {error}") from error
        self.events("connected", {"url": cfg.url})

    def process(self) -> None:
        for frame in self.received.get(timeout=0.1):
            if isinstance(frame, VideoFrame):
                self.video.write(frame)
            else:
                self.audio.write(frame)
        state = self.session.state
        if state in ("failed", "closed"):
            self.events("disconnected", {"url": self.config.url, "state": state})
            raise NetworkError(f"the WHEP connection to {self.config.url} {state}")

    def teardown(self) -> None:
        try:
            self._close()
        finally:
            super().teardown()

    def _close(self) -> None:
        loop = getattr(self, "_loop", None)
        if loop is None:
            return
        try:
            loop.run(self.session.close(), 5.0)
        except TimeoutError:
            pass  # the peer is gone; the loop's shutdown cancels what is left
        finally:
            loop.stop()
            del self._loop
