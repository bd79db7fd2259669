"""WHEP/WHIP offers and a real server to send them to, for the hardening and fuzz tests.

The offers are what aiortc (and, line for line, a browser) sends: two bundled
sections, H.264 video and Opus audio. Their only candidate is ``127.0.0.1:9``
(discard), so a server that answers them sends its connectivity checks nowhere
but loopback, and never connects: these tests exercise the HTTP side and the
offer handling, not media.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlib as sl
from runtime_support import wait_until
from streamlib.processors import TestPattern, WhepServer, WhipServer

WHEP_OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4005568342 4005568342 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=msid-semantic:WMS *",
        "m=video 9 UDP/TLS/RTP/SAVPF 99 100",
        "c=IN IP4 127.0.0.1",
        "a=recvonly",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=mid:0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=rtcp-mux",
        "a=rtpmap:99 H264/90000",
        "a=rtcp-fb:99 nack",
        "a=rtcp-fb:99 nack pli",
        "a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtpmap:100 rtx/90000",
        "a=fmtp:100 apt=99",
        "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
        "a=end-of-candidates",
        "a=ice-ufrag:y7u8",
        "a=ice-pwd:brvgbBlhPmF5ZL6ChDNE0g",
        "a=fingerprint:sha-256 40:CB:24:B7:13:88:09:5A:1B:1A:4E:DC:CF:1A:E4:5F:"
        "3F:24:8F:2D:66:6E:F6:03:7E:3C:8C:3A:63:4F:B9:53",
        "a=setup:actpass",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 127.0.0.1",
        "a=recvonly",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=mid:1",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=rtcp-mux",
        "a=rtpmap:96 opus/48000/2",
        "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
        "a=end-of-candidates",
        "a=ice-ufrag:y7u8",
        "a=ice-pwd:brvgbBlhPmF5ZL6ChDNE0g",
        "a=fingerprint:sha-256 40:CB:24:B7:13:88:09:5A:1B:1A:4E:DC:CF:1A:E4:5F:"
        "3F:24:8F:2D:66:6E:F6:03:7E:3C:8C:3A:63:4F:B9:53",
        "a=setup:actpass",
        "",
    ]
)
"""A viewer's offer: receive video and audio."""

WHIP_OFFER = WHEP_OFFER.replace("a=recvonly", "a=sendonly")
"""A publisher's offer: send video and audio."""

OFFERS = {"whep": WHEP_OFFER, "whip": WHIP_OFFER}
SERVERS: dict[str, type[sl.Processor]] = {"whep": WhepServer, "whip": WhipServer}


@contextmanager
def running_server(kind: str, **config: Any) -> Iterator[tuple[sl.Runtime, Any]]:
    """A ``WhepServer`` (fed by a test pattern) or ``WhipServer`` on 127.0.0.1, any free port."""
    with sl.Runtime() as rt:
        srv = rt.add(SERVERS[kind], id="srv", **{"port": 0, "ice": "loopback", **config})
        if kind == "whep":
            src = rt.add(TestPattern, width=64, height=48, fps=30)
            rt.connect(src.video, srv.video)
        rt.start()
        processor = rt.processor("srv")
        wait_until(lambda: getattr(processor, "url", None) is not None, what="the server")
        try:
            yield rt, processor
        finally:
            rt.stop()


def address_of(url: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://host:port/...`` URL."""
    authority = url.split("/")[2]
    host, _, port = authority.rpartition(":")
    return host.strip("[]"), int(port)


def request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> tuple[int, dict[str, str], str]:
    """One HTTP request; ``(status, headers, text)``. A ``Host`` in ``headers`` is sent as is."""
    host, port = address_of(url)
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        reply = connection.getresponse()
        text = reply.read().decode("utf-8", errors="replace")
        return reply.status, dict(reply.headers), text
    finally:
        connection.close()
