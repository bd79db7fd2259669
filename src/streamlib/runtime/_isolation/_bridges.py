"""The worker's ends of the channels to the parent: an inlet per input, an outlet per output.

Ordinary processors in the worker's runtime, so the isolated processor sees plain
connections: an :class:`IpcInlet` writes what arrives on a channel (its stream
ends when the channel's does), an :class:`IpcOutlet` publishes what it reads (and
ends the channel when its input ends).

An inlet that is its processor's only producer is fused with it: the processor
(and its outlets) run on the inlet's thread, right after each batch the inlet
receives, so a frame reaches the processor without waking another thread.

An outlet fused onto its producer's thread (the runtime does so when the outlet
is that processor's only consumer) lends the channel's shared memory to the
``BufferPool`` of every processor on that thread (``streamlib.ipc.PoolLender``):
the producer then makes its frames in shared memory, and they cross without the
copy ``send`` would make, unless the producer still holds them.
"""

from __future__ import annotations

from typing import Any

from ...core import (
    BackpressureTimeout,
    Frame,
    Input,
    Output,
    Processor,
    ProcessorConfig,
    Scheduling,
)
from ...ipc import FramePublisher, FrameSubscriber, PoolLender

__all__ = ["POOL_LOANS", "ChannelConfig", "IpcInlet", "IpcOutlet"]

_WAIT_S = 0.1  # an inlet looks at its stop flag at least this often
# Loans a producer's pools may hold at once (a processor that reads all its input,
# 4 frames deep in a worker, makes as many outputs before the outlet runs), plus
# one kept for copies and the end of stream. Each is one more sample's worth of
# shared memory, used only when lent.
POOL_LOANS = 4


class ChannelConfig(ProcessorConfig):
    channel: str
    profile: str = "fifo"
    capacity: int = 8
    direct: bool = False
    """The other end is another worker's bridge, not the parent's (see ``_direct``)."""
    batch: int = 1
    """An inlet's most frames taken off the channel at a time (with one event back)."""


class IpcInlet(Processor[ChannelConfig]):
    """Writes the frames arriving on a channel from the parent process."""

    frames_out = Output(Frame, description="What the parent sent, read in place.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._subscriber: FrameSubscriber | None = None
        self._dropped = 0  # kept from the closed subscriber for the final statistics

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
        # A batch at a time: fused, its member runs right after it on this thread
        # (and may make an output, a loan while they last, for each frame of it).
        for frame in subscriber.receive_batch(self.config.batch):
            self.frames_out.write(frame)
        if subscriber.ended:
            self.end_outputs()

    def drain_at_stop(self) -> bool:
        """On an orderly stop: write what the channel still holds (the parent, or the
        worker upstream, stopped first and sent everything it had)."""
        subscriber = self._subscriber
        if subscriber is None:
            return False
        handed_on = False
        while (frame := subscriber.receive()) is not None:
            self.frames_out.write(frame)
            handed_on = True
        return handed_on

    @property
    def dropped(self) -> int:
        """Frames the channel dropped before this end read them."""
        if self._subscriber is not None:
            self._dropped = self._subscriber.statistics().dropped
        return self._dropped

    def teardown(self) -> None:
        if self._subscriber is not None:
            self._dropped = self._subscriber.statistics().dropped
            self._subscriber.close()
            self._subscriber = None
        super().teardown()


class IpcOutlet(Processor[ChannelConfig]):
    """Publishes the frames it reads on a channel to the parent process."""

    frames_in = Input(Frame, profile="lossless", description="What goes to the parent.")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._publisher: FramePublisher | None = None
        self._lender: PoolLender | None = None
        self._sent = 0  # kept from the closed publisher for the final statistics
        self._gpu: tuple[int, float] = (0, 0.0)  # the same for its GPU downloads
        self.dropped = 0  # frames for a consumer worker that is gone for good
        self._consumer_gone = False

    def setup(self, ctx: Any) -> None:
        super().setup(ctx)
        cfg = self.config
        self._publisher = FramePublisher(
            cfg.channel, profile=cfg.profile, capacity=cfg.capacity, max_loans=POOL_LOANS + 1
        )
        self._lender = PoolLender(self._publisher, spare=1)
        self._lend_to_producer(self._lender)  # set up on the worker's thread: its first frame

    def process(self) -> None:
        lender, publisher = self._lender, self._publisher
        assert lender is not None
        assert publisher is not None
        self._lend_to_producer(lender)
        with publisher.batch():  # one wake-up for what the producer made since the last call
            self._send_all(lender)

    def _send_all(self, lender: PoolLender) -> None:
        while (frame := self.frames_in.read()) is not None:
            if self._consumer_gone and not self._consumer_back():
                self.dropped += 1
                continue
            try:
                lender.send(frame)  # (in place needs this loop's one reference: see send)
            except BackpressureTimeout:
                if not self.config.direct or self._consumer_back():
                    raise  # a consumer that is there and stuck: as in one process
                # The other worker went away and none took its place within the write
                # timeout (its processor failed for good): drop what it would have read,
                # counted, as the parent drops what a failed consumer would read.
                self._consumer_gone = True
                self.dropped += 1

    def _consumer_back(self) -> bool:
        publisher = self._publisher
        back = publisher is not None and publisher.subscriber_count > 0
        self._consumer_gone = self._consumer_gone and not back
        return back

    def _lend_to_producer(self, lender: PoolLender) -> None:
        """Lend to this thread's pools while the producer runs on it, right before this
        outlet: then the loans are made on the thread that sends them (an iceoryx2
        port is single-threaded). Fused, the outlet is its producer's only consumer."""
        connection = self.frames_in.connection
        fused = connection is not None and connection.inline_consumer
        if fused and not lender.installed_here:
            lender.install()
        elif not fused and lender.installed:
            lender.uninstall()

    @property
    def sent_in_place(self) -> int:
        """Frames that went to the parent without a copy (made in loaned shared memory)."""
        return self._lender.statistics().sent_in_place if self._lender is not None else 0

    @property
    def sent(self) -> int:
        """Frames it published (copied or in place)."""
        self._keep_counts()
        return self._sent

    @property
    def gpu_downloads(self) -> tuple[int, float]:
        """GPU frames it had to download before sending (textures stay in their
        process), and the milliseconds that took in all."""
        self._keep_counts()
        return self._gpu

    def _keep_counts(self) -> None:
        """Read the publisher's counters, kept for after it is closed."""
        if self._publisher is not None:
            stats = self._publisher.statistics()
            self._sent = stats.sent
            self._gpu = (stats.gpu_downloads, stats.gpu_download_ms)

    def on_end_of_stream(self) -> None:
        if self._publisher is not None:
            self._publisher.end()
            self._publisher.wait_until_end_taken(2.0)

    def teardown(self) -> None:
        if self._lender is not None:
            self._lender.close()  # (the counters stay readable)
        if self._publisher is not None:
            self._keep_counts()
            self._publisher.close()
            self._publisher = None
        super().teardown()
