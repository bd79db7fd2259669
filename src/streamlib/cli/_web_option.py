"""``streamlib run FILE --web [HOST:]PORT``: the web API over the pipeline while it runs.

::

    with serving_web(runtime, args):     # prints the URL; nothing happens without --web
        runtime.run()

The server (:class:`streamlib.web.WebServer`) runs on a thread of its own with its own
event loop, so the run (its progress, Ctrl-C handling, outcome and exit status) is the
same with or without it; it stops when the run ends. Its host wraps the run's runtime
without owning it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..runtime import Runtime
from ._grant_options import (
    add_grant_options,
    granted_any,
    permissions_from,
    token_from,
    web_address,
)
from ._missing_extra import missing_extra

__all__ = ["add_web_option", "announce_web", "check_web_option", "serving_web"]


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
    from ..control import PipelineHost
    from ..web import TOKEN_ENV, WebOptions, WebServer

    bind_host, port = args.web
    options = WebOptions(
        host=bind_host,
        port=port,
        token=token_from(args, TOKEN_ENV),
        permissions=permissions_from(args),
    )
    host = PipelineHost(runtime=runtime, permissions=options.permissions)
    try:
        with WebServer(host, options) as server:
            assert server.url is not None
            announce_web("streamlib", server.url, token=options.token is not None)
            yield
    finally:
        host.close()


def announce_web(command: str, url: str, *, token: bool) -> None:
    """Say on stderr where the API and its page are (and, with a token, how the page
    gets it: in the address's fragment, which the browser keeps to itself)."""
    page = url.removesuffix("api")
    how = f"{page}#token=TOKEN, or enter the token when it asks" if token else page
    print(f"{command}: serving the web API at {url} (the page: {how})", file=sys.stderr, flush=True)
