"""streamlib's docstrings (reStructuredText habits) as Markdown, for the docs site.

The docstrings are written for ``help()`` and editors: ``literal``, ``Example::``
followed by an indented block, ``>>>`` doctests, ``:class:`Name``` roles.
Markdown keeps double backticks as code but would run a doctest into the text
around it (and read ``[a -> b]`` in it as a link), so this module turns

- a paragraph ending in ``::`` and the indented block after it into fenced code,
- a run of ``>>>`` lines (with the output under them) into a ``pycon`` block,
- roles (``:meth:`to_dict```, ``:class:`~x.Graph```) into code (``to_dict``, ``Graph``),
- reStructuredText's escaped space (``Requirement\\ s``) into nothing,
- ``<`` and ``>`` outside code into text (``processor:<id>`` is not an HTML tag).

Two users: ``RstDocstrings``, a griffe extension that mkdocstrings loads
(``extensions:`` in mkdocs.yml) for the API reference, and the processor
catalogue (docs_catalog.py), for the processors' own descriptions.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

__all__ = ["RstDocstrings", "rst_to_markdown"]

_ROLE = re.compile(r":(?:meth|attr|func|class|data|mod|exc|obj|const|py:\w+):`(~?)([^`]+)`")
_CODE = re.compile(r"(``[^`]+``|`[^`]+`)")
_PYTHON = re.compile(r"^\s*(import |from \w|def |class |with |for |\w+(\.\w+)* = )|\w\(", re.M)
_YAML = re.compile(r"^\s*[\w.-]+:(\s|$)", re.M)


def rst_to_markdown(text: str) -> str:
    """``text`` with literal blocks, doctests and roles in Markdown."""
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    in_fence = False
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped.startswith("```"):
            in_fence = not in_fence
        if in_fence or stripped.startswith("```"):
            out.append(line)
            index += 1
            continue
        if stripped.startswith(">>>"):
            block = []
            while index < len(lines) and lines[index].strip():
                block.append(lines[index][len(indent) :])
                index += 1
            out += _fence(block, "pycon", indent)
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            lead = line.rstrip()[:-2].rstrip()
            if lead.strip():
                out.append(_inline(lead) + ("" if lead.endswith(":") else ":"))
            index += 1
            block = []
            while index < len(lines) and (
                not lines[index].strip() or _width(lines[index]) > len(indent)
            ):
                block.append(lines[index])
                index += 1
            code = textwrap.dedent("\n".join(block)).strip("\n").splitlines()
            out += _fence(code, _language("\n".join(code)), indent)
            continue
        out.append(_inline(line))
        index += 1
    return "\n".join(out)


def _width(line: str) -> int:
    return len(line) - len(line.lstrip())


def _fence(code: list[str], language: str, indent: str) -> list[str]:
    body = [f"{indent}{line}" if line.strip() else "" for line in code]
    return ["", f"{indent}```{language}", *body, f"{indent}```", ""]


def _language(code: str) -> str:
    if code.lstrip().startswith(("{", "[")) and '"' in code:
        return "json"
    if _YAML.search(code) and not _PYTHON.search(code.split("\n", 1)[0]):
        return "yaml"
    return "python" if _PYTHON.search(code) else "text"


def _inline(line: str) -> str:
    def code(match: re.Match[str]) -> str:
        target = match.group(2)
        if match.group(1):  # ~a.b.C shows as C
            target = target.rsplit(".", 1)[-1]
        return f"``{target}``"

    parts = _CODE.split(_ROLE.sub(code, line).replace("\\ ", ""))
    for i in range(0, len(parts), 2):  # outside code spans: < and > are text, not HTML
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "".join(parts)


class RstDocstrings(griffe.Extension):
    """Rewrite each docstring griffe reads into Markdown before mkdocstrings renders it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
