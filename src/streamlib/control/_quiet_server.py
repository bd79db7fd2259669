"""uvicorn's server, woken by what happens instead of ten times a second.

uvicorn's main loop sleeps 0.1 s between looks at ``should_exit`` (refreshing the
``Date`` header every tenth look). In the runtime's own process each wake-up of the
server's thread takes the GIL from the pipeline for a moment (a hand-over costs the
pipeline's thread a sleep and a wake-up, more than the work itself), so an idle server
should not wake at all. :class:`QuietServer` waits on an event that an exit request
sets (a signal, or ``stop`` set from another thread) and does the rest once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import FrameType

import uvicorn

__all__ = ["QuietServer"]

_TICK_S = 1.0  # the Date header, and a ``should_exit`` set without request_exit()


class QuietServer(uvicorn.Server):
    """``uvicorn.Server`` that stops when ``stop`` is set (from any thread) or on
    SIGINT/SIGTERM (on the main thread), with no 10 Hz polling::

        server = QuietServer(uvicorn.Config(app), stop=stop)
        await server.serve(sockets=[listener])
    """

    def __init__(self, config: uvicorn.Config, *, stop: threading.Event | None = None) -> None:
        super().__init__(config)
        self._stop = stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit_requested: asyncio.Event | None = None
        self._serving = False

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._exit_requested = asyncio.Event()
        self._serving = True
        if self._stop is not None:
            watcher = threading.Thread(target=self._watch_stop, name="streamlib-http-stop")
            watcher.daemon = True
            watcher.start()
        try:
            counter = 0  # a multiple of 10: on_tick refreshes the Date header each call
            while not await self.on_tick(counter):
                counter = (counter + 10) % 864_000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._exit_requested.wait(), _TICK_S)
        finally:
            self._serving = False

    def request_exit(self) -> None:
        """uvicorn's orderly shutdown, as on Ctrl-C; from any thread."""
        self.should_exit = True
        loop, event = self._loop, self._exit_requested
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(event.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.request_exit()

    def _watch_stop(self) -> None:
        stop = self._stop
        assert stop is not None
        while not stop.wait(_TICK_S):
            if not self._serving:
                return
        self.request_exit()
