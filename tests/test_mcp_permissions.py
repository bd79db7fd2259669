"""Permissions: capabilities granted by flags, and writes confined to one directory.

Unit tests of ``Permissions`` first, then the same rules through the tools (the SDK
client, in-process): every denied capability, write paths, pipeline files.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

import streamlib as sl
from mcp_support import (
    WAIT_S,
    JsonLinesWriter,
    NeedsAudio,
    NeedsCamera,
    NeedsDisplay,
    NeedsNetwork,
    call,
    call_error,
    registry_with_test_types,
    run_async,
)
from runtime_support import streamlib_threads
from streamlib.mcp import Permissions, PipelineHost, create_server
from streamlib.processors import TestPattern

# -- Permissions itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("processor_class", "flag"),
    [
        (NeedsCamera, "--allow-camera"),
        (NeedsAudio, "--allow-audio"),
        (NeedsDisplay, "--allow-display"),
        (NeedsNetwork, "--allow-network"),
        (JsonLinesWriter, "--allow-write DIR"),
    ],
)
def test_nothing_is_granted_by_default(processor_class: type[sl.Processor], flag: str) -> None:
    permissions = Permissions()
    assert permissions.granted == frozenset()
    with pytest.raises(sl.PermissionDeniedError, match=flag) as caught:
        permissions.check_type(processor_class)
    assert isinstance(caught.value, PermissionError)  # catchable as the builtin too
    assert processor_class.type_name in str(caught.value)


def test_granted_capabilities_permit_their_types(tmp_path: Path) -> None:
    permissions = Permissions(
        capabilities=frozenset({"camera", "audio", "display", "network"}), write_root=tmp_path
    )
    # The write directory is readable too.
    assert permissions.granted == {"camera", "audio", "display", "network", "write", "read"}
    for processor_class in (NeedsCamera, NeedsAudio, NeedsDisplay, NeedsNetwork, JsonLinesWriter):
        permissions.check_type(processor_class)
        assert permissions.missing(processor_class) == []
    only_camera = Permissions(capabilities=frozenset({"camera"}))
    only_camera.check_type(NeedsCamera)
    assert only_camera.missing(NeedsAudio) == ["audio"]
    only_camera.check_type(TestPattern)  # needs nothing


def test_bad_grants_are_refused(tmp_path: Path) -> None:
    with pytest.raises(sl.ConfigError, match="unknown capabilities"):
        Permissions(capabilities=frozenset({"microwave"}))
    with pytest.raises(sl.ConfigError, match="does not exist"):
        Permissions(write_root=tmp_path / "missing")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    directory = tmp_path / "root"
    directory.mkdir()
    (tmp_path / "outside").mkdir()
    return directory


def test_write_paths_resolve_inside_the_root(root: Path) -> None:
    permissions = Permissions(write_root=root)
    config = permissions.check_config(JsonLinesWriter, {"path": "takes/one.jsonl"})
    assert config == {"path": str(root / "takes" / "one.jsonl")}
    inside = str(root / "two.jsonl")
    assert permissions.check_config(JsonLinesWriter, {"path": inside}) == {"path": inside}
    # A path left out is checked with its default, resolved from the root, not the cwd.
    assert permissions.check_config(JsonLinesWriter, {}) == {"path": str(root / "data.jsonl")}
    (root / "sub").mkdir()
    os.symlink(root / "sub", root / "alias")  # a link that stays inside is fine
    config = permissions.check_config(JsonLinesWriter, {"path": "alias/x.jsonl"})
    assert config == {"path": str(root / "sub" / "x.jsonl")}


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../outside/x.jsonl", "contains '..'"),
        ("sub/../../outside/x.jsonl", "contains '..'"),
        ("ok/../x.jsonl", "contains '..'"),  # refused even where it would stay inside
        ("/etc/passwd", "outside the writable directory"),
        ("", None),  # empty: an optional output left unset
    ],
)
def test_paths_that_escape_are_refused(root: Path, path: str, why: str | None) -> None:
    permissions = Permissions(write_root=root)
    if why is None:
        assert permissions.check_config(JsonLinesWriter, {"path": path}) == {"path": path}
        return
    with pytest.raises(sl.PermissionDeniedError, match=why):
        permissions.check_config(JsonLinesWriter, {"path": path})


def test_symlinks_cannot_lead_out(root: Path) -> None:
    permissions = Permissions(write_root=root)
    outside = root.parent / "outside"
    os.symlink(outside, root / "door")  # a directory link pointing out
    os.symlink(outside / "target.jsonl", root / "file.jsonl")  # a file link pointing out
    for path in ("door/x.jsonl", "file.jsonl", str(root / "door" / "x.jsonl")):
        with pytest.raises(sl.PermissionDeniedError, match="through a symlink"):
            permissions.check_config(JsonLinesWriter, {"path": path})
    with pytest.raises(sl.PermissionDeniedError, match="outside the writable directory"):
        permissions.resolve_write_path(".")  # the root itself is a directory, not a file
    assert not (outside / "target.jsonl").exists()


def test_a_root_given_through_a_symlink_is_resolved(root: Path) -> None:
    link = root.parent / "link-to-root"
    os.symlink(root, link)
    permissions = Permissions(write_root=link)
    assert permissions.resolved_write_root == root
    assert permissions.resolve_write_path(str(link / "a.jsonl")) == root / "a.jsonl"


# -- through the tools ----------------------------------------------------------------


@pytest.fixture
def locked() -> Iterator[PipelineHost]:
    """A server granted nothing."""
    host = PipelineHost(registry=registry_with_test_types())
    try:
        yield host
    finally:
        host.close()
    assert streamlib_threads() == []


@pytest.fixture
def granted(root: Path) -> Iterator[PipelineHost]:
    """A server granted every capability and ``root`` to write in."""
    permissions = Permissions(
        capabilities=frozenset({"camera", "audio", "display", "network"}), write_root=root
    )
    host = PipelineHost(registry=registry_with_test_types(), permissions=permissions)
    try:
        yield host
    finally:
        host.close()
    assert streamlib_threads() == []


def test_every_denied_permission_is_a_tool_error(locked: PipelineHost) -> None:
    async def main() -> None:
        async with Client(create_server(locked)) as client:
            assert client.instructions is not None
            assert "granted to this server: none." in client.instructions
            listed = await call(client, "list_processor_types")
            by_name = {entry["name"]: entry for entry in listed["types"]}
            assert listed["granted_permissions"] == []
            assert by_name["TestPattern"]["permitted"] is True
            denied = {
                "NeedsCamera": "--allow-camera",
                "NeedsAudio": "--allow-audio",
                "NeedsDisplay": "--allow-display",
                "NeedsNetwork": "--allow-network",
                "JsonLinesWriter": "--allow-write DIR",
            }
            for name, flag in denied.items():
                assert by_name[name]["permitted"] is False
                assert by_name[name]["missing_permissions"] == [flag]
                text = await call_error(client, "add_processor", {"type": name})
                assert text.startswith("PermissionDeniedError: ")
                assert flag in text
                assert "restart the server (`streamlib mcp` or `streamlib serve`)" in text
            text = await call_error(
                client,
                "load_pipeline",
                {"text": "processors:\n  ok: {type: TestPattern}\n  cam: {type: NeedsCamera}\n"},
            )
            assert "<text>:3: processor 'cam'" in text
            assert "--allow-camera" in text
            for tool, arguments in (
                ("save_pipeline", {"path": "p.yaml"}),
                ("load_pipeline", {"path": "p.yaml"}),
            ):
                text = await call_error(client, tool, arguments)
                assert "--allow-write DIR" in text
            listed_after = await call(client, "list_processors")
            assert listed_after["processors"] == []  # nothing was half-added

    run_async(main)


def test_granted_writes_stay_inside_the_directory(granted: PipelineHost, root: Path) -> None:
    outside = root.parent / "outside"
    os.symlink(outside, root / "door")

    async def main() -> None:
        async with Client(create_server(granted)) as client:
            assert client.instructions is not None
            assert "granted to this server: audio, camera, display, network, read, write" in (
                client.instructions
            )
            assert f"Files are written under {root}" in client.instructions
            for name in ("NeedsCamera", "NeedsAudio", "NeedsDisplay", "NeedsNetwork"):
                await call(client, "add_processor", {"type": name})
            await call(client, "add_processor", {"type": "Ticker", "id": "tick"})
            writer = await call(
                client,
                "add_processor",
                {"type": "JsonLinesWriter", "id": "rec", "config": {"path": "ticks.jsonl"}},
            )
            assert writer["config"]["path"] == str(root / "ticks.jsonl")
            for bad in ("../outside/x.jsonl", "door/x.jsonl", str(outside / "x.jsonl")):
                text = await call_error(
                    client, "add_processor", {"type": "JsonLinesWriter", "config": {"path": bad}}
                )
                assert "PermissionDeniedError" in text
                text = await call_error(
                    client, "set_config", {"id": "rec", "changes": {"path": bad}}
                )
                assert "PermissionDeniedError" in text
            await call(client, "connect", {"from": "tick.data", "to": "rec.data"})
            await call(client, "start")
            lines = await _wait_for_lines(root / "ticks.jsonl", 5)
            assert [json.loads(line)["n"] for line in lines[:5]] == [0, 1, 2, 3, 4]

            saved = await call(client, "save_pipeline", {"path": "saved/pipe.yaml"})
            assert saved["path"] == str(root / "saved" / "pipe.yaml")
            assert (root / "saved" / "pipe.yaml").read_text() == saved["text"]
            for bad in ("../pipe.yaml", "door/pipe.yaml", "/tmp/pipe.yaml"):
                text = await call_error(client, "save_pipeline", {"path": bad})
                assert "PermissionDeniedError" in text
            assert not (outside / "pipe.yaml").exists()
            loaded = await call(
                client, "load_pipeline", {"path": "saved/pipe.yaml", "replace": True}
            )
            assert "rec" in loaded["added"]
            text = await call_error(client, "load_pipeline", {"path": "door/secret.yaml"})
            assert "PermissionDeniedError" in text
            await call(client, "stop")
        assert not list(outside.iterdir())  # nothing was ever written outside

    run_async(main)


async def _wait_for_lines(path: Path, count: int) -> list[str]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        await anyio.sleep(0.01)
    raise AssertionError(f"{path} did not get {count} lines")


# -- native plugins and files read -------------------------------------------------------


def test_native_plugins_need_their_own_grant() -> None:
    from streamlib.processors import ClapEffect

    with pytest.raises(sl.PermissionDeniedError, match="--allow-plugins"):
        Permissions().check_type(ClapEffect)
    Permissions(capabilities=frozenset({"plugins"})).check_type(ClapEffect)


def test_files_a_processor_reads_stay_inside_the_directory(tmp_path: Path) -> None:
    from streamlib.processors import ShaderEffect

    assert ShaderEffect.Config.read_path_fields() == {"path"}
    inside = tmp_path / "tint.wgsl"
    inside.write_text("// shader")
    permissions = Permissions(write_root=tmp_path)
    config = permissions.check_config(ShaderEffect, {"path": "tint.wgsl"})
    assert config["path"] == str(inside.resolve())
    with pytest.raises(sl.PermissionDeniedError):
        permissions.check_config(ShaderEffect, {"path": "/etc/passwd"})
    with pytest.raises(sl.PermissionDeniedError, match="--allow-write"):
        Permissions().check_config(ShaderEffect, {"path": "tint.wgsl"})
    assert Permissions().check_config(ShaderEffect, {"code": "fn f() {}"}) == {"code": "fn f() {}"}


# -- fields that reach outside: URLs, devices, libraries, FFmpeg text ----------------------


def test_raw_ffmpeg_is_a_grant_of_its_own() -> None:
    from streamlib.mcp import FLAGS

    assert FLAGS["raw_ffmpeg"] == "--allow-raw-ffmpeg"
    permissions = Permissions(capabilities=frozenset({"raw_ffmpeg"}))
    assert permissions.describe()["capabilities"] == ["raw_ffmpeg"]
    from streamlib.processors import FFmpegSource

    graph = {"video_graph": "movie=/etc/passwd"}
    assert permissions.check_config(FFmpegSource, graph) == graph
    with pytest.raises(sl.PermissionDeniedError, match="--allow-raw-ffmpeg"):
        Permissions().check_config(FFmpegSource, graph)


def test_the_mcp_command_grants_raw_ffmpeg_with_its_flag() -> None:
    import argparse

    from streamlib.cli._mcp_command import add_mcp_command

    parser = argparse.ArgumentParser()
    add_mcp_command(parser.add_subparsers())
    assert parser.parse_args(["mcp", "--allow-raw-ffmpeg"]).allow_raw_ffmpeg is True
    assert parser.parse_args(["mcp"]).allow_raw_ffmpeg is False


def test_reach_fields_are_declared_in_the_schema() -> None:
    from streamlib.processors import (
        Camera,
        ClapEffect,
        FFmpegSource,
        ImageOverlay,
        MediaFile,
        TextOverlay,
        WhepPlayer,
    )

    assert MediaFile.Config.reach_fields() == {
        "path": "media",
        "input_format": "ffmpeg_format",
        "options": "ffmpeg_options",
    }
    assert FFmpegSource.Config.reach_fields() == {
        "video_graph": "ffmpeg_graph",
        "audio_graph": "ffmpeg_graph",
    }
    assert ClapEffect.Config.reach_fields() == {"plugin": "library"}
    assert Camera.Config.reach_fields() == {"device": "device", "input_format": "ffmpeg_format"}
    assert WhepPlayer.Config.reach_fields() == {"url": "url", "stun_servers": "url"}
    assert ImageOverlay.Config.read_path_fields() == {"path"}
    assert TextOverlay.Config.read_path_fields() == {"font"}
    schema = MediaFile.Config.model_json_schema()
    assert schema["properties"]["path"]["reaches"] == "media"
    assert Permissions().missing(WhepPlayer) == ["network"]
    assert Permissions().missing(ClapEffect) == ["plugins"]


def test_device_fields_name_devices_only() -> None:
    from streamlib.processors import Camera

    camera = Permissions(capabilities=frozenset({"camera"}))
    assert camera.check_config(Camera, {"device": "/dev/video0"})["device"] == "/dev/video0"
    assert camera.check_config(Camera, {"device": "FaceTime HD Camera"}) == {
        "device": "FaceTime HD Camera"
    }
    assert camera.check_config(Camera, {"input_format": "v4l2"}) == {"input_format": "v4l2"}
    for bad in ("/etc/passwd", "/dev/../etc/passwd", "http://127.0.0.1/x"):
        with pytest.raises(sl.PermissionDeniedError):
            camera.check_config(Camera, {"device": bad})
    for device_format in ("lavfi", "x11grab", "concat"):
        with pytest.raises(sl.PermissionDeniedError, match="--allow-raw-ffmpeg"):
            camera.check_config(Camera, {"input_format": device_format})
    with pytest.raises(sl.PermissionDeniedError, match="--allow-camera"):
        Permissions(capabilities=frozenset({"raw_ffmpeg"})).check_config(Camera, {})


def test_url_fields_take_network_urls_only() -> None:
    from streamlib.processors import WhepPlayer

    network = Permissions(capabilities=frozenset({"network"}))
    config = {"url": "http://127.0.0.1:8889/whep", "stun_servers": ["stun:stun.example:3478"]}
    assert network.check_config(WhepPlayer, config) == config
    for bad in ({"url": "file:///etc/passwd"}, {"url": "x", "stun_servers": ["data:,x"]}):
        with pytest.raises(sl.PermissionDeniedError, match="not a network URL"):
            network.check_config(WhepPlayer, bad)
    with pytest.raises(sl.PermissionDeniedError, match="--allow-network"):
        Permissions().check_config(WhepPlayer, config)


def test_ffmpeg_input_options_are_allow_listed_and_kept_to_the_location(root: Path) -> None:
    from streamlib.processors import MediaFile

    network = Permissions(capabilities=frozenset({"network"}), write_root=root)
    url = "rtsp://127.0.0.1:8554/cam"
    config = network.check_config(MediaFile, {"path": url, "options": {"rtsp_transport": "tcp"}})
    assert config["path"] == url
    assert config["options"]["rtsp_transport"] == "tcp"
    assert "file" not in config["options"]["protocol_whitelist"].split(",")
    assert network.check_config(MediaFile, config) == config  # checking again changes nothing
    widened = {
        "path": url,
        "options": {"protocol_whitelist": "file,http", "format_whitelist": "hls"},
    }
    assert network.check_config(MediaFile, widened)["options"] == {
        "protocol_whitelist": config["options"]["protocol_whitelist"]
    }  # replaced by the location's own, never widened
    for options in (
        {"rtsp_transport": "tcp:x"},
        {"headers": "X: y"},
        {"protocol_blacklist": "none"},
    ):
        with pytest.raises(sl.PermissionDeniedError, match="--allow-raw-ffmpeg"):
            network.check_config(MediaFile, {"path": url, "options": options})
    with pytest.raises(sl.PermissionDeniedError, match="--allow-network"):
        Permissions(write_root=root).check_config(MediaFile, {"path": url})
    with pytest.raises(sl.PermissionDeniedError, match="--allow-raw-ffmpeg"):
        network.check_config(MediaFile, {"path": "clip.ts", "input_format": "hls"})
    assert (
        network.check_config(MediaFile, {"path": "clip.ts", "input_format": "mpegts"})[
            "input_format"
        ]
        == "mpegts"
    )


def test_describe_processor_type_shows_what_fields_reach(locked: PipelineHost) -> None:
    async def main() -> None:
        async with Client(create_server(locked)) as client:
            described = await call(client, "describe_processor_type", {"name": "MediaFile"})
            assert described["reach_fields"]["path"] == "media"
            assert described["missing_permissions"] == []
            overlay = await call(client, "describe_processor_type", {"name": "ImageOverlay"})
            assert overlay["read_path_fields"] == ["path"]

    run_async(main)


def test_read_directories_let_processors_read_files_there_and_nowhere_else(
    tmp_path: Path,
) -> None:
    from streamlib.processors import MediaFile, ShaderEffect

    media, shaders, elsewhere = (tmp_path / name for name in ("media", "shaders", "elsewhere"))
    for folder in (media, shaders, elsewhere):
        folder.mkdir()
    (shaders / "tint.wgsl").write_text("// shader")
    (elsewhere / "secret.wgsl").write_text("// secret")
    permissions = Permissions(read_roots=(media, shaders))
    assert permissions.granted == {"read"}
    assert permissions.describe()["read_roots"] == [str(media), str(shaders)]
    # A local media file needs no network permission, only a readable directory.
    config = permissions.check_config(MediaFile, {"path": str(media / "clip.mp4")})
    assert config["path"] == str(media / "clip.mp4")
    assert config["options"]["protocol_whitelist"] == "file"
    relative = permissions.check_config(MediaFile, {"path": "clip.mp4"})  # from the first
    assert relative["path"] == str(media / "clip.mp4")
    shader = permissions.check_config(ShaderEffect, {"path": str(shaders / "tint.wgsl")})
    assert shader["path"] == str(shaders / "tint.wgsl")
    for value in (str(elsewhere / "secret.wgsl"), "../elsewhere/secret.wgsl", "/etc/passwd"):
        with pytest.raises(sl.PermissionDeniedError, match=r"readable directories|'\.\.'"):
            permissions.check_config(ShaderEffect, {"path": value})
    # Reading is not writing: a recorder still needs --allow-write.
    with pytest.raises(sl.PermissionDeniedError, match="--allow-write DIR"):
        permissions.check_config(JsonLinesWriter, {"path": str(media / "x.jsonl")})
    with pytest.raises(sl.PermissionDeniedError, match="--allow-read DIR"):
        Permissions().check_config(MediaFile, {"path": "clip.mp4"})
    # The write directory stays readable, and relative paths count from it first.
    both = Permissions(write_root=elsewhere, read_roots=(shaders,))
    assert both.check_config(ShaderEffect, {"path": "secret.wgsl"})["path"] == str(
        elsewhere / "secret.wgsl"
    )
    assert both.check_config(ShaderEffect, {"path": str(shaders / "tint.wgsl")})


def test_mcp_command_takes_read_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamlib.cli import main

    assert main(["mcp", "--allow-read", str(tmp_path), "--allow-read", "/nonexistent/x"]) == 2
    assert "does not exist" in capsys.readouterr().err
