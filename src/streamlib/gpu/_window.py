"""A desktop window that shows GPU textures: glfw for the window, wgpu to present.

Why not rendercanvas: it wants to own the event loop (its scheduler polls
events and decides when to draw), while in streamlib the runtime owns the main
thread and frames arrive when the pipeline makes them. Driving rendercanvas
from outside needs its private methods, so this uses what it uses underneath,
both public and maintained: pyGLFW (whose wheel ships libglfw) for the window
and input, and ``wgpu.gpu.get_canvas_context`` to present.

Everything here must run on the main thread (``ctx.run_on_main``)::

    window = Window(gpu, title="out", size=(1280, 720), vsync=True, on_event=publish)
    window.poll()                          # input callbacks -> on_event(topic, payload)
    window.present(texture, "letterbox")   # draw the newest frame
    window.close()
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import wgpu

from ..core import DeviceError
from ._fit import fit_rect
from ._quads import Quad, QuadRenderer

if TYPE_CHECKING:
    from ._context import GpuContext
    from ._texture import Texture

__all__ = ["EventSink", "Window", "require_display"]

EventSink = Callable[[str, dict[str, Any]], None]
"""Receives ``(topic, payload)``: ``input:keyboard``, ``input:mouse``, ``input:window``."""

_MOUSE_BUTTONS = {0: "left", 1: "right", 2: "middle"}


def require_display() -> None:
    """``DeviceError`` unless a window system is reachable (Linux: DISPLAY or WAYLAND_DISPLAY)."""
    if not sys.platform.startswith("linux"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise DeviceError(
        "Display needs a window system, but neither DISPLAY nor WAYLAND_DISPLAY is set; "
        "run on a desktop session, or under a virtual X server (xvfb-run streamlib run FILE), "
        "or send the video elsewhere (a file, a NullSink)"
    )


def _glfw() -> Any:
    try:
        import glfw
    except ImportError as error:  # the library, or the bundled libglfw failing to load
        raise DeviceError(
            f"the Display window needs glfw ({error}); install streamlib[gpu]"
        ) from error
    return glfw


class Window:
    """One glfw window presenting textures through a wgpu surface (main thread only)."""

    def __init__(
        self,
        gpu: GpuContext,
        *,
        title: str,
        size: tuple[int, int],
        vsync: bool,
        on_event: EventSink,
    ) -> None:
        require_display()
        glfw = self._glfw = _glfw()
        errors: list[str] = []
        glfw.set_error_callback(lambda code, text: errors.append(_text(text)))
        if not glfw.init():
            raise DeviceError(
                "cannot open the window system: " + ("; ".join(errors) or "glfw.init failed")
            )
        glfw.window_hint(glfw.CLIENT_API, glfw.NO_API)  # wgpu presents, not OpenGL
        glfw.window_hint(glfw.RESIZABLE, True)
        handle = glfw.create_window(size[0], size[1], title, None, None)
        if not handle:
            raise DeviceError("cannot create a window: " + ("; ".join(errors) or "unknown error"))
        self.handle = handle
        self.gpu = gpu
        self.on_event = on_event
        self.close_requested = False
        self._closed = False
        self._cursor = (0.0, 0.0)
        self._context = wgpu.gpu.get_canvas_context(self._present_info(vsync))
        preferred = str(self._context.get_preferred_format(gpu.adapter_handle))
        # The plain twin of an sRGB format, so the frame's bytes reach the screen unchanged
        # (surfaces offer both; an sRGB target would re-encode our already encoded pixels).
        self.format = preferred.removesuffix("-srgb")
        self._configured_size = (0, 0)
        self._quads = QuadRenderer(gpu, target_format=self.format)
        glfw.set_key_callback(handle, self._on_key)
        glfw.set_char_callback(handle, self._on_char)
        glfw.set_mouse_button_callback(handle, self._on_mouse_button)
        glfw.set_cursor_pos_callback(handle, self._on_cursor)
        glfw.set_scroll_callback(handle, self._on_scroll)
        glfw.set_framebuffer_size_callback(handle, self._on_resize)
        glfw.set_window_focus_callback(handle, self._on_focus)

    def _present_info(self, vsync: bool) -> dict[str, Any]:
        glfw = self._glfw
        if not sys.platform.startswith("linux"):
            return _native_present_info(glfw, self.handle, vsync)
        platform = glfw.get_platform() if hasattr(glfw, "get_platform") else None
        if platform == getattr(glfw, "PLATFORM_WAYLAND", -1):
            return {
                "method": "screen",
                "platform": "wayland",
                "window": int(glfw.get_wayland_window(self.handle)),
                "display": int(glfw.get_wayland_display()),
                "vsync": vsync,
            }
        return {
            "method": "screen",
            "platform": "x11",
            "window": int(glfw.get_x11_window(self.handle)),
            "display": int(glfw.get_x11_display()),
            "vsync": vsync,
        }

    @property
    def x11_window_id(self) -> int | None:
        """The X11 window id (for screenshots and tests), or None elsewhere."""
        if not sys.platform.startswith("linux") or self._closed:
            return None
        try:
            return int(self._glfw.get_x11_window(self.handle))
        except Exception:
            return None

    def framebuffer_size(self) -> tuple[int, int]:
        width, height = self._glfw.get_framebuffer_size(self.handle)
        return int(width), int(height)

    def poll(self) -> None:
        """Handle pending window-system events (their callbacks call ``on_event``)."""
        if self._closed:
            return
        glfw = self._glfw
        glfw.poll_events()
        # The window manager's close button only raises this flag (glfw's close callback
        # fires inside poll_events too, but the flag also covers set_window_should_close).
        if not self.close_requested and glfw.window_should_close(self.handle):
            self.close_requested = True
            self.on_event("input:window", {"type": "close"})

    def present(
        self,
        texture: Texture,
        scaling: str,
        background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> bool:
        """Draw ``texture`` scaled into the window and show it; False if nothing was shown
        (the window is minimized or closed)."""
        if self._closed:
            return False
        size = self.framebuffer_size()
        if size[0] <= 0 or size[1] <= 0:
            return False
        if size != self._configured_size:
            self._context.set_physical_size(*size)
            self._context.configure(device=self.gpu.device, format=self.format)
            self._configured_size = size
        target = self._context.get_current_texture()
        rect, uv = fit_rect(
            (0.0, 0.0, float(size[0]), float(size[1])), (texture.width, texture.height), scaling
        )
        encoder = self.gpu.device.create_command_encoder(label="Display")
        self._quads.draw(
            encoder,
            target.create_view(),
            size,
            [Quad(texture.view, rect, uv)],
            clear=(*background, 1.0),
        )
        self.gpu.queue.submit([encoder.finish()])
        self._context.present()
        return True

    def request_close(self) -> None:
        """Ask the window to close, as its close button does (seen by the next ``poll``)."""
        if not self._closed:
            self._glfw.set_window_should_close(self.handle, True)

    def close(self) -> None:
        """Destroy the window (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._context.unconfigure()
        finally:
            self._glfw.destroy_window(self.handle)
            self._glfw.poll_events()  # let the window system see it go

    # -- callbacks (glfw calls them inside poll) -----------------------------------------

    def _mods(self, mods: int) -> list[str]:
        glfw = self._glfw
        names = [
            (glfw.MOD_SHIFT, "shift"),
            (glfw.MOD_CONTROL, "control"),
            (glfw.MOD_ALT, "alt"),
            (glfw.MOD_SUPER, "super"),
        ]
        return [name for bit, name in names if mods & bit]

    def _on_key(self, _handle: Any, key: int, scancode: int, action: int, mods: int) -> None:
        glfw = self._glfw
        kind = {glfw.PRESS: "press", glfw.RELEASE: "release", glfw.REPEAT: "repeat"}[action]
        name = glfw.get_key_name(key, scancode) or _KEY_NAMES.get(key, f"key{key}")
        self.on_event(
            "input:keyboard",
            {
                "type": kind,
                "key": name,
                "code": key,
                "scancode": scancode,
                "modifiers": self._mods(mods),
            },
        )

    def _on_char(self, _handle: Any, codepoint: int) -> None:
        self.on_event("input:keyboard", {"type": "char", "text": chr(codepoint)})

    def _on_mouse_button(self, _handle: Any, button: int, action: int, mods: int) -> None:
        glfw = self._glfw
        x, y = self._cursor
        self.on_event(
            "input:mouse",
            {
                "type": "press" if action == glfw.PRESS else "release",
                "button": _MOUSE_BUTTONS.get(button, f"button{button}"),
                "x": x,
                "y": y,
                "modifiers": self._mods(mods),
            },
        )

    def _on_cursor(self, _handle: Any, x: float, y: float) -> None:
        self._cursor = (x, y)
        self.on_event("input:mouse", {"type": "move", "x": x, "y": y})

    def _on_scroll(self, _handle: Any, dx: float, dy: float) -> None:
        x, y = self._cursor
        self.on_event("input:mouse", {"type": "scroll", "dx": dx, "dy": dy, "x": x, "y": y})

    def _on_resize(self, _handle: Any, width: int, height: int) -> None:
        self.on_event("input:window", {"type": "resize", "width": width, "height": height})

    def _on_focus(self, _handle: Any, focused: int) -> None:
        self.on_event("input:window", {"type": "focus" if focused else "blur"})


def _native_present_info(glfw: Any, handle: Any, vsync: bool) -> dict[str, Any]:
    """macOS and Windows: the native window handle wgpu presents to."""
    if sys.platform == "darwin":
        window = int(glfw.get_cocoa_window(handle))
        return {"method": "screen", "platform": "cocoa", "window": window, "vsync": vsync}
    window = int(glfw.get_win32_window(handle))
    return {"method": "screen", "platform": "windows", "window": window, "vsync": vsync}


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _key_names() -> dict[int, str]:
    try:
        import glfw
    except ImportError:
        return {}
    names = {
        "ESCAPE": "Escape", "ENTER": "Enter", "TAB": "Tab", "BACKSPACE": "Backspace",
        "SPACE": "Space", "LEFT": "ArrowLeft", "RIGHT": "ArrowRight", "UP": "ArrowUp",
        "DOWN": "ArrowDown", "HOME": "Home", "END": "End", "PAGE_UP": "PageUp",
        "PAGE_DOWN": "PageDown", "INSERT": "Insert", "DELETE": "Delete",
        "LEFT_SHIFT": "Shift", "RIGHT_SHIFT": "Shift", "LEFT_CONTROL": "Control",
        "RIGHT_CONTROL": "Control", "LEFT_ALT": "Alt", "RIGHT_ALT": "Alt",
    }  # fmt: skip
    found = {getattr(glfw, f"KEY_{name}"): text for name, text in names.items()}
    found.update({getattr(glfw, f"KEY_F{n}"): f"F{n}" for n in range(1, 13)})
    return found


# Keys without a printable name (glfw.get_key_name covers letters, digits, punctuation).
_KEY_NAMES = _key_names()
