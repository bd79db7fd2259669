"""What every frame has in common, and the frame *types* that ports declare."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn

import numpy as np

from ._errors import FrameError

__all__ = ["EMPTY_METADATA", "ArrayFrame", "Frame", "FrameType"]

EMPTY_METADATA: Mapping[str, Any] = MappingProxyType({})
"""Shared default metadata, so frames without metadata allocate no dict."""


class Frame:
    """Base of every frame: a media timestamp, a sequence number and free metadata.

    ``timestamp_ns`` is monotonic nanoseconds from the runtime's ``MediaClock``;
    ``frame_number`` counts the frames of one stream. Frames are immutable: make a
    changed copy with ``replace()``.
    """

    __slots__ = ("frame_number", "metadata", "timestamp_ns")

    port_type_name: ClassVar[str] = "Frame"

    timestamp_ns: int
    frame_number: int
    metadata: Mapping[str, Any]

    def __init__(
        self,
        *,
        timestamp_ns: int = 0,
        frame_number: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        _SET_TIMESTAMP_NS(self, timestamp_ns)
        _SET_FRAME_NUMBER(self, frame_number)
        _SET_METADATA(self, EMPTY_METADATA if metadata is None else metadata)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(
            f"{type(self).__name__} is immutable; make a changed copy with .replace({name}=...)"
        )

    @classmethod
    def frame_type(cls) -> FrameType:
        """This class as a port type (what ``Input(VideoFrame)`` stores)."""
        return FrameType(cls)


# Frames are immutable (``__setattr__`` raises), so constructors set each slot through
# its own descriptor: cheaper than ``object.__setattr__``, which first walks the class
# hierarchy, and every frame is made once per hop.
_SET_TIMESTAMP_NS = Frame.__dict__["timestamp_ns"].__set__
_SET_FRAME_NUMBER = Frame.__dict__["frame_number"].__set__
_SET_METADATA = Frame.__dict__["metadata"].__set__


class ArrayFrame(Frame):
    """A frame whose payload is a numpy array, which fan-out makes read-only."""

    __slots__ = ("data",)

    data: np.ndarray[Any, Any]

    def to_ndarray(self) -> np.ndarray[Any, Any]:
        """The frame's pixels or samples as a numpy array (no copy)."""
        return self.data

    def freeze(self) -> None:
        """Make the array read-only, so consumers sharing it cannot corrupt each other."""
        self.data.flags.writeable = False

    @property
    def is_frozen(self) -> bool:
        """Whether the array is read-only (true once the frame was fanned out)."""
        return not self.data.flags.writeable


@dataclass(frozen=True, slots=True)
class FrameType:
    """A frame class a port carries, plus an optional channel count for audio.

    ``AudioFrame[2]`` builds ``FrameType(AudioFrame, channels=2)``: a port that
    carries stereo audio. A port type without a channel count accepts any.
    """

    frame_class: type[Frame]
    channels: int | None = None

    def __post_init__(self) -> None:
        if self.channels is not None and self.channels < 1:
            raise FrameError(f"a channel count must be at least 1, got {self.channels}")

    @classmethod
    def of(cls, declared: type[Frame] | FrameType) -> FrameType:
        """Normalise what a port declaration accepts (a frame class or a FrameType)."""
        if isinstance(declared, FrameType):
            return declared
        if isinstance(declared, type) and issubclass(declared, Frame):
            return FrameType(declared)
        raise FrameError(
            f"a port carries a frame type such as VideoFrame or AudioFrame[2], not {declared!r}"
        )

    def can_feed(self, consumer: FrameType) -> bool:
        """Whether an output of this type may connect to an input of ``consumer``'s type.

        An output without a channel count may feed a channel-specific input (the
        count is then checked frame by frame), and a generic ``Frame`` output (a
        passthrough, which carries whatever it is given) may feed any input.
        """
        if self.frame_class is Frame:
            return True
        if not issubclass(self.frame_class, consumer.frame_class):
            return False
        return self.channels is None or consumer.channels in (None, self.channels)

    def is_less_specific_than(self, consumer: FrameType) -> bool:
        """Whether frames of this type might not fit ``consumer`` (so each must be checked)."""
        if not issubclass(self.frame_class, consumer.frame_class):
            return True
        return consumer.channels is not None and self.channels is None

    def __str__(self) -> str:
        name = self.frame_class.port_type_name
        return name if self.channels is None else f"{name}[{self.channels}]"
