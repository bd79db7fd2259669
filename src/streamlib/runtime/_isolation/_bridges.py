"""The worker's ends of the channels to the parent: an inlet per input, an outlet per output.

Ordinary processors in the worker's runtime, so the isolated processor sees plain
connections: an :class:`IpcInlet` writes what arrives on a channel (its stream
ends when the channel's does), an :class:`IpcOutlet` publishes what it reads (and
ends the channel when its input ends).
"""

from __future__ import annotations

from typing import Any

from ...core import Frame, Input, Output, Processor, ProcessorConfig, Scheduling
from ...ipc import FramePublisher, FrameSubscriber

__all__ = ["ChannelConfig", "IpcInlet", "IpcOutlet"]

_WAIT_S = 0.1  # an inlet looks at its stop flag at least this often


class ChannelConfig(ProcessorConfig):
    channel: str
    profile: str = "fifo"
    capacity: int = 8


class IpcInlet(Processor[ChannelConfig]):
    """Writes the frames arriving on a channel from the parent process."""

    fusible = False
    frames_out = Output(Frame, description="What the parent sent, read in place.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._subscriber: FrameSubscriber | None = None

    def scheduling(self) -> Scheduling:
        return Scheduling.loop()

    def setup(self, ctx: Any) -> None:
        super().setup(ctx)
        cfg = self.config
        self._subscriber = FrameSubscriber(cfg.channel, profile=cfg.profile, capacity=cfg.capacity)

    def process(self) -> None:
        subscriber = self._subscriber
        assert subscriber is not None
        if not subscriber.wait(_WAIT_S):
            return
        while (frame := subscriber.receive()) is not None:
            self.frames_out.write(frame)
        if subscriber.ended:
            self.end_outputs()

    @property
    def dropped(self) -> int:
        """Frames the channel dropped before this end read them."""
        return self._subscriber.statistics().dropped if self._subscriber is not None else 0

    def teardown(self) -> None:
        if self._subscriber is not None:
            self._subscriber.close()
            self._subscriber = None
        super().teardown()


class IpcOutlet(Processor[ChannelConfig]):
    """Publishes the frames it reads on a channel to the parent process."""

    frames_in = Input(Frame, profile="lossless", description="What goes to the parent.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._publisher: FramePublisher | None = None

    def setup(self, ctx: Any) -> None:
        super().setup(ctx)
        cfg = self.config
        self._publisher = FramePublisher(cfg.channel, profile=cfg.profile, capacity=cfg.capacity)

    def process(self) -> None:
        publisher = self._publisher
        assert publisher is not None
        for frame in self.frames_in.read_all():
            publisher.send(frame)

    def on_end_of_stream(self) -> None:
        if self._publisher is not None:
            self._publisher.end()
            self._publisher.wait_until_end_taken(2.0)

    def teardown(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        super().teardown()
