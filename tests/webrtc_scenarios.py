"""WebRTC test scenarios, each run as its own process inside a loopback-only network namespace.

``test_webrtc.py`` runs ``python tests/webrtc_scenarios.py NAME`` under
``unshare -n`` (with ``lo`` up and nothing else), so every packet these
scenarios send stays on 127.0.0.1. Each prints one ``RESULT {json}`` line
that the test asserts on.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import streamlib as sl
from streamlib.processors import (
    Collector,
    NullSink,
    TestPattern,
    ToneSource,
    VideoEncoder,
    WhepPlayer,
    WhepServer,
    WhipPublisher,
    WhipServer,
)

PORT = 18889  # a fresh namespace: nothing else listens here
REDIRECT_PORT = 18890
URL = f"http://127.0.0.1:{PORT}"
WAIT_S = 20.0


def names(processor: Any) -> list[str]:
    events = getattr(processor, "events", None)  # made in setup, on the processor's worker
    return [] if events is None else [name for name, _ in events.history]


def wait_listening(rt: sl.Runtime, processor_id: str) -> Any:
    """The server processor, once its HTTP side listens (setup runs on its own worker)."""
    server = rt.processor(processor_id)
    wait_until(lambda: "listening" in names(server), what=f"{processor_id} to listen")
    return server


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def stamps(frames: list[sl.Frame]) -> list[int]:
    return [frame.timestamp_ns for frame in frames]


def post_offer(url: str) -> int:
    """POST a real (receive-only) offer to ``url``; the HTTP status it got."""
    from streamlib.webrtc import EventLoopThread, IceSettings, receiving_peer

    async def make_offer() -> str:
        pc = await receiving_peer(IceSettings(mode="loopback"), ("video",))
        sdp = str(pc.localDescription.sdp)
        await pc.close()
        return sdp

    loop = EventLoopThread("probe", loopback=True)
    try:
        sdp = loop.run(make_offer(), 10)
    finally:
        loop.stop()
    request = urllib.request.Request(
        url, data=sdp.encode(), headers={"Content-Type": "application/sdp"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class Redirector:
    """An HTTP server on REDIRECT_PORT answering every POST with 307 to ``URL/whip``."""

    def __init__(self) -> None:
        from aiohttp import web

        from streamlib.webrtc import EventLoopThread

        async def moved(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(f"{URL}/whip")

        app = web.Application()
        app.router.add_post("/{tail:.*}", moved)
        self.runner = web.AppRunner(app)
        self.loop = EventLoopThread("redirector")

        async def start() -> None:
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", REDIRECT_PORT).start()

        self.loop.run(start(), 10)

    def close(self) -> None:
        self.loop.run(self.runner.cleanup(), 10)
        self.loop.stop()


def patch_candidates(session_url: str) -> int:
    """PATCH one trickled candidate (RFC 8840 fragment) to a session; the HTTP status."""
    fragment = (
        "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
        "a=mid:0\r\na=candidate:9 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
    )
    request = urllib.request.Request(
        session_url,
        data=fragment.encode(),
        headers={"Content-Type": "application/trickle-ice-sdpfrag"},
        method="PATCH",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return int(reply.status)


def whip_roundtrip() -> dict[str, Any]:
    """TestPattern + ToneSource -> WhipPublisher -> (a 307) -> WhipServer -> Collector,
    then the server goes and comes back."""
    redirector = Redirector()
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=320, height=240, fps=30)
        tone = rt.add(ToneSource, block_size=960)
        pub = rt.add(
            WhipPublisher,
            id="pub",
            url=f"http://127.0.0.1:{REDIRECT_PORT}/old-endpoint",
            ice="loopback",
            retry_max=1.0,
        )
        srv = rt.add(WhipServer, id="srv", port=PORT, ice="loopback")
        sink = rt.add(Collector, id="sink")
        rt.connect(src.video, pub.video)
        rt.connect(tone.audio, pub.audio)
        rt.connect(srv.video, sink.video)
        rt.connect(srv.audio, sink.audio)
        rt.start()
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        collector.wait_for(30, port="video", timeout=WAIT_S)
        collector.wait_for(50, port="audio", timeout=WAIT_S)
        video = collector.received("video")
        audio = collector.received("audio")
        publisher = rt.processor("pub")
        busy_status = post_offer(f"{URL}/whip")  # a second publisher while one is connected
        trickle_status = patch_candidates(publisher.session.session_url)  # type: ignore[attr-defined]
        first_connections = publisher.session.connections  # type: ignore[attr-defined]

        # The server goes away and comes back: the publisher reconnects by itself.
        rt.remove("srv")
        wait_until(lambda: "disconnected" in names(publisher), what="the publisher to notice")
        srv2 = rt.add(WhipServer, id="srv2", port=PORT, ice="loopback")
        sink2 = rt.add(Collector, id="sink2")
        rt.connect(srv2.video, sink2.video)
        again = rt.processor("sink2")
        assert isinstance(again, Collector)
        again.wait_for(10, port="video", timeout=WAIT_S)
        result = {
            "video": len(video),
            "audio": len(audio),
            "size": [video[0].width, video[0].height],  # type: ignore[attr-defined]
            "video_stamps": stamps(video),
            "audio_stamps": stamps(audio),
            "audio_rate": audio[0].sample_rate,  # type: ignore[attr-defined]
            "first_connections": first_connections,
            "connections": publisher.session.connections,  # type: ignore[attr-defined]
            "events": names(publisher),
            "after_reconnect": len(again.received("video")),
            "busy_status": busy_status,
            "trickle_status": trickle_status,
            "after_reconnect_stamps": stamps(again.received("video")),
            "session_url": publisher.session.session_url,  # type: ignore[attr-defined]
        }
        rt.stop()
    redirector.close()
    return result


def whep_player() -> dict[str, Any]:
    """TestPattern -> WhepServer, played by two WhepPlayers (one encoder, two viewers)."""
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=320, height=240, fps=30)
        tone = rt.add(ToneSource, block_size=960)
        srv = rt.add(WhepServer, id="srv", port=PORT, ice="loopback")
        rt.connect(src.video, srv.video)
        rt.connect(tone.audio, srv.audio)
        rt.start()
        counts = []
        for index in range(2):
            # The second one offers video only: the answer must carry just that.
            player = rt.add(
                WhepPlayer,
                id=f"p{index}",
                url=f"{URL}/whep",
                ice="loopback",
                audio_enabled=index == 0,
            )
            sink = rt.add(Collector, id=f"s{index}")
            rt.connect(player.video, sink.video)
            rt.connect(player.audio, sink.audio)
        for index in range(2):
            collector = rt.processor(f"s{index}")
            assert isinstance(collector, Collector)
            collector.wait_for(20, port="video", timeout=WAIT_S)
            if index == 0:
                collector.wait_for(20, port="audio", timeout=WAIT_S)
            counts.append(len(collector.received("video")))
        audio_only_first = len(rt.processor("s1").received("audio"))  # type: ignore[attr-defined]
        server = rt.processor("srv")
        viewers = server.host.viewer_count  # type: ignore[attr-defined]
        rt.remove("p0")
        wait_until(lambda: server.host.viewer_count == 1, what="the viewer to leave")  # type: ignore[attr-defined]
        result = {
            "counts": counts,
            "viewers": viewers,
            "events": names(server),
            "video_only_player_audio": audio_only_first,
        }
        rt.stop()
    return result


def whep_passthrough() -> dict[str, Any]:
    """TestPattern -> VideoEncoder (made for MP4) -> WhepServer.video_packets -> WhepPlayer."""
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=320, height=240, fps=30)
        enc = rt.add(
            VideoEncoder,
            codec="h264",
            preset="ultrafast",
            tune="zerolatency",
            profile="baseline",
            keyframe_interval=15,
        )
        srv = rt.add(WhepServer, id="srv", port=PORT, ice="loopback")
        rt.connect(src.video, enc.video_in)
        rt.connect(enc.packets, srv.video_packets)
        rt.start()
        wait_listening(rt, "srv")
        player = rt.add(WhepPlayer, id="p", url=f"{URL}/whep", ice="loopback", audio_enabled=False)
        sink = rt.add(Collector, id="s")
        rt.connect(player.video, sink.video)
        collector = rt.processor("s")
        assert isinstance(collector, Collector)
        collector.wait_for(20, port="video", timeout=WAIT_S)
        video = collector.received("video")
        result = {
            "video": len(video),
            "size": [video[0].width, video[0].height],  # type: ignore[attr-defined]
            "stamps": stamps(video),
        }
        rt.stop()
    return result


def chromium_viewer() -> dict[str, Any]:
    """TestPattern -> WhepServer -> headless Chromium's viewer page; then kill the browser."""
    from chromium_cdp import Chromium

    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=640, height=360, fps=30)
        tone = rt.add(ToneSource, block_size=960)
        srv = rt.add(WhepServer, id="srv", port=PORT, ice="loopback", viewer_timeout=3.0)
        rt.connect(src.video, srv.video)
        rt.connect(tone.audio, srv.audio)
        rt.start()
        server = wait_listening(rt, "srv")
        with Chromium(f"{URL}/") as browser:
            browser.wait_for("typeof window.streamlib", lambda kind: kind == "object")
            browser.evaluate("window.streamlib.ready")
            stats = browser.wait_for(
                "window.streamlib.stats()",
                lambda s: (s.get("framesDecoded") or 0) >= 30 and s.get("videoWidth"),
            )
            viewers = server.host.viewer_count  # type: ignore[attr-defined]
            browser.kill()
            killed_at = time.monotonic()
            wait_until(lambda: server.host.viewer_count == 0, what="the dead viewer to go")  # type: ignore[attr-defined]
            cleanup_s = time.monotonic() - killed_at
        before = rt.statistics().processors["srv"]
        time.sleep(0.5)  # the pipeline keeps running without viewers
        after = rt.statistics().processors["srv"]
        result = {
            "stats": stats,
            "viewers": viewers,
            "cleanup_s": cleanup_s,
            "events": names(server),
            "still_processing": after.calls > before.calls,
            "errors": after.errors,
        }
        rt.stop()
    return result


def chromium_publisher() -> dict[str, Any]:
    """Chromium's fake camera publishes by WHIP into WhipServer; frames counted in the pipeline."""
    from chromium_cdp import Chromium

    with sl.Runtime() as rt:
        srv = rt.add(WhipServer, id="srv", port=PORT, ice="loopback")
        sink = rt.add(Collector, id="sink")
        audio = rt.add(NullSink, id="audio")
        rt.connect(srv.video, sink.video)
        rt.connect(srv.audio, audio.audio)
        rt.start()
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        wait_listening(rt, "srv")
        with Chromium(f"{URL}/") as browser:
            browser.wait_for("typeof window.streamlib", lambda kind: kind == "object")
            browser.evaluate("window.streamlib.ready")
            collector.wait_for(30, port="video", timeout=WAIT_S)
            stats = browser.evaluate("window.streamlib.stats()")
        video = collector.received("video")
        result = {
            "video": len(video),
            "size": [video[0].width, video[0].height],  # type: ignore[attr-defined]
            "video_stamps": stamps(video),
            "audio_blocks": rt.processor("audio").counts["audio"],  # type: ignore[attr-defined]
            "browser": stats,
            "events": names(rt.processor("srv")),
        }
        rt.stop()
    return result


SCENARIOS = {
    f.__name__: f
    for f in (whip_roundtrip, whep_player, whep_passthrough, chromium_viewer, chromium_publisher)
}

if __name__ == "__main__":
    print("RESULT " + json.dumps(SCENARIOS[sys.argv[1]]()), flush=True)
