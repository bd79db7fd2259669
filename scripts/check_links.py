"""Check the links of the docs: a built site's internal links, and Markdown files' paths.

    python scripts/check_links.py --site site README.md --paths-only docs

- In the built site (``--site DIR``), every ``href`` and ``src`` that stays inside the
  site must name a file that exists, and a ``#fragment`` an ``id`` on that page.
- In each Markdown file given, a relative link ``[text](path)`` must name a file or
  folder that exists, counted from the file's folder. (The site's own pages are left
  to ``mkdocs build --strict``, which knows the generated pages and the anchors:
  give them with ``--paths-only``.)
- In those and the ``--paths-only`` files (or each ``.md`` under a folder), a path in
  backticks that starts at one of the repository's top-level
  folders (```examples/demo.yaml```, ```bench/results/*.json```) must exist, counted
  from the repository root; one starting with ``../`` leads out of a clone and fails.

Paths are checked against the files git tracks (what a clone has), or the working
tree outside a git checkout. External links (``https://...``) are not fetched: the
check must pass without a network. Exit status 1 with one line per broken link.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]

_MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BACKTICK = re.compile(r"(?<!`)`([^`\s]+)`(?!`)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MISSING = "not in the repository (git ls-files), so not in a clone"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site folder to check")
    parser.add_argument("markdown", nargs="*", type=Path, help="Markdown files to check")
    parser.add_argument(
        "--paths-only",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="Markdown files or folders whose backticked paths only are checked",
    )
    args = parser.parse_args(argv)
    problems: list[str] = []
    if args.site is not None:
        problems += check_site(args.site)
    tracked = _tracked_files()
    for file in args.markdown:
        problems += check_markdown(file, tracked, links=True)
    for path in args.paths_only:
        for file in sorted(path.rglob("*.md")) if path.is_dir() else [path]:
            problems += check_markdown(file, tracked, links=False)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in {"id", "name"}:
                self.ids.add(value)
            elif name in {"href", "src"}:
                self.links.append(value)


def check_site(site: Path) -> list[str]:
    site = site.resolve()
    pages: dict[Path, _Page] = {}
    for html in sorted(site.rglob("*.html")):
        page = _Page()
        page.feed(html.read_text(encoding="utf-8"))
        pages[html] = page
    problems = []
    for html, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
                continue  # external: not fetched
            if parts.path:
                # "/x" counts from the site's root (the 404 page links that way).
                base = site if parts.path.startswith("/") else html.parent
                target = (base / unquote(parts.path).lstrip("/")).resolve()
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = html
            where = html.relative_to(site)
            if not target.is_relative_to(site):
                problems.append(f"{where}: {link} leads out of the site")
            elif not target.exists():
                problems.append(f"{where}: {link}: no such file in the site")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: {link}: no id {parts.fragment!r} on that page")
    return problems


def check_markdown(file: Path, tracked: set[str] | None, *, links: bool) -> list[str]:
    problems = []
    file = file.resolve()
    name = file.relative_to(ROOT) if file.is_relative_to(ROOT) else file
    top_level = {PurePosixPath(p).parts[0] for p in tracked} if tracked else _top_level()
    in_fence = False
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for target in _MD_LINK.findall(line) if links else []:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            path = (file.parent / unquote(parts.path)).resolve()
            if not _exists(path, tracked):
                problems.append(
                    f"{name}:{number}: link {target!r}: not in the repository (git ls-files)"
                )
        for token in _BACKTICK.findall(line):
            if token.startswith("../"):
                problems.append(f"{name}:{number}: {token!r} leads out of the repository")
                continue
            first = token.split("/", 1)[0]
            if "/" not in token or first not in top_level or "=" in token or ":" in token:
                continue
            if not _exists(ROOT / token, tracked):
                problems.append(
                    f"{name}:{number}: path {token!r}: not in the repository (git ls-files)"
                )
    return problems


def _exists(path: Path, tracked: set[str] | None) -> bool:
    if not path.is_relative_to(ROOT):
        return False
    relative = path.relative_to(ROOT).as_posix().rstrip("/")
    if tracked is None:
        return bool(list(ROOT.glob(relative))) if "*" in relative else path.exists()
    if relative in {"", "."}:
        return True
    if "*" in relative:
        return any(fnmatch.fnmatch(p, relative) for p in tracked)
    return relative in tracked or any(p.startswith(relative + "/") for p in tracked)


def _tracked_files() -> set[str] | None:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout: the working tree is the truth
    return {name for name in listing.decode().split("\0") if name}


def _top_level() -> set[str]:
    return {p.name for p in ROOT.iterdir() if not p.name.startswith(".")}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
