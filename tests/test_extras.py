"""Each extra alone works: optional libraries load only where used, and a missing one is named.

The full matrix (a wheel installed in fresh environments, one per extra) is
scripts/check_extras.sh; these are the parts that can be checked in a second.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any, ClassVar

import pytest

import streamlib as sl
from streamlib.cli import main
from streamlib.core import Requirement

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "streamlib"
OPTIONAL = (
    "av",
    "sounddevice",
    "soxr",
    "wgpu",
    "glfw",
    "PIL",
    "aiortc",
    "aiohttp",
    "aioice",
    "mcp",
    "iceoryx2",
)


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_importing_and_listing_processors_loads_no_optional_library() -> None:
    result = _run_python(
        f"""
        import contextlib, io, sys
        import streamlib
        from streamlib.processors import NullSink, TestPattern, ColorInvert, Mp4Writer, WhepServer
        from streamlib.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["list"]) == 0
        print(sorted(m for m in {OPTIONAL!r} if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_processor_module_imports_an_optional_library_at_module_level() -> None:
    """Module level means outside functions and ``if TYPE_CHECKING:``; the registry needs
    every class module to import on a plain install, to list its type as unavailable."""
    gpu_light = {"Fit", "Rect", "fit_rect", "kernels", "open_window", "require_display"}
    # Helpers that exist to wrap one library, imported by processors inside methods only.
    wrappers = {"_overlay_drawing.py"}
    for path in sorted((PACKAGE / "processors").rglob("*.py")):
        if path.name in wrappers:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.module in {"gpu", "webrtc", "media"}:
                # Relative ``from ..gpu import X``: only the parts that need no wgpu.
                heavy = {alias.name for alias in node.names} - (
                    gpu_light if node.module == "gpu" else set()
                )
                assert not heavy, f"{path.name} imports {sorted(heavy)} from ..{node.module}"
                continue
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in OPTIONAL, f"{path.name} imports {name}"


def test_a_family_whose_library_is_missing_is_listed_with_its_install_hint() -> None:
    # sys.modules[name] = None is how Python spells "this module cannot be imported".
    result = _run_python(
        """
        import contextlib, io, json, sys
        sys.modules["wgpu"] = None
        from streamlib.cli import main

        def run(*args):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = main(list(args))
            return status, out.getvalue()

        status, listed = run("list")
        _, described = run("describe", "ColorInvert")
        _, as_json = run("list", "--json")
        from streamlib.processors import ColorInvert
        try:
            ColorInvert()
        except Exception as error:
            refused = f"{type(error).__name__}: {error}"
        print(json.dumps({"status": status, "listed": listed, "described": described,
                          "json": json.loads(as_json), "refused": refused}))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "skipping" not in result.stderr
    found = json.loads(result.stdout)
    assert found["status"] == 0
    lines = {line.split()[0]: line for line in found["listed"].splitlines()}
    hint = "(unavailable: needs wgpu: pip install 'streamlib[gpu]')"
    assert lines["ColorInvert"].endswith(hint)
    assert lines["Compositor"].endswith(hint)
    assert "unavailable" not in lines["TestPattern"]
    assert len(lines) == len(sl.Registry.default().names())
    assert "unavailable here: needs wgpu: pip install 'streamlib[gpu]'" in found["described"]
    by_name = {entry["name"]: entry for entry in found["json"]}
    assert by_name["GaussianBlur"]["unavailable"] == "needs wgpu: pip install 'streamlib[gpu]'"
    assert "unavailable" not in by_name["NullSink"]
    assert found["refused"] == "ConfigError: ColorInvert needs wgpu: pip install 'streamlib[gpu]'"


def test_a_processor_declares_what_it_requires_and_the_registry_says_so() -> None:
    class Fancy(sl.Processor):
        """Needs a library this machine does not have."""

        requires: ClassVar[tuple[Requirement, ...]] = (
            Requirement("fancy", ("streamlib_no_such_module",), package="fancy-effects"),
        )
        video_in = sl.Input(sl.VideoFrame)

        def process(self) -> None:
            self.video_in.read_latest()

    registry = sl.Registry()
    registry.register(Fancy)
    assert registry.names() == ["Fancy"]
    expected = "needs streamlib_no_such_module: pip install 'fancy-effects[fancy]'"
    assert registry.unavailable("Fancy") == expected
    with pytest.raises(sl.ConfigError, match=r"Fancy needs streamlib_no_such_module"):
        Fancy()


def test_every_builtin_is_available_with_every_extra_installed() -> None:
    registry = sl.Registry.default()
    assert {name: registry.unavailable(name) for name in registry.names()} == dict.fromkeys(
        registry.names()
    )


def test_the_all_extra_holds_every_other_extra() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    others = {req for name, reqs in extras.items() if name not in {"all", "dev"} for req in reqs}
    assert set(extras["all"]) == others
    assert others <= set(extras["dev"]), "the dev extra installs every optional part too"


def test_each_requirement_names_an_extra_that_installs_its_modules() -> None:
    """``requires`` on a built-in and the extras in pyproject.toml agree."""
    extras = _pyproject()["project"]["optional-dependencies"]
    distributions = packages_distributions()
    registry = sl.Registry.default()
    for name in registry.names():
        for requirement in registry.get(name).requires:
            listed = extras[requirement.extra]
            names = {re.split(r"[\[<>=!;~ ]", req, maxsplit=1)[0].lower() for req in listed}
            for module in requirement.modules:
                provided = {d.lower() for d in distributions[module]}
                assert provided & names, (
                    f"{name}: {module} is not in the {requirement.extra!r} extra"
                )


def test_the_build_requirement_reads_the_license_string() -> None:
    project = _pyproject()
    assert "setuptools>=77" in project["build-system"]["requires"]
    assert isinstance(project["project"]["license"], str)
    assert any(
        c.startswith("Topic :: Multimedia :: Video") for c in project["project"]["classifiers"]
    )


def test_streamlib_example_lists_the_shipped_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "demo.yaml" in lines
    assert "test pattern" in lines["demo.yaml"]
    assert "news_cast.py" in lines


def test_streamlib_example_names_the_demo_that_streamlib_run_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["example", "demo"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.name == "demo.yaml"
    assert path.read_text() == (ROOT / "examples" / "demo.yaml").read_text()
    assert main(["graph", str(path), "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert "recorder" in json.dumps(graph)


def test_an_unknown_example_gets_the_nearest_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "dmeo"]) == 2
    assert "did you mean 'demo'?" in capsys.readouterr().err
