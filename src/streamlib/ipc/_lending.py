"""A publisher's loans for buffer pools: frames made in shared memory, sent without a copy."""

from __future__ import annotations

import operator
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import ConfigError, ConnectionClosedError, Frame, VideoFrame
from ..core._buffer_lending import lend_on_this_thread, lender_of_this_thread
from ..core._frame import ArrayFrame
from ._iceoryx import SharedMemoryError
from ._publisher import FramePublisher
from ._shared import BorrowCount, LoanedBuffer
from ._wire import MAX_DIMS

__all__ = ["LenderStatistics", "PoolLender"]

_LENDABLE = (np.dtype(np.uint8), np.dtype(np.float32))  # what frames' arrays hold


@dataclass(frozen=True, slots=True)
class LenderStatistics:
    """An immutable snapshot of one :class:`PoolLender`'s counters."""

    lent: int
    """Loans handed to buffer pools."""
    refused: int
    """Pool requests answered with no loan (the pool used its own buffer): on another
    thread, loans all out, an array type frames do not carry."""
    sent_in_place: int
    """Frames sent from a loan without a copy."""
    copied_while_held: int
    """Frames of a loan that something besides the frame still held, so copied."""


class PoolLender:
    """Lends ``publisher``'s shared memory to the buffer pools of the thread that sends.

    Installed on a thread, it makes every :class:`~streamlib.BufferPool` there
    hand out loans of ``publisher`` (``FramePublisher.loan``) instead of its own
    buffers; :meth:`send` then sends a frame made in one of them as it is, with
    no copy. ``isolation="process"`` uses it for the frames a worker sends back::

        lender = PoolLender(publisher)
        lender.install()                 # the thread that runs the producer, then sends
        producer.process()               # its BufferPool.acquire() returns loans
        while (frame := port.read()) is not None:
            lender.send(frame)           # in place, or one copy
        lender.close()

    - It lends only on the thread it was installed on last, the one that sends:
      an iceoryx2 port is used by one thread. And only while ``spare`` loans stay
      free for copies and the end of stream: a pool it says no to takes its own
      buffer, so running out of loans is never an error.
    - A frame goes in place only when nothing but the caller's one variable holds
      it, its array and the loan. Once sent, the memory is the subscriber's, and a
      later loan reuses it when the subscriber lets go: a producer that kept its
      last output (or a view of it) would see it change. Such a frame is copied.
    - A loan never sent goes back when its array is gone; pools never keep loans.
    """

    def __init__(self, publisher: FramePublisher, *, spare: int = 1) -> None:
        if publisher.max_loans <= spare:
            raise ConfigError(
                f"a publisher with max_loans={publisher.max_loans} has none to lend past "
                f"{spare} spare; open it with a larger max_loans"
            )
        self._publisher: FramePublisher | None = publisher
        self._lendable = publisher.max_loans - spare
        self._thread: int | None = None
        self._lent = 0
        self._refused = 0
        self._in_place = 0
        self._copied_while_held = 0

    # -- the pools' side (core's BufferLender) ---------------------------------------

    def lend(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray[Any, Any] | None:
        """A loan of ``shape`` and ``dtype``, or None (then the pool uses its own buffer)."""
        publisher = self._publisher
        if (
            publisher is None
            or threading.get_ident() != self._thread
            or publisher.loans_out >= self._lendable
            or dtype not in _LENDABLE
            or not 1 <= len(shape) <= MAX_DIMS
            or 0 in shape
        ):
            self._refused += 1
            return None
        try:
            loan = publisher._loan_array(shape, dtype)  # (checked above: a pool's shape and type)
        except (SharedMemoryError, ConnectionClosedError):  # no memory now, or closed
            self._refused += 1
            return None
        self._lent += 1
        return loan

    def install(self) -> None:
        """Lend to the buffer pools of the calling thread (and of no other)."""
        if self._publisher is None:
            raise ConnectionClosedError("this PoolLender was closed; make a new one")
        self._thread = threading.get_ident()
        lend_on_this_thread(self)

    @property
    def installed(self) -> bool:
        """Whether it lends to some thread's pools."""
        return self._thread is not None

    @property
    def installed_here(self) -> bool:
        """Whether it lends to the calling thread's pools."""
        return self._thread == threading.get_ident() and lender_of_this_thread() is self

    def uninstall(self) -> None:
        """Lend to no thread's pools any more (loans already out stay valid)."""
        if lender_of_this_thread() is self:
            lend_on_this_thread(None)
        self._thread = None  # a thread it stays installed on gets no loans either

    def close(self) -> None:
        """Uninstall and let go of the publisher (which the caller closes)."""
        self.uninstall()
        self._publisher = None

    # -- the sending side ------------------------------------------------------------

    def send(self, frame: Frame) -> None:
        """Send ``frame`` through the publisher: in place when its array is a whole
        loan that nothing else holds, else copied once.

        Call it with the frame in one variable of yours and no other reference of
        yours to it or its array: the check counts references.
        """
        publisher = self._publisher
        if publisher is None:
            raise ConnectionClosedError("this PoolLender was closed; send on the publisher")
        counts = _references(frame)
        alone = counts is not None and all(map(operator.le, counts, _ALONE))
        if publisher.send(frame, in_place=alone):
            self._in_place += 1
        elif counts is not None and not alone:
            self._copied_while_held += 1

    def statistics(self) -> LenderStatistics:
        """A snapshot of this lender's counters."""
        return LenderStatistics(
            lent=self._lent,
            refused=self._refused,
            sent_in_place=self._in_place,
            copied_while_held=self._copied_while_held,
        )

    def __repr__(self) -> str:
        state = "closed" if self._publisher is None else f"{self._lent} lent"
        return f"PoolLender({state})"


def _references(frame: Frame) -> tuple[int, int, int] | None:
    """References to ``frame``, its array and the array's loan, when the array is a
    loan; counted by ``getrefcount``, so only comparable with the same call shape."""
    if not isinstance(frame, ArrayFrame):
        return None
    if isinstance(frame, VideoFrame) and not frame.has_array:  # on the GPU only
        return None
    array = frame.data
    base: object = array.base  # (numpy types it as an array; a loan is not one)
    if not isinstance(base, LoanedBuffer):
        return None
    return sys.getrefcount(frame), sys.getrefcount(array), sys.getrefcount(base)


def _as_send_sees(frame: Frame) -> tuple[int, int, int] | None:
    """``_references`` as ``PoolLender.send`` calls it: the frame in a parameter."""
    return _references(frame)


def _references_when_alone() -> tuple[int, int, int]:
    """What ``send`` counts for a frame its caller holds in one variable, whose array
    only the frame holds and whose loan only the array holds.

    Measured with the same code shape rather than assumed, as ``BufferPool`` does:
    CPython versions count borrowed references differently.
    """
    memory = np.zeros((2, 2), np.uint8)
    loan = LoanedBuffer(
        None,
        None,
        address=memory.ctypes.data,
        capacity=memory.nbytes,
        shape=memory.shape,
        dtype=memory.dtype,
        loans=BorrowCount(),
    )
    frame: Frame = VideoFrame(np.asarray(loan), "gray8")
    del loan
    counts = _as_send_sees(frame)
    assert counts is not None
    return counts


_ALONE = _references_when_alone()
