"""The audio and CLAP packages' public surface and their place in the layers."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import streamlib
import streamlib.audio
import streamlib.clap

PACKAGE = Path(streamlib.__file__).parent


@pytest.mark.parametrize("module", [streamlib.audio, streamlib.clap])
def test_exports_exist_and_are_documented(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):  # not the Literal aliases
            assert value.__doc__, f"{module.__name__}.{name} has no docstring"  # type: ignore[attr-defined]


@pytest.mark.parametrize("layer", ["audio", "clap"])
def test_adapters_import_only_the_core(layer: str) -> None:
    """audio/ and clap/ sit beside the core: processors use them, never the other way."""
    forbidden = ("runtime", "processors", "cli", "testing", "mcp")
    for path in (PACKAGE / layer).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
                assert node.module.split(".")[0] not in forbidden, f"{path.name}: {node.module}"


def test_audio_processors_are_registered() -> None:
    registry = streamlib.Registry.default()
    for name in (
        "AudioCapture", "AudioOutput", "AudioMixer", "AudioChannelConverter", "AudioResampler",
        "BufferRechunker", "Gain", "LevelMeter", "ChordGenerator", "ClapEffect",
    ):  # fmt: skip
        assert name in registry, registry.load_errors.get(name)
    capture = registry.describe("AudioCapture")
    assert "audio" in capture.to_dict()["capabilities"]
