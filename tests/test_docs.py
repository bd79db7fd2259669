"""The docs site's generated parts and its examples, without building the site.

``scripts/docs.sh`` builds the whole site (strict) and checks its links; these tests
keep the pieces it is made of honest in the ordinary test run: the catalogue covers
every processor type with its allowed values, docstrings become Markdown, the link
checker catches what it is for, and the Python examples of the getting-started
page run as written.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from streamlib.core import Registry

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_docs_test_{name}", ROOT / "scripts" / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_catalogue_has_every_processor_type_with_its_allowed_values() -> None:
    page = _script("docs_catalog.py").catalogue()
    registry = Registry.default()
    for name in registry.names():
        assert f"\n## {name}\n" in page
        assert f"[{name}](#{name.lower()})" in page
    pattern = page.split("\n## TestPattern\n", 1)[1].split("\n## ", 1)[0]
    assert "| `pattern` | one of `bars`, `gradient`, `checker` | `bars` | live |" in pattern
    assert "install: `pip install streamlib` (no extra)" in pattern
    camera = page.split("\n## Camera\n", 1)[1].split("\n## ", 1)[0]
    assert "install: `pip install 'streamlib[media]'`" in camera
    assert "- needs `camera`" in camera
    assert "| `video` | output | `VideoFrame` |" in camera
    writer = page.split("\n## Mp4Writer\n", 1)[1].split("\n## ", 1)[0]
    assert "`path` names a file written: `write`" in writer
    # A recorder loses nothing: its inputs are lossless.
    assert "| `video` | input | `VideoFrame` | `lossless` | 16 |" in writer


def test_docstrings_become_markdown() -> None:
    to_markdown = _script("docs_markdown.py").rst_to_markdown
    text = (
        "Read it into a :class:`~streamlib.core.PipelineSpec`.\n"
        "\n"
        "Example pipeline entry::\n"
        "\n"
        "    src: {type: TestPattern}\n"
        "\n"
        ">>> parse('[a.audio -> b.audio]')\n"
        "['a.audio -> b.audio']\n"
        "\n"
        "Topics are processor:<id>, see ``processor:<id>``."
    )
    assert to_markdown(text).splitlines() == [
        "Read it into a ``PipelineSpec``.",
        "",
        "Example pipeline entry:",
        "",
        "```yaml",
        "src: {type: TestPattern}",
        "```",
        "",
        "",
        "```pycon",
        ">>> parse('[a.audio -> b.audio]')",
        "['a.audio -> b.audio']",
        "```",
        "",
        "",
        "Topics are processor:&lt;id&gt;, see ``processor:<id>``.",
    ]


def test_the_link_check_finds_paths_outside_a_clone_and_missing_files(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "See `../shared/DESIGN.md`, [runtime](docs/runtime.md), [gone](nowhere.md),\n"
        "`examples/demo.yaml`, `examples/no-such.yaml` and [web](https://example.org).\n"
        "```\n[in code](ignored.md)\n```\n"
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_links.py"), str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    problems = result.stderr.splitlines()
    assert len(problems) == 4, problems  # runtime.md counts from the page's own folder
    assert any("'../shared/DESIGN.md' leads out of the repository" in p for p in problems)
    assert any("link 'docs/runtime.md'" in p for p in problems)
    assert any("link 'nowhere.md'" in p for p in problems)
    assert any("path 'examples/no-such.yaml'" in p for p in problems)


def test_the_link_check_passes_the_readme() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_links.py"), str(ROOT / "README.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


_EXAMPLES = re.findall(
    r"```python\n(.*?)```", (ROOT / "docs" / "getting-started.md").read_text(), flags=re.DOTALL
)


@pytest.mark.parametrize("number", range(len(_EXAMPLES)))
def test_the_getting_started_examples_run(number: int, capsys: pytest.CaptureFixture[str]) -> None:
    # Later examples use the classes earlier ones define, as a reader's session would.
    namespace: dict[str, object] = {"__name__": "getting_started"}
    for code in _EXAMPLES[: number + 1]:
        shorter = code.replace("duration=5.0", "duration=0.3")
        exec(compile(shorter, "docs/getting-started.md", "exec"), namespace)
    capsys.readouterr()
