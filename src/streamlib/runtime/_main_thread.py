"""Run functions on the runtime's main thread, for toolkits that must live there."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from ..core import RuntimeStateError, Wakeup

__all__ = ["MainThreadQueue"]

T = TypeVar("T")


class MainThreadQueue:
    """Functions queued for one thread: the one in ``Runtime.run()`` while it runs,
    else the one that created the runtime (``owner``).

    That thread runs them whenever it is inside ``Runtime.run()``, ``Runtime.stop()``
    or ``Runtime.pump_main()``. A call from that thread itself runs inline.
    """

    def __init__(self) -> None:
        self.owner = threading.get_ident()
        self._tasks: deque[tuple[Callable[[], object], Future[object]]] = deque()
        self.wakeup = Wakeup()
        self._closed = False

    def on_owner(self) -> bool:
        return threading.get_ident() == self.owner

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn``; its future holds the result. Inline on the owner thread."""
        future: Future[T] = Future()
        if self.on_owner():
            _run_into(fn, future)
            return future
        if self._closed:
            raise RuntimeStateError("the runtime was closed; nothing runs on its main thread now")
        self._tasks.append((fn, future))  # type: ignore[arg-type]
        self.wakeup.unpark()
        return future

    def call(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run ``fn`` on the owner thread and return its result (or raise its exception)."""
        if self.on_owner():
            return fn()
        future = self.submit(fn)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise RuntimeStateError(
                f"the main thread did not run the call within {timeout} s; it runs queued "
                "calls only inside Runtime.run(), Runtime.stop() or Runtime.pump_main()"
            ) from None

    def pump(self, timeout: float) -> int:
        """Run queued functions, waiting up to ``timeout`` for the first; returns how many ran."""
        deadline = time.monotonic() + timeout
        ran = 0
        while True:
            while self._tasks:
                fn, future = self._tasks.popleft()
                if future.set_running_or_notify_cancel():
                    _run_into(fn, future)
                    ran += 1
            remaining = deadline - time.monotonic()
            if ran or remaining <= 0:
                return ran
            self.wakeup.park(remaining)
            if not self._tasks:
                return ran

    def close(self) -> None:
        """Fail whatever is still queued."""
        self._closed = True
        while self._tasks:
            _, future = self._tasks.popleft()
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeStateError("the runtime closed before this call ran"))


def _run_into(fn: Callable[[], T], future: Future[T]) -> None:
    try:
        future.set_result(fn())
    except BaseException as error:
        future.set_exception(error)
