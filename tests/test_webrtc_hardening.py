"""WhepServer and WhipServer under hostile input: concurrent offers, malformed offers and
trickle requests, foreign Host and Origin headers, addresses and ports they must refuse.

Over real HTTP on loopback; no WebRTC connection completes (the offers' only
candidate is 127.0.0.1:9), so nothing here needs a network namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytest.importorskip("aiortc", reason="needs the webrtc extra: pip install 'streamlib[webrtc]'")

import streamlib as sl
from offer_support import OFFERS, SERVERS, WHEP_OFFER, address_of, request, running_server
from runtime_support import wait_until

SDP = {"Content-Type": "application/sdp"}
TRICKLE = {"Content-Type": "application/trickle-ice-sdpfrag"}


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record (all threads); the test fails if any is at error level or above."""
    caplog.set_level(logging.INFO)
    yield caplog
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not loud, "\n".join(f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in loud)


# --- max_viewers holds under concurrent offers ----------------------------------------------


def test_concurrent_offers_never_exceed_max_viewers() -> None:
    with running_server("whep", max_viewers=4) as (rt, server):
        with ThreadPoolExecutor(max_workers=50) as pool:
            replies = list(
                pool.map(lambda _: request(server.url, "POST", WHEP_OFFER.encode(), SDP), range(50))
            )
        statuses = sorted(status for status, _, _ in replies)
        assert statuses == [201] * 4 + [409] * 46
        assert server.host.viewer_count == 4
        busy = next(text for status, _, text in replies if status == 409)
        assert "4 viewers at most" in busy

        # A viewer that hangs up frees its place for the next.
        location = next(headers["Location"] for status, headers, _ in replies if status == 201)
        base = server.url.removesuffix("/whep")
        assert request(base + location, "DELETE")[0] == 200
        assert request(server.url, "POST", WHEP_OFFER.encode(), SDP)[0] == 201
        assert request(server.url, "POST", WHEP_OFFER.encode(), SDP)[0] == 409
        assert rt.statistics().processors["srv"].errors == 0


def test_offers_that_fail_give_their_place_back() -> None:
    bad_bundle = WHEP_OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 7 0 1").encode()
    with running_server("whep", max_viewers=1) as (_, server):
        with ThreadPoolExecutor(max_workers=20) as pool:
            failed = list(
                pool.map(lambda _: request(server.url, "POST", bad_bundle, SDP), range(20))
            )
        assert {status for status, _, _ in failed} == {400}
        assert server.host.viewer_count == 0
        assert request(server.url, "POST", WHEP_OFFER.encode(), SDP)[0] == 201


# --- malformed offers: 4xx with one line, no traceback ---------------------------------------


def _many_sections(offer: str) -> str:
    head, _, sections = offer.partition("m=")
    return head + ("m=" + sections) * 20


def _two_data_channel_sections(offer: str) -> str:
    head, _, sections = offer.partition("m=")
    first_section = sections.partition("m=")[0]
    credentials = "".join(
        line
        for line in first_section.splitlines(True)
        if line.startswith(("a=ice-", "a=fingerprint", "a=setup"))
    )
    application = "".join(
        f"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:{mid}\r\n"
        f"a=sctp-port:5000\r\n{credentials}"
        for mid in ("2", "3")
    )
    return head.replace("BUNDLE 0 1", "BUNDLE 3 0 1 2") + "m=" + sections + application


MALFORMED: dict[str, tuple[bytes, dict[str, str], int, str]] = {
    "not utf-8": (
        WHEP_OFFER.replace("s=-", "s=caf\xe9").encode("latin-1"),
        SDP,
        400,
        "UTF-8",
    ),
    "unknown charset": (
        WHEP_OFFER.encode(),
        {"Content-Type": "application/sdp; charset=no-such-charset"},
        415,
        "charset",
    ),
    "utf-16 charset": (
        WHEP_OFFER.encode("utf-16"),
        {"Content-Type": "application/sdp; charset=utf-16"},
        415,
        "charset",
    ),
    # Found by test_fuzz_offers: the stdlib's header parser (used by aiohttp) raised
    # IndexError on this parameter, answered 500.
    "a content type whose parameter does not parse": (
        WHEP_OFFER.encode(),
        {"Content-Type": "application/sdp; n&*"},
        415,
        "Content-Type",
    ),
    # Found by test_fuzz_offers: a BUNDLE led by the second of two data channel sections
    # (aiortc makes one SCTP transport) raised AttributeError in aiortc, answered 500.
    "two data channel sections": (
        _two_data_channel_sections(WHEP_OFFER).encode(),
        SDP,
        400,
        "m=application",
    ),
    "bundle names an unknown first mid": (
        WHEP_OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 7 0 1").encode(),
        SDP,
        400,
        "BUNDLE",
    ),
    "bundle names an unknown later mid": (
        WHEP_OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 7").encode(),
        SDP,
        400,
        "BUNDLE",
    ),
    "two sections share a mid": (
        WHEP_OFFER.replace("a=mid:1", "a=mid:0").replace("BUNDLE 0 1", "BUNDLE 0").encode(),
        SDP,
        400,
        "mid",
    ),
    "a section without ICE credentials": (
        WHEP_OFFER.replace("a=ice-ufrag:y7u8\r\n", "")
        .replace("a=ice-pwd:brvgbBlhPmF5ZL6ChDNE0g\r\n", "")
        .encode(),
        SDP,
        400,
        "ice",
    ),
    "a section without a fingerprint": (
        "".join(line for line in WHEP_OFFER.splitlines(True) if "fingerprint" not in line).encode(),
        SDP,
        400,
        "fingerprint",
    ),
    "a line that is not type=value": (
        WHEP_OFFER.replace("a=rtcp-mux", "rtcp-mux").encode(),
        SDP,
        400,
        "line",
    ),
    "a NUL byte": (WHEP_OFFER.replace("s=-", "s=\x00").encode(), SDP, 400, "control"),
    "twenty sections": (_many_sections(WHEP_OFFER).encode(), SDP, 400, "sections"),
    "a port that is no number": (
        WHEP_OFFER.replace("m=video 9 ", "m=video nine ").encode(),
        SDP,
        400,
        "SDP",
    ),
    "an rtpmap without a clock rate": (
        WHEP_OFFER.replace("a=rtpmap:99 H264/90000", "a=rtpmap:99 H264").encode(),
        SDP,
        400,
        "SDP",
    ),
}


@pytest.mark.parametrize("kind", ["whep", "whip"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_offers_get_4xx_with_a_reason_and_no_traceback(
    kind: str, case: str, quiet_log: pytest.LogCaptureFixture
) -> None:
    body, headers, status, reason = MALFORMED[case]
    if kind == "whip":
        body = body.replace(b"a=recvonly", b"a=sendonly")
    with running_server(kind) as (rt, server):
        answered, _, text = request(server.url, "POST", body, headers)
        assert answered == status, text
        assert reason.lower() in text.lower()
        assert text.count("\n") == 1, "one line"
        assert "Traceback" not in text
        # It still serves, and took no session for the bad offer.
        assert request(server.url, "POST", OFFERS[kind].encode(), SDP)[0] == 201
        assert rt.statistics().processors["srv"].state == "running"
    assert "Traceback" not in quiet_log.text


# --- trickle and hang-up: unknown sessions and bad fragments ---------------------------------


@pytest.mark.parametrize("kind", ["whep", "whip"])
def test_bad_trickle_and_hang_ups_get_4xx(kind: str, quiet_log: pytest.LogCaptureFixture) -> None:
    with running_server(kind) as (rt, server):
        status, headers, _ = request(server.url, "POST", OFFERS[kind].encode(), SDP)
        assert status == 201
        session = server.url.removesuffix(f"/{kind}") + headers["Location"]
        unknown = f"{server.url}/no-such-session"
        candidate = b"a=mid:0\r\na=candidate:2 1 udp 2130706431 127.0.0.1 9 typ host\r\n"

        assert request(unknown, "PATCH", candidate, TRICKLE)[0] == 404
        assert request(unknown, "DELETE")[0] == 404
        cases = [
            (b"a=mid:0\r\na=candidate:garbage\r\n", TRICKLE, 400, "candidate"),
            (b"a=mid:0\r\na=candidate:1 1 udp x 127.0.0.1 9 typ host\r\n", TRICKLE, 400, ""),
            (b"a=mid:0\r\na=candidate:\xff\xfe\r\n", TRICKLE, 400, "UTF-8"),
            (candidate, {"Content-Type": "application/trickle-ice-sdpfrag; charset=x"}, 415, ""),
            (candidate, {"Content-Type": "application/trickle-ice-sdpfrag; n&*"}, 415, ""),
            (b"a=mid:9\r\na=candidate:2 1 udp 2130706431 127.0.0.1 9 typ host\r\n", TRICKLE, 400,
             "mid"),
        ]  # fmt: skip
        for body, sent, expected, reason in cases:
            answered, _, text = request(session, "PATCH", body, sent)
            assert answered == expected, (body, text)
            assert reason.lower() in text.lower()
        assert request(session, "PATCH", candidate, TRICKLE)[0] == 204
        assert request(session, "DELETE")[0] == 200
        assert request(session, "DELETE")[0] == 404
        assert request(session, "PATCH", candidate, TRICKLE)[0] == 404
        assert rt.statistics().processors["srv"].errors == 0


# --- Host and Origin on loopback binds; tokens elsewhere; ports -----------------------------


@pytest.mark.parametrize("bind", ["127.0.0.1", "127.0.0.2"])
@pytest.mark.parametrize("kind", ["whep", "whip"])
def test_a_loopback_server_without_a_token_refuses_foreign_hosts_and_origins(
    kind: str, bind: str
) -> None:
    with running_server(kind, host=bind) as (_, server):
        url = server.url
        assert url.startswith(f"http://{bind}:")
        _, port = address_of(url)
        offer = OFFERS[kind].encode()
        refused = [
            ({"Host": f"attacker.example:{port}"}, 421, "Host"),
            ({"Host": f"{bind}.attacker.example:{port}"}, 421, "Host"),
            ({"Origin": "http://attacker.example"}, 403, "Origin"),
            ({"Origin": "null"}, 403, "Origin"),
        ]
        for headers, status, reason in refused:
            answered, _, text = request(url, "POST", offer, {**SDP, **headers})
            assert answered == status, (headers, text)
            assert reason in text
            assert "127.0.0.1" in text  # it says what is accepted
        page = url.removesuffix(f"/{kind}") + "/"
        assert request(page, "GET", headers={"Host": f"attacker.example:{port}"})[0] == 421
        preflight = {"Origin": "http://attacker.example", "Access-Control-Request-Method": "POST"}
        assert request(url, "OPTIONS", headers=preflight)[0] == 403

        accepted = [
            {"Host": f"localhost:{port}"},
            {"Host": f"127.0.0.1:{port}"},
            {"Origin": f"http://{bind}:{port}"},
            {"Origin": "http://localhost:5173"},
        ]
        for headers in accepted:
            answered, reply_headers, text = request(url, "POST", offer, {**SDP, **headers})
            assert answered == 201, (headers, text)
            session = url.removesuffix(f"/{kind}") + reply_headers["Location"]
            assert request(session, "DELETE")[0] == 200
            if "Origin" in headers:
                assert reply_headers["Access-Control-Allow-Origin"] == headers["Origin"]
                assert "Origin" in reply_headers["Vary"]


@pytest.mark.parametrize("kind", ["whep", "whip"])
def test_with_a_token_pages_from_any_origin_may_call_but_the_host_is_still_checked(
    kind: str,
) -> None:
    auth = {"Authorization": "Bearer s3cret"}
    with running_server(kind, token="s3cret") as (_, server):
        url = server.url
        _, port = address_of(url)
        foreign = {**SDP, **auth, "Origin": "https://player.example"}
        status, headers, _ = request(url, "POST", OFFERS[kind].encode(), foreign)
        assert status == 201
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert (
            request(url.removesuffix(f"/{kind}") + headers["Location"], "DELETE", None, auth)[0]
            == 200
        )
        rebound = {**SDP, **auth, "Host": f"attacker.example:{port}"}
        assert request(url, "POST", OFFERS[kind].encode(), rebound)[0] == 421


@pytest.mark.parametrize("kind", ["whep", "whip"])
@pytest.mark.parametrize("bind", ["0.0.0.0", "192.0.2.1", "::", "example.test"])
def test_a_server_off_loopback_needs_a_token(kind: str, bind: str) -> None:
    with pytest.raises(sl.ConfigError, match="token") as refused:
        SERVERS[kind](host=bind)
    assert "127.0.0.1" in str(refused.value)  # says how to do without one
    config: Any = SERVERS[kind].Config
    assert config(host=bind, token="s3cret").host == bind


@pytest.mark.parametrize("kind", ["whep", "whip"])
@pytest.mark.parametrize("port", [-1, 65_536, 99_999])
def test_a_port_outside_the_range_is_refused(kind: str, port: int) -> None:
    with pytest.raises(sl.ConfigError, match="port"):
        SERVERS[kind](port=port)


def test_the_signalling_server_itself_refuses_bad_ports_and_tokenless_public_binds() -> None:
    from streamlib.webrtc import SignallingServer

    with pytest.raises(sl.ConfigError, match=r"0\.\.65535"):
        SignallingServer(port=99_999)
    with pytest.raises(sl.ConfigError, match="token"):
        SignallingServer(host="0.0.0.0")
    SignallingServer(host="0.0.0.0", token="s3cret")
    SignallingServer(host="::1")


def test_a_whep_viewer_page_still_plays_through_the_checks() -> None:
    # The page is served by the server itself; a browser sends Host and Origin for it.
    with running_server("whep") as (_, server):
        host, port = address_of(server.url)
        page = server.url.removesuffix("/whep") + "/"
        status, _, html = request(page, "GET")
        assert status == 200
        assert "RTCPeerConnection" in html
        origin = {"Origin": f"http://{host}:{port}", "Referer": page}
        assert request(server.url, "POST", WHEP_OFFER.encode(), {**SDP, **origin})[0] == 201
        wait_until(lambda: server.host.viewer_count == 1, what="the viewer")
