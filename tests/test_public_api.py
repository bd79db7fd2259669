"""The public surface: what users import, and the layering DESIGN.md promises."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import streamlib
import streamlib.control
import streamlib.core
import streamlib.ipc
import streamlib.processors
import streamlib.runtime
import streamlib.testing
import streamlib.web

PACKAGE = Path(streamlib.__file__).parent

EXPECTED_TOP_LEVEL = {
    "AudioFrame", "BackpressureTimeout", "BufferPool", "CodecError", "ConfigError",
    "ConnectionClosedError", "ConnectionStatistics", "CycleError", "DataFrame", "DeliveryProfile",
    "DeviceError", "EncodedPacket", "ErrorPolicy", "Event", "EventBus", "Frame", "FrameError",
    "GpuError", "Graph", "GraphError", "Input", "ManualClock", "MediaClock", "MonotonicClock",
    "NetworkError", "Output", "PermissionDeniedError", "PipelineFileError", "PixelFormat",
    "PluginError", "PortBusyError", "PortRef", "PortTypeError", "Priority", "Processor",
    "ProcessorConfig", "ProcessorContext", "ProcessorDescriptor", "ProcessorError", "ProcessorId",
    "ProcessorRef", "Progress", "Registry", "RegistryError", "RunOutcome", "Runtime",
    "RuntimeState", "RuntimeStateError", "RuntimeStatistics", "Scheduling", "SchedulingMode",
    "ShaderError", "StorageError", "StreamEndedError", "StreamError", "UnknownPortError",
    "UnknownProcessorError", "VideoFrame", "__version__", "live_field", "path_field",
    # what a program subscribes to, keeps or reads back
    "CustomEvent", "ProcessorEnded", "ProcessorErrored", "ProcessorState",
    "ProcessorStateChanged", "ProcessorStatistics", "RuntimeWarned", "Subscription",
}  # fmt: skip
# The processors are listed once, in pyproject's entry points; tests/test_processor_catalogue.py
# holds streamlib.processors.__all__ and the registry to that list.


def test_top_level_exports() -> None:
    assert set(streamlib.__all__) == EXPECTED_TOP_LEVEL


def test_devices_are_listed_where_devices_live_not_among_processors() -> None:
    import streamlib.audio

    assert "list_audio_devices" in streamlib.audio.__all__
    assert not hasattr(streamlib.processors, "list_audio_devices")
    with pytest.raises(ImportError):
        from streamlib.processors import list_audio_devices  # noqa: F401


@pytest.mark.parametrize(
    "module",
    [
        streamlib,
        streamlib.core,
        streamlib.runtime,
        streamlib.processors,
        streamlib.testing,
        streamlib.ipc,
        streamlib.control,
        streamlib.web,
    ],
)
def test_every_exported_name_exists_and_is_documented(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        value = getattr(module, name)
        if callable(value) and not name.startswith("_"):
            assert value.__doc__, f"{module.__name__}.{name} has no docstring"  # type: ignore[attr-defined]


# streamlib.ipc imports streamlib.core and nothing else of streamlib.
IPC_MAY_NOT_IMPORT = (
    "streamlib.runtime", "streamlib.processors", "streamlib.pipelines", "streamlib.cli",
    "streamlib.mcp", "streamlib.control", "streamlib.testing", "streamlib.gpu", "streamlib.clap",
    "streamlib.media", "streamlib.audio", "streamlib.webrtc",
)  # fmt: skip


def _imports_of(path: Path) -> set[str]:
    """Absolute module names a source file imports (relative ones resolved)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[: len(parts) - node.level])
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        # Faces (cli, mcp, web) may import anything below them, the operations layer (control)
        # included; each line below is one layer.
        # The operations layer serves every face and needs none of them (nor the MCP SDK).
        ("control", ("streamlib.mcp", "streamlib.cli", "streamlib.web", "mcp")),
        # The web face is a sibling of the MCP face: it shares the operations layer, not MCP.
        ("web", ("streamlib.mcp", "streamlib.cli", "mcp")),
        (
            "core",
            (
                "streamlib.runtime",
                "streamlib.processors",
                "streamlib.pipelines",
                "streamlib.cli",
                "streamlib.mcp",
                "streamlib.control",
                "streamlib.testing",
            ),
        ),
        (
            "pipelines",
            (
                "streamlib.runtime",
                "streamlib.processors",
                "streamlib.cli",
                "streamlib.mcp",
                "streamlib.control",
                "streamlib.testing",
            ),
        ),
        (
            "processors",
            ("streamlib.runtime", "streamlib.pipelines", "streamlib.cli", "streamlib.control"),
        ),
        # The process transport sits on core alone; the runtime's process isolation uses it.
        ("ipc", IPC_MAY_NOT_IMPORT),
        ("runtime", ("streamlib.processors", "streamlib.cli", "streamlib.control")),
        *(
            (
                adapter,
                (
                    "streamlib.runtime",
                    "streamlib.processors",
                    "streamlib.pipelines",
                    "streamlib.cli",
                    "streamlib.mcp",
                    "streamlib.control",
                ),
            )
            for adapter in ("gpu", "clap", "media", "audio", "webrtc")
        ),
    ],
)
def test_layering(layer: str, forbidden: tuple[str, ...]) -> None:
    """core/ imports nothing above it; pipelines/ sits on core alone; processors never
    import the runtime or pipeline files (DESIGN.md, docs/architecture.md)."""
    for path in (PACKAGE / layer).rglob("*.py"):
        if path.relative_to(PACKAGE) in UPWARD_ON_REQUEST:
            continue
        for module in _imports_of(path):
            assert not module.startswith(forbidden), f"{path.name} imports {module}"


UPWARD_ON_REQUEST = {Path("runtime/_web_serving.py")}
"""The one module that reaches up a layer, and only when asked: ``Runtime(web=...)``
serves the web face over the runtime (imported inside its methods, never at import)."""


def test_a_runtime_without_web_loads_neither_the_web_face_nor_the_operations_layer() -> None:
    code = (
        "import sys, streamlib; streamlib.Runtime().close(); "
        "print(sorted(m for m in sys.modules if m.startswith(('streamlib.web', "
        "'streamlib.control', 'starlette', 'uvicorn'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_operations_layer_imports_without_the_mcp_sdk_or_pillow() -> None:
    """A web face uses streamlib.control without the MCP SDK installed."""
    code = (
        "import sys, streamlib.control; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mcp', 'PIL', 'starlette'}), "
        "any(m.startswith('streamlib.mcp') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] False"


@pytest.mark.parametrize("layer", ["core", "pipelines"])
def test_core_imports_no_device_or_codec_library(layer: str) -> None:
    heavy = ("av", "sounddevice", "wgpu", "aiortc", "mcp")
    for path in (PACKAGE / layer).rglob("*.py"):
        for module in _imports_of(path):
            assert module.split(".")[0] not in heavy, f"{path.name} imports {module}"


def test_the_old_event_name_says_what_it_became() -> None:
    with pytest.raises(AttributeError, match="renamed to RuntimeWarned"):
        _ = streamlib.core.RuntimeWarning
