"""WhepPlayer: play a WHEP endpoint's video and audio into the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from ...core import AudioFrame, Output, Scheduling, VideoFrame, reach_field
from .._raw_video import OutputPixelFormat
from ._base import WebRtcProcessor
from ._support import ReceivedFrames, WebRtcClientConfig, client_session_options, enabled_kinds

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


class WhepPlayer(WebRtcProcessor[WhepPlayerConfig]):
    """Play a WHEP endpoint: its video comes out decoded, its audio as float32.

    It connects in the background and reconnects with its own backoff
    (``retry_initial_s`` doubling up to ``retry_max_s``) whenever the connection
    fails, ICE or DTLS does not complete within ``connect_timeout_s``, or the
    server goes silent for ``silence_timeout_s``; the pipeline keeps running
    meanwhile, with no output. Events on ``processor:<id>``: ``connecting``
    (with the attempt number), ``connected``, ``disconnected`` (reason, next
    pause), ``stopped``. Timestamps keep the sender's spacing and never go
    back, also across reconnections.

    Example pipeline entry::

        play: {type: WhepPlayer, config: {url: "http://127.0.0.1:8889/whep"}}
    """

    tags: ClassVar[tuple[str, ...]] = ("source", "network", "webrtc")
    default_scheduling = Scheduling.loop()

    video = Output(VideoFrame, description="Pictures received.")
    audio = Output(AudioFrame, description="Audio received.")

    def open_network(self, loop: EventLoopThread) -> Callable[[], None]:
        from ...webrtc import WhepPlayerSession

        cfg = self.config
        kinds = enabled_kinds(video=cfg.video_enabled, audio=cfg.audio_enabled)
        self.received = ReceivedFrames(pixel_format=cfg.pixel_format)
        self.session: WhepPlayerSession = WhepPlayerSession(
            loop,
            cfg.url,
            on_frame=self.received.put,
            kinds=kinds,
            on_event=self._on_event,
            **client_session_options(cfg),
        )
        self.session.start()
        return self.session.stop

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "connecting":
            self.received.new_stream()  # the next sender's RTP times start afresh
        self.events(name, payload)

    def process(self) -> None:
        # A short wait, so the runtime can stop us between waits.
        self.received.forward(self.video, self.audio, timeout_s=0.1)
