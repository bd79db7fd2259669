"""The ``streamlib`` command line: run pipelines, list and describe processors, draw graphs."""

from ._app import build_parser, main

__all__ = ["build_parser", "main"]
