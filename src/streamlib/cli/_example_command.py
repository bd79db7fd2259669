"""``streamlib example``: the example pipelines and programs that ship with streamlib.

A wheel carries the repository's ``examples/`` as ``streamlib/examples/`` (setup.py);
an editable install reads the checkout's ``examples/``. So after any install::

    streamlib example                                   # what there is, one line each
    streamlib run "$(streamlib example demo)" --duration 10
    python "$(streamlib example news_cast.py)" out.mp4
"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..core import did_you_mean

__all__ = ["add_example_command", "example_files", "examples_folder", "find_example"]

_SUFFIXES = (".yaml", ".py")


def add_example_command(commands: Any) -> None:
    parser = commands.add_parser(
        "example",
        help="list the shipped examples, or print where one is",
        description="Without NAME, list the examples that ship with streamlib. With NAME "
        "(a file name; the .yaml may be left out), print its path, so that "
        '`streamlib run "$(streamlib example demo)"` runs it.',
    )
    parser.add_argument("name", metavar="NAME", nargs="?", help="e.g. demo or news_cast.py")
    parser.add_argument(
        "--show", action="store_true", help="print the file's contents instead of its path"
    )
    parser.set_defaults(handler=_example)


def examples_folder() -> Path:
    """Where the examples are: inside the installed package, else the source checkout's."""
    shipped = Path(str(files("streamlib"))) / "examples"
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[3] / "examples"


def example_files() -> list[Path]:
    """Every shipped pipeline file and program, pipeline files first, each sorted by name."""
    folder = examples_folder()
    if not folder.is_dir():
        return []
    return [path for suffix in _SUFFIXES for path in sorted(folder.glob(f"*{suffix}"))]


def find_example(name: str) -> Path | None:
    """The example called ``name`` (``demo``, ``demo.yaml``, ``news_cast.py``), or None.

    A bare name means the pipeline file when there is one (``transcode`` is
    ``transcode.yaml``; ``transcode.py`` is the program).
    """
    by_name = {path.name: path for path in example_files()}
    for candidate in (name, *(name + suffix for suffix in _SUFFIXES)):
        if candidate in by_name:
            return by_name[candidate]
    return None


def summary(path: Path) -> str:
    """The example's first sentence: its leading comment (YAML) or docstring (Python)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        doc = ast.get_docstring(ast.parse(text)) or ""
        first = doc.split("\n\n", 1)[0]
    else:
        lines = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            words = line.lstrip("#").strip()
            if not words:
                break
            lines.append(words)
        first = " ".join(lines)
    sentence = first.split(". ", 1)[0].split(":\n", 1)[0].strip().rstrip(".:")
    return textwrap.shorten(" ".join(sentence.split()), width=96, placeholder=" ...")


def _example(args: argparse.Namespace) -> int:
    if args.name is None:
        found = example_files()
        if not found:
            print(f"streamlib: no examples found in {examples_folder()}", file=sys.stderr)
            return 1
        width = max(len(path.name) for path in found)
        for path in found:
            print(f"{path.name:<{width}}  {summary(path)}")
        print(f"\n(in {examples_folder()}; `streamlib example NAME` prints one's path)")
        return 0
    example = find_example(args.name)
    if example is None:
        names = {n for p in example_files() for n in (p.name, p.stem)}
        hint = did_you_mean(args.name, names, what="examples")
        print(f"streamlib: error: no example {args.name!r}; {hint}", file=sys.stderr)
        return 2
    if args.show:
        sys.stdout.write(example.read_text(encoding="utf-8"))
    else:
        print(example)
    return 0
