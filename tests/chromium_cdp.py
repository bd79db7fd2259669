"""Headless Chromium for the WebRTC and web page tests, driven over the DevTools protocol.

Chromium listens for DevTools on 127.0.0.1 (a port it picks, named in
``DevToolsActivePort``); :meth:`Chromium.evaluate` runs JavaScript in the
page and returns its (awaited) value, :meth:`Chromium.screenshot` saves a PNG::

    with Chromium("http://127.0.0.1:8889/") as browser:
        stats = browser.evaluate("window.streamlib.stats()")
        browser.screenshot(Path("artifacts/page.png"))
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["CHROMIUM", "Chromium"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class Chromium:
    """One headless Chromium showing ``url``; killed on exit."""

    def __init__(
        self, url: str, *, start_timeout: float = 30.0, window_size: tuple[int, int] = (1280, 900)
    ) -> None:
        assert CHROMIUM is not None
        # Chromium's helper processes may still write to the profile for a moment after
        # the browser died; what they leave is temporary files only.
        self._profile = tempfile.TemporaryDirectory(
            prefix="streamlib-chromium-", ignore_cleanup_errors=True
        )
        size = f"--window-size={window_size[0]},{window_size[1]}"
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, size, f"--user-data-dir={self._profile.name}", url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes too: killed as one group
        )
        self._ids = itertools.count(1)
        self._page_ws = self._find_page(Path(self._profile.name), start_timeout)

    def _find_page(self, profile: Path, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        port_file = profile / "DevToolsActivePort"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            if port_file.exists() and port_file.read_text().strip():
                port = int(port_file.read_text().split()[0])
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as reply:
                        targets = json.load(reply)
                except OSError:
                    targets = []
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise RuntimeError(f"chromium showed no page within {timeout} s")

    def evaluate(self, expression: str, timeout: float = 10.0) -> Any:
        """The value of ``expression`` in the page (promises awaited); raises on a JS error."""
        params = {"expression": expression, "awaitPromise": True, "returnByValue": True}
        result = self.send("Runtime.evaluate", params, timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, timeout: float = 10.0) -> Path:
        """Save the whole page as it is now as a PNG at ``path`` (folders made as needed)."""
        size = self.send("Page.getLayoutMetrics", {}, timeout)["cssContentSize"]
        whole_page = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        params = {"format": "png", "clip": whole_page, "captureBeyondViewport": True}
        result = self.send("Page.captureScreenshot", params, timeout)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(result["data"]))
        return path

    def send(self, method: str, params: dict[str, Any], timeout: float = 10.0) -> Any:
        """One DevTools command to the page; its ``result`` (raises on a protocol error)."""
        return asyncio.run(asyncio.wait_for(self._send(method, params), timeout))

    async def _send(self, method: str, params: dict[str, Any]) -> Any:
        message_id = next(self._ids)
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(self._page_ws, max_msg_size=0) as ws,
        ):
            await ws.send_json({"id": message_id, "method": method, "params": params})
            async for message in ws:
                reply = json.loads(message.data)
                if reply.get("id") != message_id:
                    continue
                if "error" in reply:
                    raise RuntimeError(f"DevTools refused {method}: {reply['error']}")
                return reply["result"]
        raise RuntimeError("DevTools closed the connection")

    def wait_for(self, expression: str, predicate: Any, timeout: float = 20.0) -> Any:
        """Evaluate ``expression`` until ``predicate(value)``; the last value (fails on timeout).

        A JavaScript error counts as "not yet" (the page may still be loading: no
        ``document.body`` yet); the last one is in the timeout's message.
        """
        deadline = time.monotonic() + timeout
        value: Any = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as error:  # not loaded yet, or not yet defined
                value = f"<{error}>"
            else:
                if predicate(value):
                    return value
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout} s; last value of {expression}: {value}")

    def kill(self) -> None:
        """Kill the browser at once (a viewer that vanishes without hanging up)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def close(self) -> None:
        self.kill()
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
