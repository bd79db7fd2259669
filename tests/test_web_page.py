"""The web page at ``/`` driven in headless Chromium, over ``streamlib serve`` on 127.0.0.1:
it lists a loaded pipeline's processors, its numbers move while the pipeline runs, its
buttons drive the runtime, its config form changes the frames (seen through ``snapshot``)
and shows the server's refusal word for word. Screenshots of each step are saved under
``artifacts/web-page/`` (git-ignored) for the test report."""

from __future__ import annotations

import base64
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest

from chromium_cdp import CHROMIUM, Chromium
from streamlib.core import _events
from streamlib.web._page import STATIC_DIR
from test_web_api import WAIT_S, ok, post, web_process

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web-page"

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (CI installs it with apt: chromium)"
)

# speed 0: the pattern stands still, so a snapshot changes only when the config does.
PIPELINE = """\
processors:
  src: {type: TestPattern, config: {width: 160, height: 120, fps: 30, speed: 0}}
  fx: {type: Brightness, config: {gain: 1.0}}
  sink: {type: NullSink}
connections:
  - src.video -> fx.video_in
  - fx.video_out -> sink.video
"""

LISTED = "[...document.querySelectorAll('#processors tbody tr')].map(row => row.dataset.processor)"


def cell(processor: str, column: str) -> str:
    """JavaScript for the text of one cell of the processor table."""
    row = f"#processors tr[data-processor={processor}]"
    return f"document.querySelector('{row} .{column}').textContent"


class Page:
    """The server's API URL and the browser showing its page."""

    def __init__(self, api: str, browser: Chromium) -> None:
        self.api = api
        self.browser = browser

    def text(self, element_id: str) -> str:
        return str(self.browser.evaluate(f"document.getElementById('{element_id}').textContent"))

    def click(self, selector: str) -> None:
        self.browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, name: str) -> None:
        self.browser.screenshot(ARTIFACTS / f"{name}.png")

    def runtime_state(self) -> str:
        return str(ok(httpx2.get(f"{self.api}/stats", params={"events": 0}))["state"])

    def select(self, processor: str) -> None:
        """Click the processor's row and wait for its config form."""
        self.click(f"#processors tr[data-processor={processor}]")
        self.browser.wait_for(
            "document.getElementById('detail-id').textContent + ':' + "
            "document.querySelectorAll('#config-fields [name]').length",
            lambda value: value.startswith(f"{processor}:") and not value.endswith(":0"),
        )

    def submit_config(self, field: str, value: str) -> None:
        """Type ``value`` into the form's ``field`` and press Apply."""
        self.browser.evaluate(
            f"(() => {{ const input = document.querySelector('#config-fields [name={field}]');"
            f" input.value = {json.dumps(value)};"
            " input.dispatchEvent(new Event('input', {bubbles: true}));"
            " document.getElementById('config-apply').click(); })()"
        )


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    """``streamlib serve`` with the page open in Chromium, then a pipeline loaded and
    started over the API (so the page also has to notice it from the event stream)."""
    with web_process(["serve", "--web", "127.0.0.1:0"]) as server:
        api = server.url
        with Chromium(api.removesuffix("api")) as browser:
            browser.wait_for("document.body.dataset.ready", lambda ready: ready == "true")
            ok(post(api, "load_pipeline", {"text": PIPELINE}))
            assert ok(post(api, "start"))["state"] == "running"
            yield Page(api, browser)


def frame_brightness(api: str) -> float:
    """The mean value of the frame leaving ``fx`` now (the ``snapshot`` operation's PNG)."""
    from PIL import Image

    reply = ok(post(api, "snapshot", {"port": "fx.video_out"}))
    image = Image.open(io.BytesIO(base64.b64decode(reply["images"][0]["data"]))).convert("L")
    return float(np.asarray(image).mean())


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {WAIT_S} s waiting for {what}")


# -- in the browser --------------------------------------------------------------------


@needs_chromium
def test_the_page_lists_every_processor_of_a_loaded_pipeline(page: Page) -> None:
    listed = page.browser.wait_for(LISTED, lambda ids: ids is not None and len(ids) == 3)
    assert sorted(listed) == ["fx", "sink", "src"]
    nodes = page.browser.evaluate("page.cy.nodes().map(node => node.id())")
    assert sorted(nodes) == ["fx", "sink", "src"]
    edges = page.browser.evaluate("page.cy.edges().map(edge => edge.id())")
    assert sorted(edges) == ["fx.video_out->sink.video", "src.video->fx.video_in"]
    page.browser.wait_for(cell("src", "state"), lambda state: state == "running")
    page.screenshot("01-pipeline-listed")


@needs_chromium
def test_the_numbers_change_while_it_runs(page: Page) -> None:
    page.browser.wait_for(LISTED, lambda ids: ids is not None and len(ids) == 3)
    fps = page.browser.wait_for(cell("src", "fps"), lambda text: re.fullmatch(r"[\d.]+", text))
    first = page.browser.evaluate(cell("sink", "frames"))
    page.browser.wait_for(cell("sink", "frames"), lambda text: text != first)
    page.browser.wait_for(cell("src", "fps"), lambda text: float(text) > 0)
    label = page.browser.evaluate("page.cy.getElementById('src').data('label')")
    assert "fps" in label
    assert "p99" in label
    edge = page.browser.evaluate("page.cy.getElementById('src.video->fx.video_in').data('label')")
    assert "drop" in edge
    points = page.browser.evaluate("page.history.get('src').fps.length")
    assert points >= 2, f"the sparkline has {points} points (fps {fps})"
    page.screenshot("02-running")


@needs_chromium
def test_pause_from_the_page_pauses_the_runtime(page: Page) -> None:
    page.browser.wait_for(
        "document.getElementById('runtime-state').dataset.state", "running".__eq__
    )
    page.click("#controls button[data-operation=pause]")
    wait_until(lambda: page.runtime_state() == "paused", "the runtime to pause")
    page.browser.wait_for("document.getElementById('runtime-state').textContent", "paused".__eq__)
    page.screenshot("03-paused")
    page.click("#controls button[data-operation=resume]")
    wait_until(lambda: page.runtime_state() == "running", "the runtime to resume")
    assert page.text("control-error") == ""


@needs_chromium
def test_a_live_config_edit_from_the_form_changes_the_frames(page: Page) -> None:
    page.browser.wait_for(
        "document.getElementById('runtime-state').dataset.state", "running".__eq__
    )
    page.select("fx")
    before = frame_brightness(page.api)
    page.submit_config("gain", "0.5")
    page.browser.wait_for("document.getElementById('config-result').textContent", _applied)
    assert ok(httpx2.get(f"{page.api}/graph"))["graph"]["processors"]["fx"]["config"]["gain"] == 0.5
    # Half the gain, half the brightness (nothing clamps going down).
    wait_until(lambda: frame_brightness(page.api) < before * 0.6, "darker frames after gain 0.5")
    page.screenshot("04-live-edit")


def _applied(text: str) -> bool:
    return text.startswith("applied (live)")


@needs_chromium
def test_an_invalid_edit_shows_the_servers_error(page: Page) -> None:
    refused = post(page.api, "set_config", {"id": "fx", "changes": {"gain": -1}})
    assert refused.status_code == 400
    message = refused.json()["message"]
    page.select("fx")
    page.submit_config("gain", "-1")
    shown = page.browser.wait_for("document.getElementById('config-error').textContent", bool)
    assert shown == message
    assert "greater than or equal to 0" in shown
    assert page.browser.evaluate("document.getElementById('config-error').hidden") is False
    page.screenshot("05-invalid-edit")


@needs_chromium
def test_a_connection_and_a_processor_are_removed_from_the_page(page: Page) -> None:
    ok(post(page.api, "add_processor", {"type": "NullSink", "id": "extra"}))
    ok(post(page.api, "connect", {"from": "src.video", "to": "extra.video"}))
    edge = "src.video->extra.video"
    choices = "[...document.getElementById('disconnect-connection').options].map(o => o.value)"
    page.browser.wait_for(choices, lambda values: values is not None and edge in values)
    page.browser.evaluate(
        f"document.getElementById('disconnect-connection').value = {json.dumps(edge)};"
        "document.getElementById('disconnect-form').requestSubmit()"
    )
    page.browser.wait_for("document.getElementById('build-result').textContent", bool)

    def connections() -> list[str]:
        listed = ok(post(page.api, "list_connections"))["connections"]
        return [f"{c['from']}->{c['to']}" for c in listed]

    wait_until(lambda: edge not in connections(), "the connection to go")
    page.click("#processors tr[data-processor=extra]")  # a NullSink: no config form to wait on
    page.browser.wait_for(
        "document.getElementById('detail-id').textContent", lambda t: t == "extra"
    )
    page.click("#detail-remove")
    wait_until(
        lambda: "extra" not in ok(post(page.api, "list_processors"))["processors"],
        "the processor to go",
    )
    page.browser.wait_for(
        LISTED, lambda ids: ids is not None and sorted(ids) == ["fx", "sink", "src"]
    )
    assert "removed extra" in page.text("build-result")
    page.screenshot("06-removed")


# -- what the server hands out -----------------------------------------------------------


def test_the_page_listens_to_every_kind_of_runtime_event() -> None:
    script = (STATIC_DIR / "app.js").read_text()
    listed = re.search(r"const EVENT_KINDS = \[(.*?)\];", script, re.DOTALL)
    assert listed is not None
    kinds = set(re.findall(r'"(\w+)"', listed.group(1)))
    every = {
        cls.kind
        for cls in vars(_events).values()
        if isinstance(cls, type) and issubclass(cls, _events.Event) and cls is not _events.Event
    }
    every.discard(_events._ProcessorEvent.kind)  # the base of the processor events, never sent
    assert kinds == every


def test_every_vendored_library_has_its_license_and_version() -> None:
    vendor = STATIC_DIR / "vendor"
    lines = [line for line in (vendor / "MANIFEST.txt").read_text().splitlines() if line[:1] != "#"]
    assert {line.split()[0] for line in lines} >= {"cytoscape", "cytoscape-dagre", "uplot"}
    for line in lines:
        name, version, license_name, folder, integrity = line.split()
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), line
        assert license_name == "MIT", line
        assert integrity.startswith("sha512-"), line
        assert (vendor / folder / "LICENSE").is_file(), f"{name} has no LICENSE"
    page_html = (STATIC_DIR / "index.html").read_text()
    for source in re.findall(r'(?:src|href)="static/([^"]+)"', page_html):
        assert (STATIC_DIR / source).is_file(), f"index.html names a missing file: {source}"


def test_the_page_is_served_with_its_files_behind_the_guards() -> None:
    with web_process(["serve", "--web", "127.0.0.1:0"]) as server:
        root = server.url.removesuffix("api")
        index = httpx2.get(root)
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in index.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
        script = httpx2.get(f"{root}static/vendor/cytoscape/cytoscape.min.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert httpx2.get(f"{root}static/%2e%2e/_app.py").status_code == 404
        port = root.split("/")[2].rpartition(":")[2]
        foreign = httpx2.get(root, headers={"Host": f"attacker.example:{port}"})
        assert foreign.status_code == 421


@needs_chromium
def test_the_page_asks_for_the_token_and_then_works_with_streams_and_a_tap() -> None:
    token = "page-test-token-0123456789abcdef"
    auth = {"Authorization": f"Bearer {token}"}
    with web_process(["serve", "--web", "127.0.0.1:0", "--token", token]) as server:
        api = server.url
        body = json.dumps({"text": PIPELINE})
        assert httpx2.post(f"{api}/operations/load_pipeline", content=body, headers=auth).is_success
        assert httpx2.post(f"{api}/operations/start", content="{}", headers=auth).is_success
        with Chromium(api.removesuffix("api")) as browser:
            browser.wait_for("!document.getElementById('token-form').hidden", bool)
            page = Page(api, browser)
            page.screenshot("07-token-asked")
            browser.evaluate(
                f"document.getElementById('token-input').value = {json.dumps(token)};"
                "document.getElementById('token-form').requestSubmit()"
            )
            browser.wait_for("document.body.dataset.ready", lambda ready: ready == "true")
            listed = browser.wait_for(LISTED, lambda ids: ids is not None and len(ids) == 3)
            assert sorted(listed) == ["fx", "sink", "src"]
            # The statistics stream (opened with a ticket) keeps coming.
            seen = browser.wait_for("page.snapshots", lambda count: count and count > 0)
            browser.wait_for("page.snapshots", lambda count: count > seen + 2)
            browser.evaluate("openTap('fx.video_out', 'video')")
            width = browser.wait_for(
                "document.getElementById('tap-image').naturalWidth", lambda w: w and w > 0
            )
            assert width == 160
            assert browser.evaluate("location.hash") == ""
            assert browser.evaluate("sessionStorage.getItem('streamlib-token')") == token
        # From the address's fragment instead: taken, and wiped from the address.
        with Chromium(api.removesuffix("api") + f"#token={token}") as browser:
            browser.wait_for("document.body.dataset.ready", lambda ready: ready == "true")
            assert browser.evaluate("document.getElementById('token-form').hidden") is True
            assert browser.evaluate("location.hash") == ""
            browser.wait_for(LISTED, lambda ids: ids is not None and len(ids) == 3)
