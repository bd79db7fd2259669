"""Taps over the web API on 127.0.0.1 (served in this process, so the tests can see the
output ports a tap watches): a video port as MJPEG (moving frames, scaled by picking
pixels), an audio port as level readings (the tone's known level), neither disturbing the
pipeline (no processor or connection added, no new drops on the real connections, the
producer keeps its rate, a fused chain stays on its thread), the watcher gone once the
client hangs up, the runtime stops or the processor is removed, and the page's tap panel
in headless Chromium (screenshots under ``artifacts/web-page/``)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest

import streamlib as sl
from chromium_cdp import CHROMIUM, Chromium
from streamlib.control import PipelineHost
from streamlib.control._tap import Tap
from streamlib.core import rgb_to_yuv420
from streamlib.web import WebServer
from streamlib.web._taps import preview_pixels
from test_web_api import WAIT_S, ok, post, sse_events

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web-page"

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (CI installs it with apt: chromium)"
)

# The bars scroll 8 px a frame, so consecutive images differ; the tone is one sine of
# amplitude 0.5: peak 20*log10(0.5) = -6.02 dBFS, RMS 3 dB below.
PIPELINE = """\
processors:
  src: {type: TestPattern, config: {width: 320, height: 240, fps: 30, speed: 8}}
  sink: {type: NullSink}
  tone: {type: ToneSource, config: {amplitude: 0.5, frequencies: [1000], channels: 2}}
  asink: {type: NullSink}
connections:
  - src.video -> sink.video
  - tone.audio -> asink.audio
"""
PEAK_DB = -6.02
RMS_DB = -9.03


@contextmanager
def web_server() -> Iterator[tuple[str, PipelineHost]]:
    """The web API over a fresh host, served on a free loopback port by a thread of this
    process (as ``streamlib serve`` does); yields the API's base URL and the host."""
    host = PipelineHost()
    try:
        with WebServer(host) as server:
            assert server.url is not None
            yield server.url, host
    finally:
        host.close()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, PipelineHost]]:
    with web_server() as (url, host):
        ok(post(url, "load_pipeline", {"text": PIPELINE}))
        assert ok(post(url, "start"))["state"] == "running"
        yield url, host


@pytest.fixture(scope="module")
def api(served: tuple[str, PipelineHost]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def host(served: tuple[str, PipelineHost]) -> PipelineHost:
    return served[1]


class MjpegReader:
    """The parts (headers, body) of a multipart/x-mixed-replace response, as they come.

    One byte iterator for the whole response: dropping an ``iter_bytes`` iterator closes
    the response, and so the tap.
    """

    def __init__(self, response: httpx2.Response) -> None:
        boundary = response.headers["content-type"].partition("boundary=")[2]
        self.delimiter = f"--{boundary}"
        self.chunks = response.iter_bytes()
        self.buffer = b""

    def parts(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        return [self.part() for _ in range(count)]

    def part(self) -> tuple[dict[str, str], bytes]:
        while (head_end := self.buffer.find(b"\r\n\r\n")) < 0:
            self.buffer += next(self.chunks)
        lines = self.buffer[:head_end].decode("ascii").split("\r\n")
        assert lines[0] == self.delimiter, lines
        headers = dict(line.split(": ", 1) for line in lines[1:])
        end = head_end + 4 + int(headers["Content-Length"]) + 2
        while len(self.buffer) < end:
            self.buffer += next(self.chunks)
        body = self.buffer[head_end + 4 : end - 2]
        self.buffer = self.buffer[end:]
        return headers, body


def watchers(host: PipelineHost, output: str) -> int:
    """How many watchers (open taps, snapshots) the output ``processor.port`` has."""
    processor, port = output.split(".")
    return len(host.runtime.processor(processor).outputs[port].watchers)


def open_taps(host: PipelineHost) -> int:
    return sum(watchers(host, output) for output in ("src.video", "tone.audio"))


def connection_stats(api: str) -> dict[str, dict[str, Any]]:
    stats = ok(httpx2.get(f"{api}/stats", params={"events": 0}))
    return {connection["id"]: connection for connection in stats["connections"]}


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {WAIT_S} s waiting for {what}")


def frames_out_rate(api: str, seconds: float) -> float:
    def frames_out() -> int:
        stats = ok(httpx2.get(f"{api}/stats", params={"events": 0}))
        return int(stats["processors"]["src"]["frames_out"])

    first, started = frames_out(), time.monotonic()
    time.sleep(seconds)
    return (frames_out() - first) / (time.monotonic() - started)


# -- over HTTP -------------------------------------------------------------------------


def test_a_video_tap_streams_moving_jpeg_frames(api: str) -> None:
    from PIL import Image

    with httpx2.stream("GET", f"{api}/taps/src/video?fps=10&width=160", timeout=WAIT_S) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("multipart/x-mixed-replace")
        parts = MjpegReader(r).parts(4)
    images = []
    for headers, body in parts:
        assert headers["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(body))
        image.load()
        assert image.format == "JPEG"
        assert image.size == (160, 120)  # scaled to width=160, aspect kept
        images.append(image.tobytes())
    assert len(set(images)) > 1, "every image is the same: the video does not move"
    numbers = [int(headers["X-Frame-Number"]) for headers, _ in parts]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


def test_a_tap_never_holds_the_pipeline_back(api: str, host: PipelineHost) -> None:
    without = frames_out_rate(api, 1.5)
    graph = ok(httpx2.get(f"{api}/graph"))["graph"]
    before = connection_stats(api)
    with httpx2.stream("GET", f"{api}/taps/sink/video?fps=15", timeout=WAIT_S) as r:
        reader = MjpegReader(r)
        reader.part()
        assert watchers(host, "src.video") == 1  # an input shows its producer's output
        assert ok(httpx2.get(f"{api}/graph"))["graph"] == graph, "a tap is not in the graph"
        with_tap = frames_out_rate(api, 1.5)
        during = connection_stats(api)
    assert during.keys() == before.keys()
    for real in ("src.video->sink.video", "tone.audio->asink.audio"):
        assert during[real]["dropped"] == before[real]["dropped"], real
    # Generous: pacing is the source's own (30 fps); a tap that held it back would halve it.
    assert with_tap > 0.7 * without, (with_tap, without)


def test_the_tap_is_detached_when_the_client_hangs_up(api: str, host: PipelineHost) -> None:
    with httpx2.stream("GET", f"{api}/taps/src/video", timeout=WAIT_S) as r:
        reader = MjpegReader(r)
        reader.part()
        assert watchers(host, "src.video") == 1
    wait_until(lambda: not open_taps(host), "the tap to be detached")


def test_an_audio_tap_reads_the_tones_level(api: str, host: PipelineHost) -> None:
    readings = []
    with httpx2.stream("GET", f"{api}/taps/tone/audio?fps=5", timeout=WAIT_S) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for name, data in sse_events(r):
            assert name == "levels"
            readings.append(data)
            if len(readings) == 3:
                break
    for reading in readings:
        assert reading["source"] == "tone.audio"
        assert reading["channels"] == 2
        assert reading["peak_db"] == pytest.approx([PEAK_DB] * 2, abs=0.3)
        assert reading["rms_db"] == pytest.approx([RMS_DB] * 2, abs=0.3)
    assert readings[-1]["samples"] > 480, "a reading covers the audio since the previous one"
    assert readings[-1]["dominant_hz"] == pytest.approx(1000, rel=0.02)
    wait_until(lambda: not open_taps(host), "the audio tap to be detached")


def test_a_bad_tap_is_refused_by_name(api: str, host: PipelineHost) -> None:
    missing = httpx2.get(f"{api}/taps/src/vide")
    assert missing.status_code == 400
    assert missing.json()["error"] == "UnknownPortError"
    assert "src (TestPattern) has no port 'vide'" in missing.json()["message"]
    assert "'video'" in missing.json()["message"]
    fast = httpx2.get(f"{api}/taps/src/video?fps=60")
    assert fast.status_code == 400
    assert "1..15" in fast.json()["message"]
    port = api.split("/")[2].rpartition(":")[2]
    foreign = httpx2.get(f"{api}/taps/src/video", headers={"Host": f"attacker.example:{port}"})
    assert foreign.status_code == 421
    assert not open_taps(host)


def test_the_tap_ends_when_the_runtime_stops() -> None:
    with web_server() as (api, host):
        ok(post(api, "load_pipeline", {"text": PIPELINE}))
        ok(post(api, "start"))
        with httpx2.stream("GET", f"{api}/taps/tone/audio", timeout=WAIT_S) as r:
            events = sse_events(r)
            assert next(events)[0] == "levels"
            assert ok(post(api, "stop"))["state"] == "stopped"
            for name, data in events:
                if name == "end":
                    assert data["source"] == "tone.audio"
                    break
        wait_until(lambda: not open_taps(host), "the tap to be detached after stop")
        refused = httpx2.get(f"{api}/taps/tone/audio")
        assert refused.status_code == 400
        assert refused.json()["error"] == "RuntimeStateError"


# -- in the runtime ----------------------------------------------------------------------


def chain(rt: sl.Runtime) -> None:
    """A light fused chain: a 30 fps pattern through two passthroughs into a sink."""
    from streamlib.processors import NullSink, Passthrough, TestPattern

    rt.add(TestPattern, id="src", width=64, height=48, fps=30)
    rt.add(Passthrough, id="a")
    rt.add(Passthrough, id="b")
    rt.add(NullSink, id="sink")
    rt.connect("src.video", "a.frames_in")
    rt.connect("a.frames_out", "b.frames_in")
    rt.connect("b.frames_out", "sink.video")


def test_a_tap_leaves_a_fused_chain_on_its_thread() -> None:
    host = PipelineHost()
    try:
        host.call(lambda: chain(host.runtime))
        host.call(host.runtime.start)
        rt = host.runtime

        def workers() -> dict[str, str | None]:
            return {pid: stats.worker for pid, stats in rt.statistics().processors.items()}

        wait_until(lambda: rt.statistics().processors["sink"].frames_in > 3, "frames")
        fused = workers()
        assert len(set(fused.values())) < len(fused), f"the chain is not fused: {fused}"
        graph = rt.graph.to_dict()
        tap = Tap.open(host, "a.frames_out")
        try:
            frames = [frame for _ in range(3) for frame in tap.take(timeout_s=WAIT_S)]
            assert len(frames) == 3
            assert all(isinstance(frame, sl.VideoFrame) and frame.is_frozen for frame in frames)
            numbers = [frame.frame_number for frame in frames]
            assert numbers == sorted(set(numbers)), "each take shows a newer frame"
            assert workers() == fused, "the tapped chain was split"
            assert rt.graph.to_dict() == graph
            time.sleep(0.2)  # frames flow while nobody asks: counted, not kept
            assert tap.dropped > 0
            assert tap.is_live()
        finally:
            tap.close()
        assert not rt.processor("a").outputs["frames_out"].watchers
        assert not tap.is_live()
        assert all(c.dropped == 0 for c in rt.statistics().connections)
    finally:
        host.close()


def test_a_tap_stops_watching_when_its_processor_is_removed() -> None:
    host = PipelineHost()
    try:
        host.call(lambda: chain(host.runtime))
        host.call(host.runtime.start)
        output = host.runtime.processor("b").outputs["frames_out"]
        tap = Tap.open(host, "sink.video")  # an input shows its producer's output
        assert tap.source == sl.PortRef.parse("b.frames_out")
        assert output.watchers
        assert tap.take(timeout_s=WAIT_S)
        host.call(lambda: host.runtime.remove("b"))
        wait_until(lambda: not output.watchers, "the removed output to lose its watcher")
        assert not tap.is_live()
        assert tap.take(timeout_s=WAIT_S) == []  # at once: the tap ended
        tap.close()
    finally:
        host.close()


def bars(width: int, height: int) -> np.ndarray[Any, Any]:
    """Eight vertical colour bars, an RGB picture."""
    colours = np.array(
        [[235, 235, 235], [235, 235, 16], [16, 235, 235], [16, 235, 16],
         [235, 16, 235], [235, 16, 16], [16, 16, 235], [16, 16, 16]],
        np.uint8,
    )  # fmt: skip
    return np.ascontiguousarray(colours[np.arange(width) * 8 // width][None].repeat(height, 0))


def frame_of(rgb: np.ndarray[Any, Any], pixel_format: str) -> sl.VideoFrame:
    alpha = np.full((*rgb.shape[:2], 1), 255, np.uint8)
    if pixel_format == "rgb24":
        return sl.VideoFrame(rgb, "rgb24")
    if pixel_format == "rgba":
        return sl.VideoFrame(np.concatenate([rgb, alpha], axis=2), "rgba")
    if pixel_format == "bgra":
        return sl.VideoFrame(np.concatenate([rgb[..., ::-1], alpha], axis=2), "bgra")
    if pixel_format == "gray8":
        return sl.VideoFrame(np.ascontiguousarray(rgb[..., 1]), "gray8")
    y, u, v = rgb_to_yuv420(rgb)
    if pixel_format == "yuv420p":
        chroma = np.concatenate([u.reshape(-1), v.reshape(-1)])
    else:
        chroma = np.stack([u, v], axis=-1).reshape(-1)
    planes = np.concatenate([y.reshape(-1), chroma]).reshape(-1, rgb.shape[1])
    return sl.VideoFrame(planes, pixel_format)


@pytest.mark.parametrize("pixel_format", ["rgb24", "rgba", "bgra", "gray8", "yuv420p", "nv12"])
def test_a_preview_picks_pixels_to_fit_the_width(pixel_format: str) -> None:
    rgb = bars(1920, 1080)
    frame = frame_of(rgb, pixel_format)
    preview = preview_pixels(frame, 480)
    expected = rgb[::4, ::4, 1] if pixel_format == "gray8" else rgb[::4, ::4]
    assert preview.shape == expected.shape  # every 4th pixel: 480x270
    assert preview.flags.c_contiguous
    # 4:2:0 carries colour at half resolution: off by a little at the bars' edges only.
    difference = np.abs(preview.astype(int) - expected)
    assert np.median(difference) <= 2
    assert preview_pixels(frame, 500).shape[1] == 480, "at most the width asked for"
    assert preview_pixels(frame, 1920).shape[1] == 1920, "never scaled up"
    assert frame_of(rgb, pixel_format).to_ndarray().flags.writeable, "the frame is untouched"


# -- on the page -----------------------------------------------------------------------

# A checksum of the tap's image as drawn now (the page serves it, so the canvas is clean).
IMAGE_SUM = """(() => {
  const image = document.getElementById('tap-image');
  if (!image.naturalWidth) return null;
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 7) sum = (sum * 31 + pixels[i]) % 1000000007;
  return sum;
})()"""


@needs_chromium
def test_the_page_opens_a_tap_that_shows_moving_video_and_closes_it(
    api: str, host: PipelineHost
) -> None:
    with Chromium(api.removesuffix("api")) as browser:
        browser.wait_for("document.body.dataset.ready", lambda ready: ready == "true")
        browser.wait_for("!!document.querySelector('#processors tr[data-processor=src]')", bool)
        browser.evaluate("document.querySelector('#processors tr[data-processor=src]').click()")
        button = "document.querySelector('.tap-port[data-port=\"src.video\"]')"
        browser.wait_for(f"!!{button}", bool)
        browser.evaluate(f"{button}.click()")
        width = browser.wait_for("document.getElementById('tap-image').naturalWidth", bool)
        assert 0 < width <= 480
        first = browser.wait_for(IMAGE_SUM, lambda value: value is not None)
        browser.wait_for(IMAGE_SUM, lambda value: value is not None and value != first)
        assert watchers(host, "src.video") == 1
        nodes = browser.evaluate("page.cy.nodes().map(node => node.id())")
        assert sorted(nodes) == ["asink", "sink", "src", "tone"], "a tap is not in the graph"
        browser.screenshot(ARTIFACTS / "06-video-tap.png")

        browser.evaluate("document.querySelector('#processors tr[data-processor=tone]').click()")
        tone = "document.querySelector('.tap-port[data-port=\"tone.audio\"]')"
        browser.wait_for(f"!!{tone}", bool)
        browser.evaluate(f"{tone}.click()")
        browser.wait_for("Number(document.getElementById('tap').dataset.readings || 0)", (2).__le__)
        shown = browser.evaluate("document.querySelector('#tap-levels .meter-text').textContent")
        assert "peak -6.0 dBFS" in shown, shown
        browser.screenshot(ARTIFACTS / "07-audio-tap.png")

        browser.evaluate("document.getElementById('tap-close').click()")
        assert browser.evaluate("document.getElementById('tap').hidden") is True
        wait_until(lambda: not open_taps(host), "the page's taps to be detached")
