"""``streamlib run FILE --web [HOST:]PORT``: the web API over the pipeline while it runs.

::

    with serving_web(runtime, args):     # prints the URL; nothing happens without --web
        runtime.run()

The server runs on a thread of its own with its own event loop, so the run (its
progress, Ctrl-C handling, outcome and exit status) is the same with or without it; it
stops when the run ends. Its host wraps the run's runtime without owning it.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from ..core import ConfigError
from ..runtime import Runtime
from ._grant_options import (
    add_grant_options,
    granted_any,
    permissions_from,
    token_from,
    web_address,
)
from ._missing_extra import missing_extra

__all__ = ["add_web_option", "check_web_option", "serving_web"]

_READY_S = 30.0  # generous: importing Starlette and binding take well under a second


def add_web_option(parser: Any) -> None:
    """Add ``--web [HOST:]PORT``, ``--token`` and the ``--allow-*`` grants of its API."""
    group = parser.add_argument_group("web API (see docs/web.md)")
    group.add_argument(
        "--web",
        type=web_address,
        metavar="[HOST:]PORT",
        help="serve the web API (operations, graph, statistics, events) for this run at "
        "http://HOST:PORT/api; HOST defaults to 127.0.0.1, PORT 0 picks a free one",
    )
    group.add_argument(
        "--token",
        help="bearer token web clients must send (default: $STREAMLIB_WEB_TOKEN); required "
        "for any address other than loopback",
    )
    add_grant_options(parser, "what web clients may add (with --web; all off by default)")


def check_web_option(args: argparse.Namespace) -> str | None:
    """What is wrong with the web options (flags given without ``--web``, a non-loopback
    address without a token), before anything starts; ``None`` when nothing is."""
    if args.web is None:
        stray = ["--token"] if args.token is not None else []
        stray += ["--allow-*"] if granted_any(args) else []
        return f"{', '.join(stray)} only apply with --web" if stray else None
    try:
        from ..web import TOKEN_ENV, check_web_bind
    except ImportError as error:
        return missing_extra("--web", "web", error)
    bind_host, port = args.web
    check_web_bind(bind_host, port, token_from(args, TOKEN_ENV))
    return None


@contextmanager
def serving_web(runtime: Runtime, args: argparse.Namespace) -> Iterator[None]:
    """Serve the web API over ``runtime`` while the block runs (only with ``--web``)."""
    if args.web is None:
        yield
        return
    import anyio

    from ..control import PipelineHost
    from ..web import TOKEN_ENV, serve_web

    bind_host, port = args.web
    host = PipelineHost(runtime=runtime, permissions=permissions_from(args))
    ready = threading.Event()
    stop = threading.Event()
    failure: list[BaseException] = []

    def announce(url: str) -> None:
        page = url.removesuffix("api")
        print(
            f"streamlib: serving the web API at {url} (the page: {page})",
            file=sys.stderr,
            flush=True,
        )
        ready.set()

    def serve() -> None:
        try:
            anyio.run(
                partial(
                    serve_web,
                    host,
                    bind_host=bind_host,
                    port=port,
                    token=token_from(args, TOKEN_ENV),
                    on_ready=announce,
                    stop=stop,
                )
            )
        except BaseException as error:  # reported by the run's thread, below
            failure.append(error)
        finally:
            ready.set()

    thread = threading.Thread(target=serve, name="streamlib-web", daemon=True)
    thread.start()
    try:
        ready.wait(_READY_S)
        if failure:
            raise ConfigError(f"the web API could not start: {failure[0]}")
        yield
    finally:
        stop.set()
        thread.join(_READY_S)
        host.close()
