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


def post_offer(url: str, *, send: bool = False) -> int:
    """POST a real offer (receive-only, or send-only when ``send``) to ``url`` from a peer
    that is closed at once: it never answers ICE and never hangs up. The HTTP status."""
    from streamlib.webrtc import (
        EventLoopThread,
        IceSettings,
        PacketTrack,
        receiving_peer,
        sending_peer,
    )

    async def make_offer() -> str:
        ice = IceSettings(mode="loopback")
        if send:
            pc = await sending_peer(ice, [PacketTrack("video", loop)])
        else:
            pc = await receiving_peer(ice, ("video",))
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


def send_pli(processor: Any, pc: Any) -> None:
    """Have a running receiving processor send a real RTCP PLI for the video on ``pc``.

    aiortc's receiver sends PLI by itself only when its jitter buffer sees loss,
    which loopback never has; its (private) sending method is called directly.
    """
    receiver = next(r for r in pc.getReceivers() if r.track.kind == "video")
    ssrc = receiver.getSynchronizationSources()[0].source
    processor._loop.run(receiver._send_rtcp_pli(ssrc), 5)


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
            retry_max_s=1.0,
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
        collector.wait_for(30, port="video", timeout_s=WAIT_S)
        collector.wait_for(50, port="audio", timeout_s=WAIT_S)
        video = collector.received("video")
        audio = collector.received("audio")
        publisher = rt.processor("pub")
        server = rt.processor("srv")
        send_pli(server, server.host._pc)  # type: ignore[attr-defined]  # loss, as a browser
        wait_until(
            lambda: publisher.keyframes_forced >= 1,  # type: ignore[attr-defined]
            what="the publisher to encode a keyframe on request",
        )
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
        again.wait_for(10, port="video", timeout_s=WAIT_S)
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
            collector.wait_for(20, port="video", timeout_s=WAIT_S)
            if index == 0:
                collector.wait_for(20, port="audio", timeout_s=WAIT_S)
            counts.append(len(collector.received("video")))
        audio_only_first = len(rt.processor("s1").received("audio"))  # type: ignore[attr-defined]
        server = rt.processor("srv")
        viewers = server.host.viewer_count  # type: ignore[attr-defined]
        forced = server.keyframes_forced  # type: ignore[attr-defined]
        player = rt.processor("p1")
        send_pli(player, player.session._pc)  # type: ignore[attr-defined]  # as browsers do
        wait_until(
            lambda: server.keyframes_forced > forced,  # type: ignore[attr-defined]
            what="the server to force a keyframe",
        )
        rt.remove("p0")
        wait_until(lambda: server.host.viewer_count == 1, what="the viewer to leave")  # type: ignore[attr-defined]
        result = {
            "counts": counts,
            "viewers": viewers,
            "events": names(server),
            "video_only_player_audio": audio_only_first,
            "keyframe_requests": server.host.keyframe_requests,  # type: ignore[attr-defined]
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
        rt.connect(src.video, enc.video)
        rt.connect(enc.packets, srv.video_packets)
        rt.start()
        wait_listening(rt, "srv")
        player = rt.add(WhepPlayer, id="p", url=f"{URL}/whep", ice="loopback", audio_enabled=False)
        sink = rt.add(Collector, id="s")
        rt.connect(player.video, sink.video)
        collector = rt.processor("s")
        assert isinstance(collector, Collector)
        collector.wait_for(20, port="video", timeout_s=WAIT_S)
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
        srv = rt.add(WhepServer, id="srv", port=PORT, ice="loopback", viewer_timeout_s=3.0)
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
            collector.wait_for(30, port="video", timeout_s=WAIT_S)
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


def ice_failure() -> dict[str, Any]:
    """Clients against servers that offer no candidate they can reach (``ice: host`` in a
    namespace whose only interface is ``lo``, which aioice leaves out): every attempt fails
    its ICE, and the clients report, hang up and retry. Servers given an offer by a peer that
    is gone at once (never answers ICE, never hangs up): they report the peer failed and drop
    it. Nothing hangs and nothing errors."""
    fast = {"connect_timeout_s": 1.5, "retry_initial_s": 0.1, "retry_max_s": 0.3}
    slow = {"connect_timeout_s": 2.0}
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=64, height=48, fps=30)
        whip = rt.add(WhipServer, id="whip", port=PORT, ice="host", connect_timeout_s=1.5)
        pub = rt.add(WhipPublisher, id="pub", url=f"{URL}/whip", ice="loopback", **fast)
        whep = rt.add(WhepServer, id="whep", port=PORT + 2, ice="host", connect_timeout_s=1.5)
        play = rt.add(
            WhepPlayer,
            id="play",
            url=f"http://127.0.0.1:{PORT + 2}/whep",
            ice="loopback",
            audio_enabled=False,
            **fast,
        )
        # Servers whose peers vanish right after their offer was answered.
        lone_whip = rt.add(WhipServer, id="lone_whip", port=PORT + 4, ice="loopback", **slow)
        lone_whep = rt.add(
            WhepServer, id="lone_whep", port=PORT + 6, ice="loopback", viewer_timeout_s=30, **slow
        )
        sink = rt.add(Collector, id="sink")
        played = rt.add(Collector, id="played")
        lone = rt.add(Collector, id="lone")
        rt.connect(src.video, pub.video)
        rt.connect(src.video, whep.video)
        rt.connect(whip.video, sink.video)
        rt.connect(play.video, played.video)
        rt.connect(src.video, lone_whep.video)
        rt.connect(lone_whip.video, lone.video)
        rt.start()
        started = time.monotonic()
        clients = [rt.processor("pub"), rt.processor("play")]
        servers = {key: wait_listening(rt, key) for key in ("lone_whip", "lone_whep")}
        statuses = [
            post_offer(f"http://127.0.0.1:{PORT + 4}/whip", send=True),
            post_offer(f"http://127.0.0.1:{PORT + 6}/whep"),
        ]
        wait_until(
            lambda: all(names(client).count("disconnected") >= 2 for client in clients),
            what="two failed attempts of each client",
        )
        wait_until(
            lambda: (
                "publisher_failed" in names(servers["lone_whip"])
                and "viewer_failed" in names(servers["lone_whep"])
            ),
            what="the servers to report the failed peers",
        )
        stats = rt.statistics().processors
        result = {
            "seconds": time.monotonic() - started,
            "reasons": {
                client.type_name: [
                    payload["reason"]
                    for name, payload in client.events.history  # type: ignore[attr-defined]
                    if name == "disconnected"
                ]
                for client in clients
            },
            "statuses": statuses,
            "server_events": {key: names(server) for key, server in servers.items()},
            "failures": [
                payload["reason"]
                for server in servers.values()
                for name, payload in server.events.history
                if name.endswith("_failed")
            ],
            "viewers_left": servers["lone_whep"].host.viewer_count,
            "whip_endpoint_busy": servers["lone_whip"].host.busy,
            "errors": sum(s.errors for s in stats.values()),
            "states": sorted({s.state for s in stats.values()}),
            "received": sum(
                len(rt.processor(key).received("video"))  # type: ignore[attr-defined]
                for key in ("sink", "played", "lone")
            ),
        }
        rt.stop()
    return result


def whep_reconnect() -> dict[str, Any]:
    """TestPattern -> WhepServer -> WhepPlayer; the server goes and comes back while the
    player runs: the player notices, reports each attempt and plays again."""
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=320, height=240, fps=30)
        srv = rt.add(WhepServer, id="srv", port=PORT, ice="loopback")
        rt.connect(src.video, srv.video)
        rt.start()
        wait_listening(rt, "srv")
        play = rt.add(
            WhepPlayer,
            id="play",
            url=f"{URL}/whep",
            ice="loopback",
            audio_enabled=False,
            silence_timeout_s=2.0,
            retry_initial_s=0.2,
            retry_max_s=1.0,
        )
        sink = rt.add(Collector, id="sink")
        rt.connect(play.video, sink.video)
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        collector.wait_for(10, port="video", timeout_s=WAIT_S)
        player = rt.processor("play")
        rt.remove("srv")
        wait_until(lambda: "disconnected" in names(player), what="the player to notice")
        before = len(collector.received("video"))
        time.sleep(1.0)  # at least one attempt fails while the server is away
        srv2 = rt.add(WhepServer, id="srv2", port=PORT, ice="loopback")
        rt.connect(src.video, srv2.video)
        collector.wait_for(before + 10, port="video", timeout_s=WAIT_S)
        video = collector.received("video")
        stats = rt.statistics().processors["play"]
        result = {
            "events": names(player),
            "connections": player.session.connections,  # type: ignore[attr-defined]
            "before": before,
            "after": len(video),
            "stamps": stamps(video),
            "errors": stats.errors,
        }
        rt.stop()
    return result


SCENARIOS = {
    f.__name__: f
    for f in (
        whip_roundtrip,
        whep_player,
        whep_passthrough,
        chromium_viewer,
        chromium_publisher,
        ice_failure,
        whep_reconnect,
    )
}

if __name__ == "__main__":
    print("RESULT " + json.dumps(SCENARIOS[sys.argv[1]]()), flush=True)
