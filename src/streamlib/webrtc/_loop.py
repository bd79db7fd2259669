"""An asyncio event loop on a thread of its own, so aiortc never blocks the runtime's workers.

Processors submit coroutines from their worker and wait on the result with a
timeout; the loop thread runs all of a processor's network I/O::

    loop = EventLoopThread("whip-publisher", loopback=True)
    answer = loop.run(client.publish(offer), timeout_s=10)
    loop.stop()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._ice import offer_loopback_in_this_thread

__all__ = ["EventLoopThread"]

T = TypeVar("T")


class EventLoopThread:
    """A daemon thread running one asyncio loop until :meth:`stop`."""

    def __init__(self, name: str, *, loopback: bool = False) -> None:
        self.loop = asyncio.new_event_loop()
        self._loopback = loopback
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"asyncio-{name}", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        offer_loopback_in_this_thread(self._loopback)
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()
        # Let canceled tasks finish their cleanup before the loop closes.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @property
    def running(self) -> bool:
        """Whether the loop thread is alive."""
        return self._thread.is_alive()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coroutine`` on the loop; the future completes with its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float) -> T:
        """Run ``coroutine`` on the loop and wait for it (``TimeoutError`` after ``timeout_s``)."""
        future = self.submit(coroutine)
        try:
            return future.result(timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"gave up after {timeout_s:g} s") from None

    def call_soon(self, callback: Any, *args: Any) -> None:
        """Call ``callback(*args)`` on the loop thread (thread-safe; dropped once stopped)."""
        if not self.loop.is_closed():
            # RuntimeError: the loop closed between the check and the call.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(callback, *args)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the loop (canceling what still runs) and join the thread."""
        if self._thread.is_alive():
            self.call_soon(self.loop.stop)
            self._thread.join(timeout_s)
