"""numpy arrays over iceoryx2 samples: a received frame's read-only view, a producer's loan.

Both work through numpy's array interface: ``np.asarray(holder)`` makes an array
over the sample's memory whose ``base`` is the holder, and the holder keeps the
iceoryx2 sample alive, so the shared memory stays valid for exactly as long as
any array (or view of one) still refers to it.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

__all__ = ["BorrowCount", "LoanedBuffer", "SharedSample"]


class BorrowCount:
    """How many samples of one port are still held by live arrays.

    iceoryx2 lets a subscriber hold only so many samples at once, and a publisher
    lend only so many: the port reads this before it asks, and copies (or, for a
    pool's loan, says no) instead of failing at the limit. Samples are taken by
    the port's one thread; they are given back wherever the last array over them
    dies, so only that side takes a lock. (A loan that leaves by being sent leaves
    on the port's thread: it is taken back off ``taken``, with no lock.)
    """

    __slots__ = ("_lock", "given_back", "taken")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0
        self.given_back = 0

    @property
    def held(self) -> int:
        return self.taken - self.given_back

    def give_back(self) -> None:
        with self._lock:
            self.given_back += 1


class SharedSample:
    """The base of a received array: one iceoryx2 sample, read in place.

    ``sample`` is the iceoryx2 ``Sample``; it is released (and its shared memory
    handed back to the publisher) when the last array over it is gone.
    """

    __slots__ = ("__array_interface__", "_borrows", "sample")

    def __init__(
        self,
        sample: Any,
        address: int,
        shape: tuple[int, ...],
        typestr: str,
        borrows: BorrowCount,
    ) -> None:
        """``typestr``: the dtype as the array interface names it (``np.dtype(...).str``)."""
        self.sample = sample
        self._borrows = borrows
        borrows.taken += 1
        self.__array_interface__ = {
            "data": (address, True),  # read-only: every consumer shares the memory
            "shape": shape,
            "typestr": typestr,
            "version": 3,
        }

    def __del__(self) -> None:
        # Release the sample before counting it back: the port's thread may receive as
        # soon as the count drops, and iceoryx2 must not still see it borrowed then.
        self.sample = None
        self._borrows.give_back()


class LoanedBuffer:
    """The base of a loaned array: shared memory a producer fills before sending.

    ``FramePublisher.loan`` returns ``np.asarray(buffer)``; sending a frame made
    around that array sends this sample as it is, without a copy. A loan never
    sent goes back to the publisher when the last array over it is gone.
    """

    __slots__ = (
        "__array_interface__",
        "_loans",
        "address",
        "capacity",
        "dtype",
        "owner",
        "sample",
        "shape",
    )

    def __init__(
        self,
        sample: Any,
        owner: object,
        *,
        address: int,
        capacity: int,
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
        loans: BorrowCount,
    ) -> None:
        self.sample: Any = sample
        """The iceoryx2 ``SampleMutUninit``; None once sent."""
        self._loans = loans
        loans.taken += 1
        self.owner = owner
        self.address = address
        """Where the payload starts (after the frame header)."""
        self.capacity = capacity
        """Bytes loaned past the header: the payload plus room for the metadata trailer."""
        self.shape = shape
        self.dtype = dtype
        self.__array_interface__ = {
            "data": (address, False),
            "shape": shape,
            "typestr": dtype.str,
            "version": 3,
        }

    def holds(self, array: np.ndarray[Any, Any]) -> bool:
        """Whether ``array`` (whose ``base`` is this buffer) is this whole loan, untouched
        in shape and type.

        No address check: a C-contiguous view with the loan's shape and dtype spans
        all of the loan's bytes, so it starts where the loan starts (and reading an
        array's address costs a microsecond, on a path every frame takes).
        """
        return array.shape == self.shape and array.dtype == self.dtype and array.flags.c_contiguous

    def take_sample(self) -> Any:
        """The sample, for sending (on the port's thread): from now on it is no
        longer a loan of this buffer."""
        sample = self.sample
        self.sample = None
        self._loans.taken -= 1
        return sample

    def __del__(self) -> None:
        if self.sample is not None:  # never sent: the sample goes back with this buffer
            self.sample = None  # released first, as in SharedSample.__del__
            self._loans.give_back()
