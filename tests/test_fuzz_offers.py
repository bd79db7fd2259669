"""Fuzzing the WHEP and WHIP endpoints with hypothesis: random and mutated SDP offers, random
bytes, charsets and headers, and trickle fragments, over real HTTP on 127.0.0.1.

The property: the server never answers 5xx, never logs an error (no traceback),
and keeps serving (a good offer still gets 201 afterwards). Examples are
bounded (``max_examples``) so this runs in seconds with the normal suite
(``STREAMLIB_FUZZ_EXAMPLES=5000`` runs a longer campaign); a crash it finds
becomes a named test in ``test_webrtc_hardening.py``.

Only loopback is touched: the servers bind 127.0.0.1 and gather candidates on
127.0.0.1 only (``ice: loopback``), whose sockets cannot send anywhere else,
and offers naming an mDNS host (``*.local``, resolved by multicast) are skipped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("aiortc", reason="needs the webrtc extra: pip install 'streamlib[webrtc]'")

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from offer_support import OFFERS, request, running_server

KINDS = ("whep", "whip")
# A few seconds in the normal suite; STREAMLIB_FUZZ_EXAMPLES=5000 for a longer campaign.
EXAMPLES = int(os.environ.get("STREAMLIB_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # each example is an HTTP round trip (and maybe a peer): time varies
    suppress_health_check=[HealthCheck.too_slow],
)

# -- strategies ----------------------------------------------------------------------------

CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/sdp",
            "application/sdp; charset=utf-8",
            "application/sdp; charset=UTF8",
            "application/sdp; charset=us-ascii",
            "application/sdp; charset=latin-1",
            "application/sdp; charset=utf-16",
            "application/sdp; charset=no-such-charset",
            'application/sdp; charset="utf-8"',
            "application/sdp; charset=",
            "application/sdp;;;",
            "APPLICATION/SDP",
            "text/plain",
            "application/trickle-ice-sdpfrag",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
        lambda tail: "application/sdp; " + tail
    ),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
LINE_PREFIXES = st.sampled_from(
    ["", "a=", "m=", "c=", "o=", "t=", "b=", "a=candidate:", "a=rtpmap:", "a=fmtp:",
     "a=group:BUNDLE ", "a=mid:", "a=ssrc:", "a=ssrc-group:FID ", "a=extmap:", "a=rtcp:",
     "a=rtcp-fb:", "a=msid:", "a=setup:", "a=fingerprint:", "a=ice-ufrag:", "a=ice-pwd:",
     "a=sctpmap:", "a=sctp-port:", "a=simulcast:", "a=rid:", "m=application 9 "]
)  # fmt: skip
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
NUMBERS = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    st.sampled_from(["", "-1", "0", "65536", "4294967296", "99999999999999999999", "1e9"]),
)


@st.composite
def mutated_offer(draw: st.DrawFn, kind: str) -> str:
    """The good offer with one to four lines deleted, duplicated, moved, cut or rewritten."""
    lines = OFFERS[kind].split("\r\n")[:-1]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "move", "cut", "replace", "insert", "number", "bundle"]
            )
        )
        if op == "delete" and len(lines) > 1:
            del lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at])
        elif op == "move":
            lines.insert(draw(st.integers(0, len(lines) - 1)), lines.pop(at))
        elif op == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif op == "replace":
            lines[at] = draw(LINE_PREFIXES) + draw(ANY_TEXT)
        elif op == "insert":
            lines.insert(at, draw(LINE_PREFIXES) + draw(ANY_TEXT))
        elif op == "number":
            words = lines[at].split(" ")
            slot = draw(st.integers(0, len(words) - 1))
            head, sep, _ = words[slot].partition(":")
            words[slot] = head + sep + draw(NUMBERS) if sep else draw(NUMBERS)
            lines[at] = " ".join(words)
        else:
            mids = draw(st.lists(st.sampled_from(["0", "1", "2", "x", "", "0 0"]), max_size=4))
            groups = [i for i, line in enumerate(lines) if line.startswith("a=group:")]
            if not groups:  # deleted by an earlier mutation
                lines.insert(min(4, len(lines)), "")
                groups = [min(4, len(lines) - 1)]
            lines[groups[0]] = "a=group:BUNDLE " + " ".join(mids)
    newline = draw(st.sampled_from(["\r\n", "\n", "\r", "\r\n\r\n"]))
    return newline.join(lines) + newline


CODECS = {
    "video": st.sampled_from(["H264/90000", "VP8/90000", "VP9/90000", "AV1/90000", "rtx/90000"]),
    "audio": st.sampled_from(["opus/48000/2", "PCMU/8000", "PCMA/8000", "G722/8000"]),
}
ODD_CODECS = st.sampled_from(["H264/0", "opus/48000/0", "red/48000/2", "telephone-event/8000",
                              "ulpfec/90000", "flexfec-03/90000"])  # fmt: skip
FMTP = st.sampled_from(
    ["packetization-mode=1;profile-level-id=42e01f", "profile-level-id=zz", "apt=99", "apt=x",
     "minptime=10;useinbandfec=1", "level-asymmetry-allowed=1", "=", ";;", "apt="]
)  # fmt: skip


@st.composite
def composed_offer(draw: st.DrawFn) -> str:
    """An offer built section by section: well formed, with odd kinds, codecs and directions."""
    credentials = [
        "a=ice-ufrag:y7u8",
        "a=ice-pwd:brvgbBlhPmF5ZL6ChDNE0g",
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
        "a=setup:" + draw(st.sampled_from(["actpass", "active", "passive"])),
    ]
    count = draw(st.integers(1, 4))
    mids = draw(
        st.lists(st.sampled_from(["0", "1", "2", "3", "a", "video"]), min_size=count,
                 max_size=count, unique=True)
    )  # fmt: skip
    bundled = draw(st.lists(st.sampled_from(mids), unique=True, max_size=count))
    lines = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0"]
    if bundled:
        lines.append("a=group:BUNDLE " + " ".join(bundled))
    for mid in mids:
        media = draw(st.sampled_from(["video", "audio", "video", "audio", "application"]))
        if media == "application":
            lines += ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel", f"a=mid:{mid}",
                      f"a=sctp-port:{draw(st.integers(0, 70000))}"]  # fmt: skip
        else:
            types = draw(st.lists(st.integers(0, 130), min_size=1, max_size=4, unique=True))
            port = draw(st.sampled_from([9, 9, 0]))  # 0: a section the offerer rejects
            lines += [f"m={media} {port} UDP/TLS/RTP/SAVPF {' '.join(map(str, types))}"]
            lines.append(f"a=mid:{mid}")
            lines.append(
                "a=" + draw(st.sampled_from(["sendonly", "recvonly", "sendrecv", "inactive"]))
            )
            lines.append("a=rtcp-mux")
            for payload_type in types:
                codec = draw(CODECS[media] | ODD_CODECS)
                lines.append(f"a=rtpmap:{payload_type} {codec}")
                if draw(st.booleans()):
                    lines.append(f"a=fmtp:{payload_type} {draw(FMTP)}")
                if draw(st.booleans()):
                    feedback = draw(st.sampled_from(["nack", "nack pli", "ccm fir", "goog-remb"]))
                    lines.append(f"a=rtcp-fb:{payload_type} {feedback}")
            if draw(st.booleans()):
                lines.append(f"a=ssrc:{draw(st.integers(0, 2**32 - 1))} cname:x")
        lines.append("c=IN IP4 127.0.0.1")
        lines.append("a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host")
        lines += credentials
    return "\r\n".join(lines) + "\r\n"


def body_bytes(kind: str) -> st.SearchStrategy[bytes]:
    """What a POST may carry: mutated or composed offers (mostly UTF-8), or any bytes."""
    text = mutated_offer(kind)
    return st.one_of(
        text.map(str.encode),
        composed_offer().map(str.encode),
        st.tuples(text, st.sampled_from(["latin-1", "utf-16", "utf-32"])).map(
            lambda pair: pair[0].encode(pair[1], errors="replace")
        ),
        st.tuples(
            text.map(str.encode), st.binary(min_size=1, max_size=8), st.integers(0, 4000)
        ).map(lambda parts: parts[0][: parts[2]] + parts[1] + parts[0][parts[2] :]),
        st.binary(max_size=2048).map(lambda raw: b"v=0\r\n" + raw),
        st.binary(max_size=512),
    )


# -- the servers, and the property ------------------------------------------------------------


class ErrorRecords(logging.Handler):
    """Keeps every record at error level or above, from any thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        taken, self.records = self.records, []
        return [f"{r.name}: {r.getMessage()}\n{self.format(r)}" for r in taken]


@pytest.fixture(scope="module")
def errors() -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(scope="module", params=KINDS)
def server(request: pytest.FixtureRequest, errors: ErrorRecords) -> Iterator[tuple[str, Any]]:
    kind: str = request.param
    limits = {"max_viewers": 4} if kind == "whep" else {}
    with running_server(kind, connect_timeout_s=2.0, **limits) as (rt, processor):
        yield kind, processor
        still = rt.statistics().processors["srv"]
        assert still.state == "running"
        assert still.errors == 0
        # It keeps serving: a good offer is answered, and hangs up cleanly.
        assert_serves(kind, processor)
    assert errors.take() == []


def assert_serves(kind: str, processor: Any) -> None:
    status, headers, text = request(
        processor.url, "POST", OFFERS[kind].encode(), {"Content-Type": "application/sdp"}
    )
    assert status == 201, text
    assert hang_up(kind, processor, headers) == 200


def hang_up(kind: str, processor: Any, headers: dict[str, str]) -> int:
    return request(processor.url.removesuffix(f"/{kind}") + headers["Location"], "DELETE")[0]


def check(kind: str, processor: Any, errors: ErrorRecords, reply: tuple[int, Any, str]) -> None:
    """The property: no 5xx, no error logged; a session opened is hung up again."""
    status, headers, text = reply
    event(f"answered {status}")  # --hypothesis-show-statistics: how deep the examples got
    hung_up = hang_up(kind, processor, headers) if status == 201 else 200  # before any assert
    assert status < 500, text
    assert errors.take() == []
    assert hung_up == 200


@FUZZ
@given(data=st.data())
def test_fuzzed_offers_never_get_a_5xx(
    server: tuple[str, Any], errors: ErrorRecords, data: st.DataObject
) -> None:
    kind, processor = server
    body = data.draw(body_bytes(kind), label="body")
    assume(b".local" not in body)
    headers = {"Content-Type": data.draw(CONTENT_TYPES, label="content type")}
    if data.draw(st.booleans(), label="odd headers"):
        headers["Origin"] = data.draw(HEADER_TEXT, label="origin")
        headers["Host"] = data.draw(st.sampled_from(["127.0.0.1", "localhost:1"]) | HEADER_TEXT)
    check(kind, processor, errors, request(processor.url, "POST", body, headers))


FRAGMENT_LINES = st.one_of(
    st.sampled_from(
        [
            "a=mid:0",
            "a=mid:1",
            "a=mid:7",
            "a=ice-ufrag:y7u8",
            "a=ice-pwd:brvgbBlhPmF5ZL6ChDNE0g",
            "a=end-of-candidates",
            "m=audio 9 UDP/TLS/RTP/SAVPF 0",
            "a=candidate:2 1 udp 2130706431 127.0.0.1 9 typ host",
            "a=candidate:3 2 tcp 1 127.0.0.1 9 typ host tcptype active",
            "a=candidate:4 1 udp 1 127.0.0.1 9 typ srflx raddr 127.0.0.1 rport 9",
        ]
    ),
    st.builds(lambda fields: "a=candidate:" + " ".join(fields), st.lists(NUMBERS, max_size=10)),
    st.builds(str.__add__, LINE_PREFIXES, ANY_TEXT),
)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(data=st.data())
def test_fuzzed_trickle_fragments_never_get_a_5xx(
    server: tuple[str, Any], errors: ErrorRecords, data: st.DataObject
) -> None:
    kind, processor = server
    lines = data.draw(st.lists(FRAGMENT_LINES, max_size=6), label="fragment")
    body = "\r\n".join(lines).encode() + data.draw(st.sampled_from([b"", b"\r\n", b"\xff"]))
    assume(b".local" not in body)
    content_type = data.draw(
        st.sampled_from(["application/trickle-ice-sdpfrag", "application/sdp", ""])
        | CONTENT_TYPES.map(
            lambda t: t.replace("application/sdp", "application/trickle-ice-sdpfrag")
        ),
        label="content type",
    )
    which = data.draw(st.sampled_from(["the session", "an unknown session", "no session"]))

    status, headers, text = request(
        processor.url, "POST", OFFERS[kind].encode(), {"Content-Type": "application/sdp"}
    )
    assert status == 201, text
    session = processor.url.removesuffix(f"/{kind}") + headers["Location"]
    target = {
        "the session": session,
        "an unknown session": session + "x",
        "no session": processor.url + "/",
    }[which]
    try:
        reply = request(target, "PATCH", body, {"Content-Type": content_type})
    finally:
        hung_up = request(session, "DELETE")[0]
    event(f"answered {reply[0]}")
    assert reply[0] < 500, reply[2]
    assert errors.take() == []
    assert hung_up == 200
