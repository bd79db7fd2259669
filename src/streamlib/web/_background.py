"""The web API on a thread of its own, beside a runtime its owner drives::

    with WebServer(PipelineHost(runtime=rt), WebOptions(port=8080)) as server:
        print(server.page_url)       # http://127.0.0.1:8080/
        rt.run()

The server has its own event loop on its own thread, so whatever the caller does (a
``run()`` with its Ctrl-C handling, a notebook, another event loop) is the same with
or without it. ``streamlib run FILE --web`` and ``Runtime(web=...)`` both use it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType

from ..control import Permissions, PipelineHost, event_loop_options
from ..core import ConfigError
from ._serving import check_web_bind, serve_web

__all__ = ["WebOptions", "WebServer"]

_READY_S = 30.0  # generous: importing uvicorn and binding take well under a second
_DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class WebOptions:
    """Where and how to serve the web API: ``host`` (127.0.0.1 by default; any other
    address needs ``token``), ``port`` (0 picks a free one), and what its clients may
    add (``permissions``: nothing that names a file, device, plug-in or URL by default).

    :meth:`of` also reads the short forms ``Runtime(web=...)`` takes: ``True``, a port
    number, or ``"HOST:PORT"``.
    """

    host: str = _DEFAULT_HOST
    port: int = 0
    token: str | None = field(default=None, repr=False)
    permissions: Permissions = field(default_factory=Permissions)

    def __post_init__(self) -> None:
        check_web_bind(self.host, self.port, self.token, give_token="give WebOptions(token=...)")

    @classmethod
    def of(cls, value: WebOptions | str | int | bool) -> WebOptions:
        """``value`` as options: ``True`` (127.0.0.1, a free port), ``8080``,
        ``"0.0.0.0:8080"`` or ``"[::1]:8080"`` (a token is then given as options)."""
        if isinstance(value, WebOptions):
            return value
        if value is True:
            return cls()
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(port=value)
        if isinstance(value, str):
            host, colon, port = value.rpartition(":")
            host = host.removeprefix("[").removesuffix("]") if colon else _DEFAULT_HOST
            if port.isdigit() and host:
                return cls(host=host, port=int(port))
        raise ConfigError(
            f"web={value!r} is not an address to serve on: give True, a port (8080), "
            "'HOST:PORT' ('127.0.0.1:8080'), or WebOptions(host=..., port=..., token=...)"
        )


class WebServer:
    """Serves the web API over ``host`` on a thread of its own until :meth:`stop`.

    :meth:`start` returns once the socket listens (``ConfigError`` when it cannot, e.g.
    the port is taken); :attr:`url` is the API's address, :attr:`page_url` the page's.
    The host is the caller's: stopping the server leaves it (and its runtime) as it is.
    """

    def __init__(self, host: PipelineHost, options: WebOptions | None = None) -> None:
        self.host = host
        self.options = options if options is not None else WebOptions()
        self.url: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def page_url(self) -> str | None:
        """The page at ``/`` (``None`` before the server listens)."""
        return None if self.url is None else self.url.removesuffix("api")

    def start(self) -> str:
        """Start serving and return :attr:`url`; calling it again does nothing."""
        if self._thread is not None:
            assert self.url is not None
            return self.url
        import anyio  # with the web extra, as uvicorn is

        ready = threading.Event()
        failure: list[BaseException] = []
        options = self.options

        def announce(url: str) -> None:
            self.url = url
            ready.set()

        def serve() -> None:
            try:
                anyio.run(
                    partial(
                        serve_web,
                        self.host,
                        bind_host=options.host,
                        port=options.port,
                        token=options.token,
                        on_ready=announce,
                        stop=self._stop,
                    ),
                    backend_options=event_loop_options(),
                )
            except BaseException as error:  # reported by start(), on the caller's thread
                failure.append(error)
            finally:
                ready.set()

        self._stop.clear()
        self._thread = threading.Thread(target=serve, name="streamlib-web", daemon=True)
        self._thread.start()
        ready.wait(_READY_S)
        if failure or self.url is None:
            self._thread.join(_READY_S)
            self._thread = None
            why = failure[0] if failure else f"it did not listen within {_READY_S:.0f} s"
            raise ConfigError(f"the web API could not start: {why}")
        return self.url

    def stop(self) -> None:
        """Stop serving (open event streams get a few seconds to close); safe to repeat."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(_READY_S)
        self._thread = None
        self.url = None

    def __enter__(self) -> WebServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
