"""``Runtime(web=...)``: the web API over a runtime, served while it runs::

    rt = Runtime(web=8080)          # checked now; served from start() (or run()) on
    rt.start()
    rt.web_url                      # "http://127.0.0.1:8080/api"; the page is at "/"
    rt.close()                      # stops serving

The web face sits above the runtime (it drives runtimes through ``streamlib.control``),
so it is imported only here, only when asked for: a runtime without ``web`` never
loads Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import ConfigError

if TYPE_CHECKING:
    from ..web import WebOptions, WebServer
    from ._runtime import Runtime

__all__ = ["WebServing"]


class WebServing:
    """The web API a runtime serves: options checked on construction, served from
    :meth:`start` until :meth:`stop`."""

    def __init__(self, setting: WebOptions | str | int | bool) -> None:
        try:
            from ..web import WebOptions
        except ImportError as error:
            raise ConfigError(
                f"Runtime(web=...) needs the 'web' extra ({error}); "
                "install it with: pip install 'streamlib[web]'"
            ) from None
        self.options: WebOptions = WebOptions.of(setting)
        self._server: WebServer | None = None

    @property
    def url(self) -> str | None:
        return None if self._server is None else self._server.url

    def start(self, runtime: Runtime) -> None:
        """Serve ``runtime`` (once; a second call does nothing)."""
        if self._server is not None:
            return
        from ..control import PipelineHost
        from ..web import WebServer

        host = PipelineHost(runtime=runtime, permissions=self.options.permissions)
        server = WebServer(host, self.options)
        try:
            server.start()
        except BaseException:
            host.close()
            raise
        self._server = server

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        server.stop()
        server.host.close()
