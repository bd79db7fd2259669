"""Processors from outside streamlib: an installed plug-in package (an entry point), a
local ``.py`` file named by a pipeline file (``plugins:``, ``type: MODULE:Class``) or
by ``--plugin``, and the MCP server, where loading local code needs its own grant.

The package is built and installed for real (``pip install --target`` into a temporary
folder, put on ``PYTHONPATH`` / ``sys.path`` only for these tests), so the virtual
environment is never changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client, StdioServerParameters

import streamlib as sl
from mcp_support import WAIT_S, call, call_error, run_async
from runtime_support import streamlib_threads
from streamlib.mcp import Permissions, PipelineHost, create_server
from streamlib.pipelines import LocalType, graph_from_spec, load_graph, parse_pipeline
from streamlib.processors import Collector, TestPattern

FRAMES = 6

# Subtracts each pixel from 255: a real transform, checked on the pixels that come out.
LOCAL_MODULE = '''\
"""Effects of my own."""

from __future__ import annotations

import streamlib as sl
from streamlib.processors import Passthrough  # imported, so not one of this file's types


class Invert(sl.Processor):
    """Invert the colors of each frame."""

    video_in = sl.Input(sl.VideoFrame)
    video_out = sl.Output(sl.VideoFrame)

    def process(self) -> None:
        frame = self.video_in.read_latest()
        if frame is not None:
            self.video_out.write(frame.replace(data=255 - frame.to_ndarray()))


class _Helper(sl.Processor):
    """Private: not offered."""


def not_a_processor() -> None:
    """A function, not a processor class."""
'''

# Adds ``amount`` to each pixel (saturating); installed as an entry point.
PACKAGE_MODULE = '''\
"""A throwaway plug-in package."""

import numpy as np

import streamlib as sl


class Tint(sl.Processor):
    """Brighten every pixel by a constant."""

    class Config(sl.ProcessorConfig):
        amount: int = sl.live_field(10, description="Added to every channel.")

    video_in = sl.Input(sl.VideoFrame)
    video_out = sl.Output(sl.VideoFrame)

    def process(self) -> None:
        frame = self.video_in.read_latest()
        if frame is not None:
            data = frame.to_ndarray().astype(np.int16) + self.config.amount
            self.video_out.write(frame.replace(data=np.clip(data, 0, 255).astype(np.uint8)))
'''

PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.4"]
build-backend = "flit_core.buildapi"

[project]
name = "sl-tint-plugin"
version = "0.1.0"
description = "A throwaway streamlib plug-in package."

[project.entry-points."streamlib.processors"]
Tint = "sl_tint_plugin:Tint"
"""

JOB = f"""\
plugins: [my_effects.py]
processors:
  src: {{type: TestPattern, config: {{width: 32, height: 24, frames: {FRAMES}, realtime: false}}}}
  tint: {{type: Tint, config: {{amount: 20}}}}
  inv: {{type: Invert}}
  sink: {{type: NullSink}}
connections:
  - src.video -> tint.video_in
  - {{from: tint.video_out, to: inv.video_in, profile: lossless}}
  - {{from: inv.video_out, to: sink.video, profile: lossless}}
"""


@pytest.fixture(scope="module")
def package_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plug-in package, built from its pyproject and installed into its own folder."""
    source = tmp_path_factory.mktemp("sl-tint-plugin")
    (source / "pyproject.toml").write_text(PYPROJECT)
    (source / "sl_tint_plugin").mkdir()
    (source / "sl_tint_plugin" / "__init__.py").write_text(PACKAGE_MODULE)
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(source),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"building the plug-in package failed:\n{done.stderr}"
    entry_points = next(site.glob("sl_tint_plugin-*.dist-info")) / "entry_points.txt"
    assert "Tint = sl_tint_plugin:Tint" in entry_points.read_text().replace("=", " = ", 1)
    return site


@pytest.fixture
def effects(tmp_path: Path) -> Path:
    """A folder holding ``my_effects.py`` and the job file that uses it."""
    folder = tmp_path / "effects"
    folder.mkdir()
    (folder / "my_effects.py").write_text(LOCAL_MODULE)
    (folder / "job.yaml").write_text(JOB)
    return folder


def _env(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}


def _streamlib(args: list[str], *, cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamlib", *args],
        check=False,
        cwd=cwd,
        env=_env(site),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def registry_with_package(package_site: Path, monkeypatch: pytest.MonkeyPatch) -> sl.Registry:
    """A fresh registry that found the installed package through its entry point."""
    monkeypatch.syspath_prepend(str(package_site))
    registry = sl.Registry()
    registry.load_entry_points()
    assert "Tint" in registry, registry.load_errors
    return registry


def _first_pattern_frame() -> sl.VideoFrame:
    """The first frame of the job's TestPattern, as it comes out of the source."""
    with sl.Runtime() as runtime:
        source = runtime.add(TestPattern, width=32, height=24, frames=1, realtime=False)
        collect = runtime.add(Collector)
        runtime.connect(source.video, collect.video)
        runtime.run(WAIT_S)
        sink = runtime.processor(str(collect.id))
        assert isinstance(sink, Collector)
        (frame,) = sink.received()
    assert isinstance(frame, sl.VideoFrame)
    return frame


def _assert_tinted_then_inverted(frame: sl.Frame, first: sl.VideoFrame, amount: int) -> None:
    """``frame`` is ``first`` brightened by ``amount`` (Tint), then inverted (Invert)."""
    assert isinstance(frame, sl.VideoFrame)
    tinted = np.clip(first.to_ndarray().astype(np.int16) + amount, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(frame.to_ndarray(), 255 - tinted)


# -- from the command line ---------------------------------------------------------------


def test_the_package_and_the_local_module_appear_in_list(effects: Path, package_site: Path) -> None:
    listed = _streamlib(["list", "--plugin", "my_effects.py"], cwd=effects, site=package_site)
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert {"Tint", "Invert", "TestPattern"} <= names
    assert "Passthrough" in names  # imported by my_effects.py: listed once, as the built-in
    assert "_Helper" not in names
    described = _streamlib(
        ["describe", "Invert", "--plugin", "my_effects.py", "--json"],
        cwd=effects,
        site=package_site,
    )
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["name"] == "Invert"
    without = _streamlib(["list"], cwd=effects, site=package_site)
    assert "Tint" in without.stdout
    # A local file is used only where it is named.
    assert "Invert" not in {line.split()[0] for line in without.stdout.splitlines() if line}


def test_a_yaml_job_with_both_runs_to_its_end(effects: Path, package_site: Path) -> None:
    stats_file = effects / "stats.json"
    elsewhere = effects.parent  # paths in the file count from its folder, not the cwd
    done = _streamlib(
        ["run", str(effects / "job.yaml"), "--quiet", "--stats-json", str(stats_file)],
        cwd=elsewhere,
        site=package_site,
    )
    assert done.returncode == 0, done.stderr
    stats = json.loads(stats_file.read_text())["processors"]
    assert stats["sink"]["ended"] is True
    assert stats["sink"]["frames_in"] == FRAMES
    assert stats["tint"]["type"] == "Tint"
    assert stats["inv"]["type"] == "Invert"
    drawn = _streamlib(["graph", str(effects / "job.yaml")], cwd=elsewhere, site=package_site)
    assert drawn.returncode == 0, drawn.stderr
    assert "<i>Invert</i>" in drawn.stdout


def test_run_takes_plugin_files_on_the_command_line(effects: Path, package_site: Path) -> None:
    job = effects / "job.yaml"
    job.write_text(JOB.replace("plugins: [my_effects.py]\n", ""))
    failed = _streamlib(["run", str(job), "--quiet"], cwd=effects, site=package_site)
    assert failed.returncode == 2
    assert "job.yaml:4: processor 'inv': no processor type 'Invert'" in failed.stderr
    assert "list the file under 'plugins:' or write type: MODULE:Class" in failed.stderr
    done = _streamlib(
        ["run", str(job), "--quiet", "--plugin", "my_effects.py"], cwd=effects, site=package_site
    )
    assert done.returncode == 0, done.stderr


def test_a_broken_plugin_file_is_one_line_with_its_file_and_line(
    effects: Path, package_site: Path
) -> None:
    (effects / "broken.py").write_text("import streamlib\n\n\nvalue = 1 / 0\n")
    done = _streamlib(["list", "--plugin", "broken.py"], cwd=effects, site=package_site)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "broken.py:4: ZeroDivisionError: division by zero" in done.stderr
    assert "fix the code there" in done.stderr


# -- in-process: the frames that come out ------------------------------------------------


def test_the_pipeline_transforms_frames_with_both_kinds_of_plugin(
    effects: Path, registry_with_package: sl.Registry
) -> None:
    text = JOB.replace("{type: NullSink}", "{type: Collector}").replace(
        "plugins: [my_effects.py]\n", ""
    )
    text = text.replace("{type: Invert}", '{type: "my_effects:Invert"}')
    (effects / "job.yaml").write_text(text)
    with sl.Runtime(registry=registry_with_package) as runtime:
        runtime.load(effects / "job.yaml")
        assert runtime.run(WAIT_S) is sl.RunOutcome.ENDED
        sink = runtime.processor("sink")
        assert isinstance(sink, Collector)
        frames = sink.received()
    assert len(frames) == FRAMES
    first = _first_pattern_frame()
    _assert_tinted_then_inverted(frames[0], first, 20)


# -- loading local files: forms, once only, errors ---------------------------------------


def test_a_local_file_is_loaded_once_whatever_path_reaches_it(tmp_path: Path) -> None:
    (tmp_path / "counted.py").write_text(
        LOCAL_MODULE + "\nwith open(__file__ + '.count', 'a') as _f:\n    _f.write('x')\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link.py").symlink_to(tmp_path / "counted.py")
    path_before = list(sys.path)
    pipeline = parse_pipeline(
        textwrap.dedent("""\
            plugins: [counted.py, ./counted.py, sub/link.py]
            processors:
              a: {type: Invert}
              b: {type: "counted:Invert"}
              c: {type: "sub/link.py:Invert"}
            """),
        path=str(tmp_path / "p.yaml"),
    )
    graph = graph_from_spec(pipeline)
    again = load_graph_from_text(tmp_path, "processors: {d: {type: 'counted.py:Invert'}}")
    classes = {type(graph.processor(pid)) for pid in ("a", "b", "c")}
    classes.add(type(again.processor("d")))
    assert len(classes) == 1
    (cls,) = classes
    assert cls.type_name == "Invert"
    assert cls.__module__ in sys.modules  # pydantic and pickling find it
    assert (tmp_path / "counted.py.count").read_text() == "x"
    assert sys.path == path_before
    assert str(tmp_path) not in sys.path


def load_graph_from_text(folder: Path, text: str) -> sl.Graph:
    (folder / "again.yaml").write_text(text)
    return load_graph(folder / "again.yaml")


def test_a_plugin_may_import_a_module_beside_it(tmp_path: Path) -> None:
    (tmp_path / "shared_maths_0f.py").write_text("OFFSET = 7\n")
    (tmp_path / "uses_sibling.py").write_text(
        LOCAL_MODULE.replace("class Invert", "class Sib")
        + "\nfrom shared_maths_0f import OFFSET  # noqa: E402\n\nassert OFFSET == 7\n"
    )
    graph = load_graph_from_text(tmp_path, "processors: {s: {type: 'uses_sibling:Sib'}}")
    assert type(graph.processor("s")).__name__ == "Sib"
    assert str(tmp_path) not in sys.path


def test_a_dotted_importable_module_names_a_class() -> None:
    graph = graph_from_spec(
        parse_pipeline("processors: {p: {type: 'streamlib.processors:Passthrough'}}")
    )
    assert graph.processor("p").type_name == "Passthrough"
    assert LocalType.parse("a.b:C") == LocalType("a.b", "C")


def _error(folder: Path, text: str) -> str:
    with pytest.raises(sl.PipelineFileError) as info:
        load_graph_from_text(folder, textwrap.dedent(text))
    return str(info.value)


def test_errors_name_the_pipeline_line_and_the_nearest_name(effects: Path) -> None:
    pipe = f"{effects}/again.yaml"
    assert _error(effects, "processors:\n  a: {type: 'my_efects:Invert'}\n").startswith(
        f"{pipe}:2: processor 'a': no module 'my_efects': there is no my_efects.py in {effects}"
    )
    assert "did you mean 'my_effects'?" in _error(effects, "processors: {a: {type: 'my_efects:X'}}")
    message = _error(effects, "processors:\n\n  a: {type: 'my_effects:Invret'}\n")
    assert message.startswith(f"{pipe}:3: processor 'a': {effects}/my_effects.py has no class")
    assert "did you mean 'Invert'?" in message
    message = _error(effects, "processors: {a: {type: 'my_effects:not_a_processor'}}")
    assert "not_a_processor is a function, not a streamlib.Processor subclass" in message
    message = _error(effects, "plugins:\n  - my_effects.py\n  - my_efects.py\nprocessors: {}\n")
    assert message.startswith(f"{pipe}:3: plug-in 'my_efects.py': no file {effects}/my_efects.py")
    assert "did you mean 'my_effects.py'?" in message
    message = _error(effects, "plugins: [my_effects.py]\nprocessors:\n  a: {type: Invret}\n")
    assert message.startswith(f"{pipe}:3: processor 'a': no processor type 'Invret'")
    assert "did you mean 'Invert'?" in message


def test_errors_inside_a_plugin_name_its_file_and_line(tmp_path: Path) -> None:
    cases = {
        "syntax.py": ("x = 1\ndef broken(:\n", ":2: SyntaxError: ", "fix the syntax there"),
        "needs.py": (
            "import os\nimport no_such_module_xyz\n",
            ":2: ModuleNotFoundError: No module named 'no_such_module_xyz'",
            "install no_such_module_xyz into this Python environment",
        ),
        "raises.py": (
            "import streamlib\n\nraise RuntimeError('no config')\n",
            ":3: RuntimeError: no config",
            "the module raised while being imported; fix the code there",
        ),
    }
    for name, (code, where, todo) in cases.items():
        (tmp_path / name).write_text(code)
        message = _error(tmp_path, f"name: x\nplugins: [{name}]\nprocessors: {{}}\n")
        assert message.startswith(f"{tmp_path}/again.yaml:2: plug-in '{name}': {tmp_path}/{name}")
        assert f"{name}{where}" in message, message
        assert todo in message
    (tmp_path / "raises.py").write_text(LOCAL_MODULE)  # fixed: loads now (failures are not kept)
    load_graph_from_text(tmp_path, "processors: {a: {type: 'raises:Invert'}}")


def test_a_plugin_name_may_not_shadow_another_type(tmp_path: Path) -> None:
    (tmp_path / "shadow.py").write_text(LOCAL_MODULE.replace("class Invert", "class Brightness"))
    (tmp_path / "twin.py").write_text(LOCAL_MODULE)
    (tmp_path / "mine.py").write_text(LOCAL_MODULE)
    message = _error(tmp_path, "plugins: [shadow.py]\nprocessors: {}\n")
    assert "two processor types want the name 'Brightness'" in message
    assert "MODULE:Class" in message
    message = _error(tmp_path, "plugins: [twin.py, mine.py]\nprocessors: {}\n")
    assert message.startswith(f"{tmp_path}/again.yaml:1: plug-in 'mine.py': two processor types")
    # Named as MODULE:Class, both can be used side by side.
    graph = load_graph_from_text(
        tmp_path, "processors: {a: {type: 'twin:Invert'}, b: {type: 'mine:Invert'}}"
    )
    assert type(graph.processor("a")) is not type(graph.processor("b"))


def test_a_file_without_processors_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("from streamlib.processors import Passthrough\n")
    message = _error(tmp_path, "plugins: [empty.py]\nprocessors: {}\n")
    assert "defines no streamlib.Processor subclass" in message


def test_register_and_register_file(tmp_path: Path) -> None:
    (tmp_path / "fx.py").write_text(LOCAL_MODULE)
    registry = sl.Registry()
    (registered,) = registry.register_file(tmp_path / "fx.py")
    assert registry.get("Invert") is registered
    registry.register_file(str(tmp_path / "fx.py"))  # again: the same class, nothing new
    assert registry.names() == ["Invert"]
    with pytest.raises(sl.RegistryError, match=r"no file .*nope\.py"):
        registry.register_file(tmp_path / "nope.py")


# -- the MCP server: local code is a grant of its own ------------------------------------

EVIL = """\
from pathlib import Path

Path({marker!r}).write_text("the plug-in ran")

import streamlib as sl


class Boom(sl.Processor):
    video = sl.Output(sl.VideoFrame)
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    directory = tmp_path / "root"
    directory.mkdir()
    return directory


def _host(root: Path, *, local_code: bool, registry: sl.Registry | None = None) -> PipelineHost:
    grants = frozenset({"local_code"}) if local_code else frozenset()
    return PipelineHost(
        registry=registry, permissions=Permissions(capabilities=grants, write_root=root)
    )


@pytest.fixture
def hosts() -> Iterator[list[PipelineHost]]:
    made: list[PipelineHost] = []
    try:
        yield made
    finally:
        for host in made:
            host.close()
    assert streamlib_threads() == []


def test_without_the_flag_no_local_code_runs(root: Path, hosts: list[PipelineHost]) -> None:
    marker = root.parent / "marker.txt"
    (root / "evil.py").write_text(EVIL.format(marker=str(marker)))
    (root / "evil.yaml").write_text("processors: {b: {type: 'evil:Boom'}}\n")
    host = _host(root, local_code=False)
    hosts.append(host)
    attempts = [
        ("load_pipeline", {"text": "plugins: [evil.py]\nprocessors: {}\n"}, "<text>:1: "),
        ("load_pipeline", {"text": "processors:\n  b: {type: 'evil:Boom'}\n"}, "<text>:2: "),
        ("load_pipeline", {"text": f"processors: {{b: {{type: '{root}/evil.py:Boom'}}}}"}, ""),
        ("load_pipeline", {"path": "evil.yaml"}, f"{root}/evil.yaml:1: processor 'b': "),
        ("add_processor", {"type": "evil:Boom"}, ""),
        ("add_processor", {"type": "evil.py:Boom"}, ""),
        ("add_processor", {"type": "antigravity:Boom"}, ""),  # an installed module: not imported
    ]

    async def main() -> None:
        async with Client(create_server(host)) as client:
            for tool, arguments, where in attempts:
                text = await call_error(client, tool, arguments)
                assert text.startswith(f"PermissionDeniedError: {where}"), text
                assert "--allow-local-code" in text
                assert not marker.exists(), f"{tool}({arguments}) ran the plug-in"
            assert (await call(client, "list_processors"))["processors"] == []

    run_async(main)
    assert not marker.exists()
    assert "antigravity" not in sys.modules


def test_with_the_flag_only_files_inside_the_directory_load(
    root: Path, hosts: list[PipelineHost]
) -> None:
    marker = root.parent / "marker.txt"
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text(EVIL.format(marker=str(marker)))
    (root / "door.py").symlink_to(outside / "evil.py")
    (root / "data").mkdir()
    (root / "data" / "notpython.txt").write_text("class Boom: pass\n")
    host = _host(root, local_code=True)
    hosts.append(host)
    attempts = [
        {"text": f"plugins: ['{outside}/evil.py']\nprocessors: {{}}\n"},
        {"text": "plugins: [../outside/evil.py]\nprocessors: {}\n"},
        {"text": "plugins: [door.py]\nprocessors: {}\n"},
        {"text": f"processors: {{b: {{type: '{outside}/evil.py:Boom'}}}}"},
        {"text": "processors: {b: {type: 'door:Boom'}}"},
        {"text": "processors: {b: {type: 'data/notpython.txt:Boom'}}"},
    ]

    async def main() -> None:
        async with Client(create_server(host)) as client:
            for arguments in attempts:
                text = await call_error(client, "load_pipeline", arguments)
                assert text.startswith("PermissionDeniedError: <text>:"), text
                assert not marker.exists()
            for type_name in (f"{outside}/evil.py:Boom", "door.py:Boom"):
                text = await call_error(client, "add_processor", {"type": type_name})
                assert text.startswith("PermissionDeniedError: "), text
            # A module name is a file in the directory, never a module from sys.path.
            text = await call_error(client, "add_processor", {"type": "os:system"})
            assert text.startswith(f"RegistryError: no file {root}/os.py"), text
            assert not marker.exists()

    run_async(main)


def test_with_the_flag_both_kinds_of_plugin_run_from_mcp(
    root: Path, registry_with_package: sl.Registry, hosts: list[PipelineHost]
) -> None:
    (root / "my_effects.py").write_text(LOCAL_MODULE)
    (root / "jobs").mkdir()
    (root / "jobs" / "job.yaml").write_text(JOB.replace("{type: NullSink}", "{type: Collector}"))
    (root / "jobs" / "my_effects.py").write_text(LOCAL_MODULE)  # counted from the file's folder
    host = _host(root, local_code=True, registry=registry_with_package)
    hosts.append(host)

    async def main() -> None:
        async with Client(create_server(host)) as client:
            listed = await call(client, "list_processor_types")
            assert "Tint" in {entry["name"] for entry in listed["types"]}
            loaded = await call(client, "load_pipeline", {"path": "jobs/job.yaml"})
            assert sorted(loaded["added"]) == ["inv", "sink", "src", "tint"]
            added = await call(client, "add_processor", {"type": "my_effects:Invert", "id": "inv2"})
            assert added["type"] == "Invert"
            await call(client, "connect", {"source": "src.video", "target": "inv2.video_in"})
            await call(client, "start")
            deadline = time.monotonic() + WAIT_S
            while True:
                stats = await call(client, "get_stats")
                if stats["processors"]["sink"]["ended"] or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.02)
            assert stats["processors"]["sink"]["ended"] is True
            assert stats["processors"]["sink"]["frames_in"] == FRAMES

    run_async(main)
    sink = host.runtime.processor("sink")
    assert isinstance(sink, Collector)
    frames = sink.received()
    assert len(frames) == FRAMES
    _assert_tinted_then_inverted(frames[0], _first_pattern_frame(), 20)


def test_the_mcp_command_grants_local_code_with_its_flag(effects: Path, package_site: Path) -> None:
    from streamlib.mcp import FLAGS

    assert FLAGS["local_code"] == "--allow-local-code"
    (effects / "job.yaml").write_text(JOB)
    marker = effects / "marker.txt"
    (effects / "evil.py").write_text(EVIL.format(marker=str(marker)))

    def server(*flags: str) -> StdioServerParameters:
        return StdioServerParameters(
            command=sys.executable,
            args=["-m", "streamlib", "mcp", "--allow-write", str(effects), *flags],
            env=_env(package_site),
        )

    async def refused() -> None:
        async with Client(server(), read_timeout_seconds=30) as client:
            text = await call_error(
                client, "load_pipeline", {"text": "plugins: [evil.py]\nprocessors: {}\n"}
            )
            assert "--allow-local-code" in text

    async def granted() -> None:
        async with Client(server("--allow-local-code"), read_timeout_seconds=30) as client:
            loaded = await call(client, "load_pipeline", {"path": "job.yaml"})
            assert sorted(loaded["added"]) == ["inv", "sink", "src", "tint"]
            await call(client, "start")
            deadline = time.monotonic() + WAIT_S
            while True:
                sink = (await call(client, "get_stats"))["processors"]["sink"]
                if sink["ended"] or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.02)
            assert sink["ended"] is True
            assert sink["frames_in"] == FRAMES

    run_async(refused)
    assert not marker.exists()
    run_async(granted)
