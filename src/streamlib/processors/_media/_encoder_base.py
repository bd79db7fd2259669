"""What VideoEncoder and AudioEncoder share: one encoder session opened by the first
frame, every frame encoded in order, the encoder's delayed packets flushed at the end
of the stream (once; a stop without an end drops them, as nobody waits for them)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, Protocol

from typing_extensions import TypeVar

from ...core import (
    EncodedPacket,
    Frame,
    InputPort,
    OutputPort,
    Processor,
    ProcessorConfig,
    ProcessorContext,
)

__all__ = ["EncoderProcessor"]

F = TypeVar("F", bound=Frame)
F_contra = TypeVar("F_contra", bound=Frame, contravariant=True)
C = TypeVar("C", bound=ProcessorConfig, default=ProcessorConfig)


class EncoderSession(Protocol[F_contra]):
    """An open encoder: ``VideoEncoderSession`` or ``AudioEncoderSession``."""

    def encode(self, frame: F_contra) -> Sequence[EncodedPacket]: ...

    def flush(self) -> Sequence[EncodedPacket]: ...


class EncoderProcessor(Processor[C], Generic[F, C]):
    """Encode each frame of ``raw_input()`` and write the packets to ``packets``.

    Subclasses declare the ports and open the session for the first frame's
    size or rate in ``open_session``.
    """

    fusible: ClassVar[bool] = False  # encoding a frame is heavy native work
    packets: OutputPort[EncodedPacket]

    @abstractmethod
    def raw_input(self) -> InputPort[F]:
        """The input the frames to encode arrive on."""

    @abstractmethod
    def open_session(self, first: F) -> EncoderSession[F]:
        """An encoder session for a stream that starts with ``first``."""

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._session: EncoderSession[F] | None = None

    def process(self) -> None:
        source = self.raw_input()
        frame = source.read()
        while frame is not None:
            session = self._session
            if session is None:
                session = self._session = self.open_session(frame)
            for packet in session.encode(frame):
                self.packets.write(packet)
            frame = source.read()

    def on_end_of_stream(self) -> None:
        session = self._session
        self._session = None  # a new stream after this one opens a new session
        if session is not None:
            for packet in session.flush():  # the packets the encoder held back
                self.packets.write(packet)

    def teardown(self) -> None:
        self._session = None
        super().teardown()
