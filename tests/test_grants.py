"""Grants before objects, tried the way an attacker driving ``streamlib mcp`` would.

Each test asks the MCP server (in-process, through the SDK's client) for something its
grants do not cover, by every route an agent has: a native library whose constructor
writes a marker file, FFmpeg graphs that read, write or fetch, file and URL fields, and
error messages that would tell which files exist. Nothing may be loaded, fetched, read or
written, and the pipeline must stay as it was.
"""

from __future__ import annotations

import ctypes
import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

import streamlib as sl
from mcp_support import WAIT_S, call, call_error, registry_with_test_types, run_async
from runtime_support import streamlib_threads
from streamlib.mcp import Permissions, PipelineHost, create_server

pytest.importorskip(
    "av", reason="the FFmpeg grant tests need PyAV (pip install 'streamlib[media]')"
)

# -- what the attacker brings ------------------------------------------------------------

_PLUGIN_SOURCE = r"""
#include <stdio.h>
__attribute__((constructor)) static void leave_a_mark(void) {
    FILE *file = fopen(MARKER, "w");
    if (file) { fputs("loaded\n", file); fclose(file); }
}
"""


def _build_marker_library(directory: Path, name: str = "evil.clap") -> tuple[Path, Path]:
    """A shared library whose constructor writes a marker file: ``(library, marker)``."""
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (cc) to build the marker plug-in library")
    marker = directory / f"{name}.loaded"
    source = directory / "marker.c"
    source.write_text(_PLUGIN_SOURCE)
    library = directory / name
    subprocess.run(
        [compiler, "-shared", "-fPIC", f'-DMARKER="{marker}"', "-o", str(library), str(source)],
        check=True,
        capture_output=True,
    )
    return library, marker


class RequestLog(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (a free port) that records every request it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _Recorder)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Recorder(http.server.BaseHTTPRequestHandler):
    server: RequestLog

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.send_error(404)

    def log_message(self, fmt: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def requests_seen() -> Iterator[RequestLog]:
    server = RequestLog()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The writable directory; ``outside`` next to it holds what the attacker wants."""
    directory = tmp_path / "root"
    directory.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the secret\n")
    return directory


def _host(root: Path | None = None, *capabilities: str) -> PipelineHost:
    permissions = Permissions(capabilities=frozenset(capabilities), write_root=root)
    return PipelineHost(registry=registry_with_test_types(), permissions=permissions)


def _serve(host: PipelineHost, scenario: object) -> None:
    async def main() -> None:
        async with Client(create_server(host)) as client:
            await scenario(client)  # type: ignore[operator]

    try:
        run_async(main)
    finally:
        host.close()
    assert streamlib_threads() == []


# -- native plug-ins ---------------------------------------------------------------------


def test_the_marker_library_really_runs_its_constructor_when_loaded(tmp_path: Path) -> None:
    library, marker = _build_marker_library(tmp_path)
    ctypes.CDLL(str(library))
    assert marker.read_text() == "loaded\n"  # so a missing marker below means "never loaded"


def test_a_plugin_library_is_never_loaded_without_the_plugins_grant(tmp_path: Path) -> None:
    library, marker = _build_marker_library(tmp_path)
    pipeline = f"processors:\n  fx: {{type: ClapEffect, config: {{plugin: '{library}'}}}}\n"

    async def scenario(client: Client) -> None:
        for tool, arguments in (
            ("load_pipeline", {"text": pipeline}),
            ("add_processor", {"type": "ClapEffect", "config": {"plugin": str(library)}}),
        ):
            text = await call_error(client, tool, arguments)
            assert text.startswith("PermissionDeniedError: "), text
            assert "--allow-plugins" in text
            assert not marker.exists(), f"{tool} loaded the library before refusing it"
        assert (await call(client, "list_processors"))["processors"] == []

    _serve(_host(tmp_path, "network", "audio"), scenario)
    assert not marker.exists()


# -- the network ---------------------------------------------------------------------------


def _in_graph(url: str) -> str:
    """``url`` as a filter option value (its ``:`` escaped inside quotes, as FFmpeg wants)."""
    return "'" + url.replace(":", "\\:") + "'"


def test_nothing_is_fetched_without_the_network_grant(
    root: Path, requests_seen: RequestLog
) -> None:
    url = f"{requests_seen.url}/clip.mp4"
    attempts = [
        ("FFmpegSource", {"video_graph": f"movie={_in_graph(url)}"}),
        ("FFmpegSource", {"video_graph": f"movie=filename={_in_graph(url)}"}),
        ("FFmpegSource", {"video_graph": None, "audio_graph": f"amovie={_in_graph(url)}"}),
        ("FFmpegSource", {"video_graph": f"testsrc2,movie={_in_graph(url)}"}),
        ("MediaFile", {"path": url}),
        ("MediaFile", {"path": f"async:{url}"}),
        ("ImageOverlay", {"path": url}),
    ]
    (root / "clip.mp4").write_bytes(b"")

    async def scenario(client: Client) -> None:
        for type_name, config in attempts:
            text = await call_error(client, "add_processor", {"type": type_name, "config": config})
            assert text.startswith("PermissionDeniedError: "), (type_name, config, text)
        graph = f"movie={_in_graph(url)}".replace("'", "''")
        pipeline = (
            f"processors:\n  src: {{type: FFmpegSource, config: {{video_graph: '{graph}'}}}}\n"
        )
        text = await call_error(client, "load_pipeline", {"text": pipeline})
        assert "<text>:2: processor 'src'" in text, text
        assert (await call(client, "list_processors"))["processors"] == []
        # A whitelist given is replaced by the one for the location, never widened.
        widened = {"path": "clip.mp4", "options": {"protocol_whitelist": "http,tcp"}}
        added = await call(client, "add_processor", {"type": "MediaFile", "config": widened})
        assert added["config"]["options"]["protocol_whitelist"] == "file"

    _serve(_host(root), scenario)
    assert requests_seen.paths == []


def test_a_raw_graph_with_its_grants_does_fetch(root: Path, requests_seen: RequestLog) -> None:
    """The positive control: the refusals above are what stops the fetch, not a broken URL."""
    url = f"{requests_seen.url}/clip.mp4"

    async def scenario(client: Client) -> None:
        config = {"video_graph": f"movie={_in_graph(url)}"}
        await call(client, "add_processor", {"type": "FFmpegSource", "id": "src", "config": config})
        await call(client, "start")
        deadline = anyio.current_time() + WAIT_S
        while not requests_seen.paths and anyio.current_time() < deadline:
            await anyio.sleep(0.01)
        await call(client, "stop")

    _serve(_host(root, "raw_ffmpeg", "network"), scenario)
    assert requests_seen.paths[0] == "/clip.mp4"


def test_a_raw_graph_needs_its_own_grant_even_with_the_network(
    root: Path, requests_seen: RequestLog
) -> None:
    async def scenario(client: Client) -> None:
        config = {"video_graph": f"movie={_in_graph(requests_seen.url + '/clip.mp4')}"}
        text = await call_error(client, "add_processor", {"type": "FFmpegSource", "config": config})
        assert "--allow-raw-ffmpeg" in text
        assert "'movie'" in text

    _serve(_host(root, "network"), scenario)
    assert requests_seen.paths == []


# -- files: reading ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [
        "movie={secret}",
        "movie='{secret}'",
        "movie=filename={secret}",
        "movie=filename='{secret}'",
        "mo\\vie={secret}",
        "movie@x={secret}",
        "  movie = {secret}",
        "testsrc2=size=64x48,movie={secret}",
        "testsrc2=size=64x48 , movie={secret}",
        "movie=subfile\\,\\,start\\,0\\,end\\,0\\,\\,:{secret}",
        "movie=file\\:{secret}",
    ],
)
def test_an_ffmpeg_graph_cannot_read_a_file(root: Path, graph: str) -> None:
    secret = root.parent / "outside" / "secret.txt"
    config = {"video_graph": graph.format(secret=secret)}
    for capabilities in ((), ("network",)):
        with pytest.raises(sl.PermissionDeniedError, match="--allow-raw-ffmpeg"):
            Permissions(capabilities=frozenset(capabilities), write_root=root).check_config(
                sl.Registry.default().get("FFmpegSource"), config
            )


def test_files_outside_the_root_cannot_be_read_through_any_field(root: Path) -> None:
    secret = str(root.parent / "outside" / "secret.txt")
    attempts = [
        ("MediaFile", {"path": secret}),
        ("MediaFile", {"path": "../outside/secret.txt"}),
        ("MediaFile", {"path": f"file:{secret}"}),
        ("MediaFile", {"path": f"concat:{secret}|{secret}"}),
        ("MediaFile", {"path": f"subfile,,start,0,end,0,,:{secret}"}),
        ("MediaFile", {"path": "clip.mp4", "input_format": "concat"}),
        ("ImageOverlay", {"path": secret}),
        ("TextOverlay", {"font": secret}),
    ]

    async def scenario(client: Client) -> None:
        for type_name, config in attempts:
            text = await call_error(client, "add_processor", {"type": type_name, "config": config})
            assert text.startswith("PermissionDeniedError: "), (type_name, config, text)
        assert (await call(client, "list_processors"))["processors"] == []

    _serve(_host(root, "network"), scenario)


def test_a_live_change_cannot_point_a_file_field_outside_the_root(root: Path) -> None:
    (root / "logo.png").write_bytes(b"")  # never read: the overlay is not started
    secret = str(root.parent / "outside" / "secret.txt")

    async def scenario(client: Client) -> None:
        added = await call(
            client,
            "add_processor",
            {"type": "ImageOverlay", "id": "logo", "config": {"path": "logo.png"}},
        )
        assert added["config"]["path"] == str(root / "logo.png")
        text = await call_error(client, "set_config", {"id": "logo", "changes": {"path": secret}})
        assert text.startswith("PermissionDeniedError: ")
        graph = await call(client, "get_graph")
        assert graph["graph"]["processors"]["logo"]["config"]["path"] == str(root / "logo.png")

    _serve(_host(root), scenario)


# -- files: writing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [
        "testsrc2=size=64x48:rate=10,metadata=mode=print:file={victim}",
        "testsrc2=size=64x48:rate=10,metadata=mode=print:fil\\e={victim}",
        "testsrc2=size=64x48:rate=10,metadata=print:file='{victim}'",
        "testsrc2=size=64x48:rate=10,signalstats,metadata=print:file={victim}",
        "testsrc2=size=64x48:rate=10,showinfo,ocr=datapath={victim}",
    ],
)
def test_an_ffmpeg_graph_cannot_write_or_truncate_a_file(root: Path, graph: str) -> None:
    victim = root.parent / "outside" / "secret.txt"
    config = {"video_graph": graph.format(victim=victim), "realtime": False}

    async def scenario(client: Client) -> None:
        text = await call_error(client, "add_processor", {"type": "FFmpegSource", "config": config})
        assert text.startswith("PermissionDeniedError: ")
        await call(client, "start")
        await call(client, "stop")

    _serve(_host(root), scenario)
    assert victim.read_text() == "the secret\n"


# -- what error messages reveal ------------------------------------------------------------


def test_errors_do_not_tell_whether_a_file_outside_the_root_exists(root: Path) -> None:
    existing = root.parent / "outside" / "secret.txt"
    missing = root.parent / "outside" / "no-such-file.txt"

    async def scenario(client: Client) -> list[str]:
        answers = []
        for path in (existing, missing):
            for type_name in ("MediaFile", "ImageOverlay"):
                text = await call_error(
                    client, "add_processor", {"type": type_name, "config": {"path": str(path)}}
                )
                answers.append(text.replace(str(path), "PATH"))
            pipeline = f"processors:\n  clip: {{type: MediaFile, config: {{path: '{path}'}}}}\n"
            text = await call_error(client, "load_pipeline", {"text": pipeline})
            answers.append(text.replace(str(path), "PATH"))
        return answers

    for host in (_host(root, "network"), _host(None, "network")):
        seen: list[list[str]] = []

        async def run(client: Client, into: list[list[str]] = seen) -> None:
            into.append(await scenario(client))

        _serve(host, run)
        answers = seen[0]
        assert answers[:3] == answers[3:], answers
        assert all(a.startswith("PermissionDeniedError: ") for a in answers), answers


# -- what stays allowed --------------------------------------------------------------------


def test_generated_test_media_needs_no_grant() -> None:
    graphs = {
        "video_graph": "testsrc2=size=64x48:rate=10,scale=32:24,format=rgb24,hflip",
        "audio_graph": "sine=frequency=440:sample_rate=16000,volume=0.5",
    }

    async def scenario(client: Client) -> None:
        added = await call(
            client, "add_processor", {"type": "FFmpegSource", "id": "src", "config": graphs}
        )
        assert {key: added["config"][key] for key in graphs} == graphs  # used as given
        await call(client, "add_processor", {"type": "NullSink", "id": "sink"})
        await call(client, "connect", {"source": "src.video", "target": "sink.video"})
        await call(client, "start")
        snapshot = await call(client, "snapshot", {"port": "src.video"})
        assert snapshot["video"]["width"] == 32
        await call(client, "stop")

    _serve(_host(None), scenario)


def test_a_file_inside_the_root_plays_with_ffmpeg_kept_to_that_file(root: Path) -> None:
    from media_support import make_clip

    make_clip(root / "clip.mp4", seconds=0.5, size="64x48", audio=False)

    async def scenario(client: Client) -> None:
        config = {"path": "clip.mp4", "audio_enabled": False, "loop": True}
        added = await call(
            client, "add_processor", {"type": "MediaFile", "id": "clip", "config": config}
        )
        assert added["config"]["path"] == str(root / "clip.mp4")
        options = added["config"]["options"]
        assert options["protocol_whitelist"] == "file"
        assert "hls" not in options["format_whitelist"].split(",")
        assert "concat" not in options["format_whitelist"].split(",")
        # What the check wrote is accepted when checked again (set_config, a saved pipeline).
        await call(client, "set_config", {"id": "clip", "changes": {"loop": True}})
        saved = await call(client, "save_pipeline")
        await call(client, "load_pipeline", {"text": saved["text"], "replace": True})
        await call(client, "start")
        snapshot = await call(client, "snapshot", {"port": "clip.video"})
        assert snapshot["video"]["width"] == 64
        await call(client, "stop")

    _serve(_host(root), scenario)


def test_a_playlist_in_the_root_cannot_lead_ffmpeg_outside(root: Path) -> None:
    import av

    from media_support import make_clip
    from streamlib.control._ffmpeg_grants import locate, protective_options

    outside = make_clip(root.parent / "outside" / "clip.ts", seconds=0.5, audio=False)
    playlist = root / "list.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:0.5,\n{outside}\n#EXT-X-ENDLIST\n"
    )
    with av.open(str(playlist)) as unprotected:  # what FFmpeg does when left to itself
        assert unprotected.format.name == "hls"
    with pytest.raises(av.FFmpegError):
        av.open(str(playlist), options=protective_options(locate(str(playlist))))


# -- the filter-graph reader -----------------------------------------------------------------


def test_filter_graphs_are_read_as_libavfilter_reads_them() -> None:
    from streamlib.control._ffmpeg_graph import FilterCall, parse_filter_graph

    calls = parse_filter_graph(
        "[in] scale = w=640:h='iw/2' [a]; sine=440:sample_rate=8000, "
        "drawbox@box=c='red\\:0.5':t=fill,mo\\vie='a\\:b',x=fil\\e=/y"
    )
    assert calls == (
        FilterCall("scale", None, (("w", "640"), ("h", "iw/2"))),
        FilterCall("sine", None, ((None, "440"), ("sample_rate", "8000"))),
        FilterCall("drawbox", "box", (("c", "red:0.5"), ("t", "fill"))),
        FilterCall("movie", None, ((None, "a:b"),)),
        FilterCall("x", None, (("file", "/y"),)),  # one level of escaping is gone by then
    )
    for broken in ("scale,", "[a", "[]scale", "scale;;sine", "scale[a"):
        with pytest.raises(sl.ConfigError):
            parse_filter_graph(broken)


def test_no_allowed_filter_has_an_option_that_names_a_file() -> None:
    """Checked against the FFmpeg on this machine, so the allow-list stays safe as FFmpeg grows."""
    from streamlib.control._ffmpeg_grants import SAFE_FILTERS

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("no ffmpeg command to list filter options with")
    option = re.compile(r"^ {3}(\S+)\s+<", re.MULTILINE)
    for name in sorted(SAFE_FILTERS):
        help_text = subprocess.run(
            [ffmpeg, "-hide_banner", "-h", f"filter={name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        names = set(option.findall(help_text))
        risky = {o for o in names if any(w in o for w in ("file", "path", "url", "lib", "model"))}
        assert not risky, f"{name} has options {risky}; take it off SAFE_FILTERS"


def test_a_live_change_from_a_file_to_a_url_takes_the_urls_whitelist(root: Path) -> None:
    (root / "clip.mp4").write_bytes(b"")

    async def scenario(client: Client) -> None:
        config = {"path": "clip.mp4"}
        await call(client, "add_processor", {"type": "MediaFile", "id": "clip", "config": config})
        url = "http://127.0.0.1:9/clip.mp4"
        changed = await call(client, "set_config", {"id": "clip", "changes": {"path": url}})
        assert changed["config"]["path"] == url
        assert "file" not in changed["config"]["options"]["protocol_whitelist"].split(",")
        assert "format_whitelist" not in changed["config"]["options"]

    _serve(_host(root, "network"), scenario)


def test_audio_device_names_are_device_fields() -> None:
    from streamlib.processors import AudioCapture, AudioOutput

    for kind in (AudioCapture, AudioOutput):
        assert kind.Config.reach_fields() == {"device": "device"}
