"""``streamlib graph``: draw a pipeline file as DOT, Mermaid or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core import Graph, Registry
from ..runtime._staging import stage_pipeline
from ._plugin_option import add_plugin_option, load_plugins

__all__ = ["add_graph_command"]


def add_graph_command(commands: Any) -> None:
    parser = commands.add_parser(
        "graph",
        help="print a pipeline file's graph as DOT, Mermaid or JSON",
        description="Validate a pipeline file and print its graph. "
        "DOT renders with Graphviz (`| dot -Tsvg > graph.svg`); Mermaid renders in Markdown.",
    )
    parser.add_argument("file", metavar="FILE", help="a YAML or JSON pipeline file")
    parser.add_argument(
        "--format", choices=("dot", "mermaid", "json"), default="mermaid", help="default: mermaid"
    )
    add_plugin_option(parser)
    parser.set_defaults(handler=_graph)


def _graph(args: argparse.Namespace) -> int:
    load_plugins(args)
    # Staged as the runtime loads it, so `isolation: process` entries show their process
    # boundary (constructing them starts no process; only running does).
    graph = stage_pipeline(args.file, Registry.default(), Graph())
    if args.format == "dot":
        print(graph.to_dot(), end="")
    elif args.format == "mermaid":
        print(graph.to_mermaid(), end="")
    else:
        print(json.dumps(graph.to_dict(), indent=2))
    return 0
