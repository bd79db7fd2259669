"""Display: show video in a desktop window, and publish its keyboard and mouse input.

::

    win: {type: Display, config: {title: Preview, scaling: letterbox}}

The window lives on the runtime's main thread (the thread in ``Runtime.run()``),
as window systems require; frames from GPU processors are drawn without a copy.
Input goes to the event bus: ``input:keyboard`` (press, release, repeat, char),
``input:mouse`` (move, press, release, scroll) and ``input:window`` (resize,
focus, blur, close), each a ``CustomEvent`` whose ``name`` is the type and
whose ``payload`` holds the details::

    rt.events.subscribe("input:keyboard", lambda e: print(e.payload["key"]))
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ...core import (
    CustomEvent,
    Input,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    Scheduling,
    VideoFrame,
    live_field,
)
from ...gpu import open_window, require_display
from .._requirements import GPU_WINDOW

if TYPE_CHECKING:
    from ...gpu import GpuContext, Texture

__all__ = ["Display"]

_log = logging.getLogger("streamlib.processors.display")


class DisplayConfig(ProcessorConfig):
    title: str = Field("streamlib", description="Window title.")
    width: int = Field(1280, ge=16, le=7680, description="Initial window width.")
    height: int = Field(720, ge=16, le=4320, description="Initial window height.")
    scaling: Literal["stretch", "letterbox", "crop"] = live_field(
        "letterbox", description="How frames fit the window."
    )
    vsync: bool = Field(True, description="Present in step with the screen refresh.")
    fps: float = Field(
        60.0, gt=0, le=480, description="How often the window is served (events, drawing)."
    )
    close_stops_runtime: bool = Field(
        True, description="Closing the window stops the runtime (else only the window)."
    )
    background: tuple[int, int, int] = live_field(
        (0, 0, 0), description="Color of letterbox bars, R, G, B (0..255)."
    )
    open_timeout_s: float = Field(
        10.0, gt=0, description="How long setup waits for the main thread to open the window."
    )


class Display(Processor[DisplayConfig]):
    """A window showing the newest frame, scaled (stretch, letterbox or crop).

    Keyboard, mouse and window events are published on the event bus
    (``input:keyboard``, ``input:mouse``, ``input:window``). Closing the window
    stops the runtime (as Ctrl-C does) unless ``close_stops_runtime`` is false;
    then only the window goes. Without a window system (no ``DISPLAY`` or
    ``WAYLAND_DISPLAY``) setup fails with a ``DeviceError`` saying what to do.
    The runtime must be running in ``Runtime.run()`` (which serves the main thread).
    """

    tags = ("video", "sink", "display", "gpu")
    requires = (GPU_WINDOW,)
    capabilities = frozenset({"display"})
    default_scheduling = Scheduling.timer(60.0)
    # The window is served through the main thread; waiting on it must never hold a producer.
    fusible = False

    video = Input(VideoFrame, description="Frames to show (the newest wins).")

    gpu: GpuContext

    def scheduling(self) -> Scheduling:
        return Scheduling.timer(self.config.fps)

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        require_display()  # before anything heavy: the clearest error first
        from ...gpu import shared_gpu_context

        self.gpu = shared_gpu_context()
        self._ctx = ctx
        cfg = self.config
        self._window: Any = ctx.run_on_main(
            lambda: open_window(
                self.gpu,
                title=cfg.title,
                size=(cfg.width, cfg.height),
                vsync=cfg.vsync,
                on_event=self._publish,
            ),
            timeout_s=cfg.open_timeout_s,
        )
        self._pending: Future[None] | None = None
        self._stop_sent = False
        self.frames_shown = 0

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        ctx = self._ctx
        name = str(payload.get("type", "event"))
        ctx.events.publish(
            CustomEvent(
                custom_topic=topic, name=name, payload=payload, timestamp_ns=ctx.clock.now_ns()
            )
        )

    def process(self) -> None:
        if self._pending is not None and not self._pending.done():
            return  # the main thread is still drawing the last one: skip, never queue up
        frame = self.video.read_latest()
        texture = None if frame is None else self.gpu.texture_of(frame)
        self._pending = self._ctx.run_on_main_async(lambda: self._serve(texture))

    def _serve(self, texture: Texture | None) -> None:
        """On the main thread: events, the close button, and the newest frame."""
        window = self._window
        window.poll()
        if window.close_requested:
            window.close()
            if self.config.close_stops_runtime and not self._stop_sent:
                self._stop_sent = True
                self._request_stop()
            return
        if texture is not None:
            background = tuple(c / 255.0 for c in self.config.background)
            if window.present(texture, self.config.scaling, background):
                self.frames_shown += 1

    def _request_stop(self) -> None:
        _log.info("the Display window was closed: stopping the runtime")
        self._ctx.request_stop()

    def teardown(self) -> None:
        window = getattr(self, "_window", None)
        ctx = self.ctx
        if window is not None and ctx is not None:
            try:
                ctx.run_on_main(window.close, timeout_s=self.config.open_timeout_s)
            except Exception as error:  # the main thread is gone: the process is ending
                _log.warning("could not close the Display window: %s", error)
            self._window = None
        super().teardown()

    def x11_window_id(self) -> int | None:
        """The window's X11 id while it is open (for screenshots and tests)."""
        window = getattr(self, "_window", None)
        return None if window is None else window.x11_window_id
