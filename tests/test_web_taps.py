"""Taps over ``streamlib serve`` on 127.0.0.1: a video port as MJPEG (moving frames), an
audio port as level readings (the tone's known level), neither holding the pipeline back
(a ``latest`` consumer of capacity 1; no new drops on the real connections; the producer
keeps its rate), the consumer gone once the client hangs up or the runtime stops, and the
page's tap panel in headless Chromium (screenshots under ``artifacts/web-page/``)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from chromium_cdp import CHROMIUM, Chromium
from test_web_api import WAIT_S, ok, post, sse_events, web_process

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


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with web_process(["serve", "--web", "127.0.0.1:0"]) as server:
        ok(post(server.url, "load_pipeline", {"text": PIPELINE}))
        assert ok(post(server.url, "start"))["state"] == "running"
        yield server.url


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


def taps_in_graph(api: str) -> list[str]:
    graph = ok(httpx2.get(f"{api}/graph"))["graph"]
    return [pid for pid in graph["processors"] if pid.startswith("_tap_")]


def connection_stats(api: str) -> dict[str, dict[str, Any]]:
    stats = ok(httpx2.get(f"{api}/stats", params={"events": 0}))
    return {connection["id"]: connection for connection in stats["connections"]}


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
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


def test_a_tap_never_holds_the_pipeline_back(api: str) -> None:
    without = frames_out_rate(api, 1.5)
    before = connection_stats(api)
    with httpx2.stream("GET", f"{api}/taps/sink/video?fps=15", timeout=WAIT_S) as r:
        reader = MjpegReader(r)
        reader.part()
        (tap,) = taps_in_graph(api)  # an input shows its producer's output
        graph = ok(httpx2.get(f"{api}/graph"))["graph"]
        (edge,) = [c for c in graph["connections"] if c["to"] == f"{tap}.frames"]
        assert edge == {
            "from": "src.video",
            "to": f"{tap}.frames",
            "profile": "latest",
            "capacity": 1,
        }
        with_tap = frames_out_rate(api, 1.5)
        during = connection_stats(api)
    for real in ("src.video->sink.video", "tone.audio->asink.audio"):
        assert during[real]["dropped"] == before[real]["dropped"], real
    # Generous: pacing is the source's own (30 fps); a tap that held it back would halve it.
    assert with_tap > 0.7 * without, (with_tap, without)


def test_the_tap_is_detached_when_the_client_hangs_up(api: str) -> None:
    with httpx2.stream("GET", f"{api}/taps/src/video", timeout=WAIT_S) as r:
        reader = MjpegReader(r)
        reader.part()
        assert len(taps_in_graph(api)) == 1
    wait_until(lambda: not taps_in_graph(api), "the tap to be detached")
    assert not [c for c in connection_stats(api) if "_tap_" in c]


def test_an_audio_tap_reads_the_tones_level(api: str) -> None:
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
    wait_until(lambda: not taps_in_graph(api), "the audio tap to be detached")


def test_a_bad_tap_is_refused_by_name(api: str) -> None:
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
    assert not taps_in_graph(api)


def test_the_tap_ends_when_the_runtime_stops() -> None:
    with web_process(["serve", "--web", "127.0.0.1:0"]) as server:
        api = server.url
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
        wait_until(lambda: not taps_in_graph(api), "the tap to be detached after stop")
        refused = httpx2.get(f"{api}/taps/tone/audio")
        assert refused.status_code == 400
        assert refused.json()["error"] == "RuntimeStateError"


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
def test_the_page_opens_a_tap_that_shows_moving_video_and_closes_it(api: str) -> None:
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
        assert len(taps_in_graph(api)) == 1
        nodes = browser.evaluate("page.cy.nodes().map(node => node.id())")
        assert sorted(nodes) == ["asink", "sink", "src", "tone"], "the page hides the tap"
        logged = browser.evaluate("document.getElementById('events').textContent")
        assert "_tap_" not in logged, "the page leaves taps out of its event log"
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
        wait_until(lambda: not taps_in_graph(api), "the page's taps to be detached")
    assert json.dumps(connection_stats(api)).count("_tap_") == 0
