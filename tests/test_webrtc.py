"""WebRTC: WHIP publish, WHEP play and serve, against our own peers and headless Chromium.

Every test that opens a WebRTC connection runs its scenario
(``webrtc_scenarios.py``) in a child process inside a network namespace that
holds only ``lo``, so no packet reaches any other interface; those tests skip
where ``unshare -n`` is not allowed (it needs root). The HTTP-only tests run
here, against servers bound to 127.0.0.1.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("aiortc", reason="needs the webrtc extra: pip install 'streamlib[webrtc]'")

import aioice.ice

import streamlib as sl
from chromium_cdp import CHROMIUM
from runtime_support import EventLog, wait_until
from streamlib.core import CustomEvent, RestartBackoff
from streamlib.pipelines import graph_from_spec, parse_pipeline
from streamlib.processors import TestPattern, WhepServer, WhipServer
from streamlib.webrtc import (
    IceSettings,
    candidates_from_fragment,
    loopback_offered_here,
    offer_loopback_in_this_thread,
)

TESTS = Path(__file__).parent
SCENARIO_TIMEOUT_S = 90


@functools.cache
def namespace_problem() -> str | None:
    """Why loopback-only namespaces cannot be made here, or ``None`` when they can."""
    if os.geteuid() != 0:
        return "WebRTC tests run in a network namespace (unshare -n), which needs root"
    try:
        probe = subprocess.run(
            ["unshare", "-n", "sh", "-c", "ip link set lo up"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unshare -n is not usable here: {error}"
    if probe.returncode != 0:
        return f"unshare -n is not permitted here: {probe.stderr.strip()}"
    return None


def run_scenario(name: str) -> dict[str, Any]:
    """Run ``webrtc_scenarios.py NAME`` in a namespace holding only ``lo``; its result."""
    problem = namespace_problem()
    if problem is not None:
        pytest.skip(problem)
    command = f"ip link set lo up && exec {sys.executable} webrtc_scenarios.py {name}"
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", command],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_S,
        check=False,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    report = (
        f"scenario {name}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    )
    assert done.returncode == 0, report
    assert results, report
    result: dict[str, Any] = json.loads(results[-1][len("RESULT ") :])
    return result


def increasing(values: list[int]) -> bool:
    return all(b > a for a, b in itertools.pairwise(values))


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (scripts/apt/webrtc.txt)"
)


# --- WebRTC connections, each in a loopback-only namespace -------------------------------


def test_whip_publisher_to_whip_server_round_trip_and_reconnect() -> None:
    result = run_scenario("whip_roundtrip")
    assert result["video"] >= 30
    assert result["audio"] >= 50
    assert result["size"] == [320, 240]
    assert result["audio_rate"] == 48_000
    assert increasing(result["video_stamps"]), "video timestamps out of order"
    assert increasing(result["audio_stamps"]), "audio timestamps out of order"
    assert result["busy_status"] == 409  # one publisher at a time
    assert result["trickle_status"] == 204
    # The server went away and came back: the publisher noticed, reported, reconnected.
    assert result["first_connections"] == 1
    assert result["connections"] == 2
    events = result["events"]
    assert events.index("connected") < events.index("disconnected")
    assert events[events.index("disconnected") :].count("connected") == 1
    assert result["after_reconnect"] >= 10
    assert increasing(result["after_reconnect_stamps"])
    # Offered to a URL that answered 307: the session lives where the offer landed.
    assert result["session_url"].startswith("http://127.0.0.1:18889/whip/")


def test_whep_server_serves_two_whep_players_from_one_encoder() -> None:
    result = run_scenario("whep_player")
    assert result["viewers"] == 2
    assert all(count >= 20 for count in result["counts"])
    assert result["video_only_player_audio"] == 0
    # A player's PLI reached the server's encoder, which made a keyframe.
    assert result["keyframe_requests"] >= 1
    assert result["events"].count("viewer_joined") == 2
    assert "viewer_left" in result["events"]


def test_ice_failures_become_events_and_retries_never_a_hang() -> None:
    result = run_scenario("ice_failure")
    for client, reasons in result["reasons"].items():
        assert len(reasons) >= 2, client
        # Each attempt got its answer and then failed ICE (or timed out), not the HTTP side.
        assert all("ICE" in r or "no connection" in r for r in reasons), (client, reasons)
    assert result["statuses"] == [201, 201]
    # Their peers gone, the servers reported them failed and dropped them (the WHIP
    # endpoint is free for the next publisher).
    assert "publisher_failed" in result["server_events"]["lone_whip"]
    assert "viewer_failed" in result["server_events"]["lone_whep"]
    assert all("ICE" in r or "no connection" in r for r in result["failures"])
    assert result["whip_endpoint_busy"] is False
    assert result["viewers_left"] == 0
    assert result["errors"] == 0
    assert result["states"] == ["running"]
    assert result["received"] == 0
    assert result["seconds"] < 30


def test_whep_player_reconnects_when_the_server_comes_back() -> None:
    result = run_scenario("whep_reconnect")
    events = result["events"]
    assert result["connections"] == 2
    assert events.index("connected") < events.index("disconnected")
    after_drop = events[events.index("disconnected") :]
    assert after_drop.count("connected") == 1
    assert after_drop.count("connecting") >= 2  # at least one attempt failed meanwhile
    assert result["after"] >= result["before"] + 10
    assert increasing(result["stamps"]), "timestamps went back across the reconnection"
    assert result["errors"] == 0


def test_whep_server_sends_packets_from_a_video_encoder_as_they_are() -> None:
    result = run_scenario("whep_passthrough")
    assert result["video"] >= 20
    assert result["size"] == [320, 240]
    assert increasing(result["stamps"])


@needs_chromium
def test_chromium_plays_whep_server_and_a_killed_viewer_is_cleaned_up() -> None:
    result = run_scenario("chromium_viewer")
    stats = result["stats"]
    assert stats["state"] == "connected"
    assert stats["framesDecoded"] >= 30
    assert (stats["videoWidth"], stats["videoHeight"]) == (640, 360)
    assert "H264" in stats["codecId"] or "packetization-mode=1" in stats["codecId"]
    assert result["viewers"] == 1
    # Killed without hanging up: dropped after viewer_timeout_s (3 s) of RTCP silence.
    assert "viewer_timed_out" in result["events"]
    assert "viewer_left" in result["events"]
    assert result["still_processing"]
    assert result["errors"] == 0


@needs_chromium
def test_chromium_fake_camera_publishes_into_whip_server() -> None:
    result = run_scenario("chromium_publisher")
    assert result["video"] >= 30
    assert result["size"] == [640, 480]
    assert increasing(result["video_stamps"])
    assert result["audio_blocks"] > 0
    assert result["browser"]["framesSent"] >= 30
    assert "publisher_joined" in result["events"]


# --- HTTP only: bad requests, CORS, pages (no WebRTC connection is made) -----------------


def http(
    url: str, method: str = "GET", body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], str]:
    sent = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(sent, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read().decode()
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, dict(error.headers), text


@pytest.fixture(params=[WhepServer, WhipServer], ids=["whep", "whip"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[sl.Runtime, Any]]:
    kind: type[sl.Processor] = request.param
    with sl.Runtime() as rt:
        srv = rt.add(kind, id="srv", port=0, token="s3cret")
        if kind is WhepServer:
            src = rt.add(TestPattern, width=64, height=48, fps=30)
            rt.connect(src.video, srv.video)
        rt.start()
        processor = rt.processor("srv")
        wait_until(lambda: getattr(processor, "url", None) is not None, what="the server")
        yield rt, processor
        rt.stop()


def test_bad_requests_get_4xx_and_leave_the_pipeline_running(server: Any) -> None:
    rt, processor = server
    url = processor.url
    sdp = b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    auth = {"Authorization": "Bearer s3cret"}
    status, headers, text = http(url, "POST", sdp, **{"Content-Type": "application/sdp"})
    assert status == 401
    assert "token" in text
    assert headers["WWW-Authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer nope", "Content-Type": "application/sdp"}
    assert http(url, "POST", sdp, **wrong)[0] == 401
    status, _, text = http(url, "POST", sdp, **auth, **{"Content-Type": "text/plain"})
    assert status == 415
    assert "application/sdp" in text
    status, _, text = http(url, "POST", b"hello", **auth, **{"Content-Type": "application/sdp"})
    assert status == 400
    assert "v=0" in text
    status, _, text = http(url, "POST", sdp, **auth, **{"Content-Type": "application/sdp"})
    assert status == 400
    assert "no audio or video" in text
    assert http(f"{url}/nosuch", "DELETE", **auth)[0] == 404
    fragment = {"Content-Type": "application/trickle-ice-sdpfrag", **auth}
    assert http(f"{url}/nosuch", "PATCH", b"a=mid:0\r\n", **fragment)[0] == 404
    stats = rt.statistics().processors["srv"]
    assert stats.errors == 0
    assert stats.state == "running"


def test_cors_preflight_and_the_served_page(server: Any) -> None:
    _, processor = server
    url = processor.url
    status, headers, _ = http(
        url,
        "OPTIONS",
        Origin="http://example.test",
        **{"Access-Control-Request-Method": "POST"},
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    assert "Location" in headers["Access-Control-Expose-Headers"]
    status, headers, page = http(url.rsplit("/", 1)[0] + "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "RTCPeerConnection" in page
    assert "window.streamlib" in page


def test_server_reports_a_taken_port() -> None:
    with sl.Runtime() as rt:
        rt.add(WhipServer, id="first", port=0)
        rt.start()
        first = rt.processor("first")
        wait_until(lambda: getattr(first, "url", None) is not None, what="the server")
        port = int(first.url.rsplit(":", 1)[1].split("/")[0])  # type: ignore[attr-defined]
        taken = WhipServer(port=port)
        from streamlib.testing import run_processor

        with pytest.raises(sl.NetworkError, match="cannot listen"):
            run_processor(taken, calls=1)
        rt.stop()


# --- pieces ----------------------------------------------------------------------------------


def test_loopback_candidates_only_on_threads_that_ask() -> None:
    seen: dict[str, list[str]] = {}

    def gather(name: str, loopback: bool) -> None:
        offer_loopback_in_this_thread(loopback)
        seen[name] = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)
        seen[f"{name}-flag"] = [str(loopback_offered_here())]

    for name, loopback in (("loop", True), ("host", False)):
        thread = threading.Thread(target=gather, args=(name, loopback))
        thread.start()
        thread.join()
    assert seen["loop"] == ["127.0.0.1"]
    assert "127.0.0.1" not in seen["host"]  # aioice's own answer, unchanged
    assert seen["loop-flag"] == ["True"]
    assert seen["host-flag"] == ["False"]


def test_ice_settings_never_ask_google_unless_told() -> None:
    assert IceSettings().rtc_configuration().iceServers == []
    loopback = IceSettings(mode="loopback", stun_servers=("stun:x:1",))
    assert loopback.rtc_configuration().iceServers == []
    servers = IceSettings(stun_servers=("stun:stun.example:3478",)).rtc_configuration().iceServers
    assert servers is not None
    assert [s.urls for s in servers] == ["stun:stun.example:3478"]


def test_reconnect_pauses_double_up_to_their_maximum_within_their_jitter() -> None:
    exact = RestartBackoff(initial_s=0.5, max_s=3.0)
    assert [exact.delay_s(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RestartBackoff(initial_s=0.5, max_s=3.0, jitter=0.1)
    for n, base in enumerate([0.5, 1.0, 2.0, 3.0, 3.0]):
        pauses = {jittered.delay_s(n) for _ in range(50)}
        assert all(0.9 * base <= pause <= 1.1 * base for pause in pauses)
        assert len(pauses) > 1  # spread out, not one value


CLIENT_URL = "url: 'http://127.0.0.1:9/whep'"


@pytest.mark.parametrize(
    ("type_name", "config", "old", "new"),
    [
        ("WhipPublisher", CLIENT_URL, "connect_timeout", "connect_timeout_s"),
        ("WhepPlayer", CLIENT_URL, "silence_timeout", "silence_timeout_s"),
        ("WhepPlayer", CLIENT_URL, "retry_initial", "retry_initial_s"),
        ("WhipPublisher", CLIENT_URL, "retry_max", "retry_max_s"),
        ("WhipServer", "port: 0", "connect_timeout", "connect_timeout_s"),
        ("WhepServer", "port: 0", "viewer_timeout", "viewer_timeout_s"),
    ],
)
def test_a_duration_under_its_old_name_says_its_name_with_the_unit(
    type_name: str, config: str, old: str, new: str
) -> None:
    text = f"processors:\n  net: {{type: {type_name}, config: {{{config}, {old}: 2}}}}\n"
    with pytest.raises(sl.StreamError, match=f"'{old}' was renamed to '{new}'"):
        graph_from_spec(parse_pipeline(text))


def test_trickle_fragment_candidates_keep_their_mid() -> None:
    fragment = (
        "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
        "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n"
        "a=candidate:2 1 udp 2130706431 127.0.0.1 50002 typ host\r\na=end-of-candidates\r\n"
    )
    candidates = candidates_from_fragment(fragment)
    assert [(c.sdpMid, c.sdpMLineIndex, c.port) for c in candidates] == [
        ("0", 0, 50000),
        ("1", 1, 50002),
    ]
    with pytest.raises(ValueError, match="bad candidate"):
        candidates_from_fragment("a=mid:0\r\na=candidate:1 1 udp\r\n")


# --- examples ---------------------------------------------------------------------------------

EXAMPLES = TESTS.parent / "examples"


@pytest.mark.parametrize(
    ("name", "count"),
    [("test-pattern-whep.yaml", 3), ("camera-whip.yaml", 2), ("whip-record.yaml", 2)],
)
def test_example_pipeline_files_load(name: str, count: int) -> None:
    with sl.Runtime.from_file(EXAMPLES / name) as rt:
        assert len(rt.graph.processors()) == count


def test_whip_examples_record_what_the_publisher_sends(tmp_path: Path) -> None:
    """camera-whip.yaml publishes into whip-record.yaml, two CLI processes, one namespace."""
    problem = namespace_problem()
    if problem is not None:
        pytest.skip(problem)
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe is not installed (apt-get install ffmpeg)")
    for name in ("camera-whip.yaml", "whip-record.yaml"):
        spec = yaml.safe_load((EXAMPLES / name).read_text())
        for entry in spec["processors"].values():
            if entry["type"] in ("WhipPublisher", "WhipServer"):
                entry["config"]["ice"] = "loopback"  # the namespace has nothing but lo
            if entry["type"] == "Camera":
                entry["config"].update(width=640, height=360)  # spare the two cores
        (tmp_path / name).write_text(yaml.safe_dump(spec))
    cli = f"{sys.executable} -m streamlib run --quiet"
    script = (
        "ip link set lo up && "
        f"({cli} whip-record.yaml --duration 9 & sleep 1.5; "
        f"{cli} camera-whip.yaml --duration 5; wait)"
    )
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_type,codec_name,width,height,nb_read_frames", "-of", "json",
         str(tmp_path / "whip-recording.mp4")],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    (video,) = json.loads(probe.stdout)["streams"]
    assert (video["codec_type"], video["width"], video["height"]) == ("video", 640, 360)
    assert int(video["nb_read_frames"]) >= 30


# --- failures become errors and events, never a hang (HTTP to a closed port only) ------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@pytest.mark.parametrize("kind", ["WhipPublisher", "WhepPlayer"])
def test_clients_report_each_failed_attempt_and_keep_trying(kind: str) -> None:
    from streamlib.processors import Collector, WhepPlayer, WhipPublisher

    url = f"http://127.0.0.1:{closed_port()}/{kind.lower()}"
    retry = {"ice": "loopback", "retry_initial_s": 0.05, "retry_max_s": 0.2, "retry_jitter": 0}
    with sl.Runtime() as rt:
        if kind == "WhipPublisher":
            src = rt.add(TestPattern, width=64, height=48, fps=30)
            pub = rt.add(WhipPublisher, id="pub", url=url, **retry)
            rt.connect(src.video, pub.video)
        else:
            play = rt.add(WhepPlayer, id="pub", url=url, **retry)
            sink = rt.add(Collector)
            rt.connect(play.video, sink.video)
        rt.start()
        publisher = rt.processor("pub")

        def failures() -> list[dict[str, Any]]:
            events = getattr(publisher, "events", None)
            history = [] if events is None else list(events.history)
            return [payload for name, payload in history if name == "disconnected"]

        wait_until(lambda: len(failures()) >= 3, what="three failed attempts")
        first = failures()[0]
        assert "cannot reach" in first["reason"]
        assert [f["retry_in_s"] for f in failures()[:3]] == [0.05, 0.1, 0.2]
        stats = rt.statistics().processors["pub"]
        assert stats.errors == 0  # the pipeline keeps running while it retries
        assert stats.state == "running"
        rt.stop()


def test_keyframe_requests_reach_our_track_through_aiortcs_sender() -> None:
    """The contract ``observe_keyframe_requests`` leans on (a private aiortc method): if this
    fails, aiortc changed how its RTCRtpSender handles PLI/FIR; update webrtc/_keyframes.py."""
    from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket

    from streamlib.webrtc import (
        EventLoopThread,
        PacketTrack,
        keyframe_requests_observable,
        sending_peer,
    )

    assert keyframe_requests_observable(), "aiortc's RTCRtpSender has no _send_keyframe any more"
    loop = EventLoopThread("keyframes", loopback=True)
    told: list[int] = []

    async def feed_feedback() -> tuple[int, int]:
        track = PacketTrack("video", loop, on_keyframe_request=lambda: told.append(1))
        pc = await sending_peer(IceSettings(mode="loopback"), [track])
        try:
            sender = pc.getSenders()[0]
            for fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                packet = RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc)
                await sender._handle_rtcp_packet(packet)
        finally:
            await pc.close()
        return track.keyframe_requests, len(told)

    try:
        requests, callbacks = loop.run(feed_feedback(), 10)
    finally:
        loop.stop()
    assert (requests, callbacks) == (2, 2)


def test_passed_through_packets_must_be_h264_or_opus_and_get_parameter_sets() -> None:
    from fractions import Fraction

    from streamlib.processors._webrtc._support import webrtc_ready

    header = b"\x00\x00\x00\x01\x67sps\x00\x00\x00\x01\x68pps"
    key = sl.EncodedPacket(
        b"\x00\x00\x00\x01\x65idr", codec="h264", media_kind="video", keyframe=True, pts=0,
        time_base=Fraction(1, 90_000), width=64, height=48, extradata=header,
    )  # fmt: skip
    assert webrtc_ready(key).data == header + key.data
    assert webrtc_ready(webrtc_ready(key)).data == header + key.data  # not twice
    delta = key.replace(keyframe=False)
    assert webrtc_ready(delta) is delta
    with pytest.raises(sl.CodecError, match="not vp8"):
        webrtc_ready(key.replace(codec="vp8"))
    aac = sl.EncodedPacket(
        b"x", codec="aac", media_kind="audio", time_base=Fraction(1, 48_000),
        sample_rate=48_000, channels=2,
    )  # fmt: skip
    with pytest.raises(sl.CodecError, match="opus"):
        webrtc_ready(aac)


def test_an_ended_track_sends_what_was_queued_then_ends() -> None:
    from fractions import Fraction

    from aiortc.mediastreams import MediaStreamError

    from streamlib.webrtc import EventLoopThread, PacketTrack

    loop = EventLoopThread("ending", loopback=True)
    packet = sl.EncodedPacket(
        b"\x00\x00\x00\x01\x65idr", codec="h264", media_kind="video", keyframe=True, pts=0,
        time_base=Fraction(1, 90_000), width=64, height=48,
    )  # fmt: skip

    async def receive_all() -> tuple[int, bool]:
        track = PacketTrack("video", loop)
        track.push(packet)
        track.push(packet.replace(keyframe=False, pts=3000))
        track.end()
        received = 0
        try:
            while True:
                await track.recv()
                received += 1
        except MediaStreamError:
            return received, True

    try:
        received, ended = loop.run(receive_all(), 10)
    finally:
        loop.stop()
    assert (received, ended) == (2, True)


def test_a_whep_server_whose_input_ends_tells_its_viewers_and_ends() -> None:
    with sl.Runtime() as rt:
        log = EventLog(rt.events, "processor:web")
        src = rt.add(TestPattern, id="src", width=64, height=48, fps=30, frames=5)
        rt.add(WhepServer, id="web", port=0)
        rt.connect(src.video, "web.video")
        assert rt.run(duration_s=30) is sl.RunOutcome.ENDED
        rt.events.flush()
        ended = [e for e in log.of(CustomEvent) if e.name == "stream_ended"]
        assert len(ended) == 1
        assert ended[0].payload == {"viewers": 0}
        log.close()
