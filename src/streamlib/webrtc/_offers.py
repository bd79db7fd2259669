"""Checking an SDP offer's structure before aiortc sees it.

aiortc parses SDP to use it, not to judge it: some malformed offers raise
``AttributeError`` deep inside ``setRemoteDescription`` (a BUNDLE group whose
first mid names no section leaves it without a transport), others are taken
silently. So the server checks what a well-formed offer has, and says what is
wrong in one line::

    check_offer(text)   # ValueError("the BUNDLE group names mid 7, which no media section has ...")

It checks structure (lines, sections, mids, BUNDLE, ICE credentials, DTLS
fingerprint and setup, how many sections), then that aiortc's parser takes the
text; codecs and directions are aiortc's to judge when it applies the offer.
"""

from __future__ import annotations

import re

from aiortc.sdp import SessionDescription

__all__ = ["MAX_MEDIA_SECTIONS", "check_offer"]

MAX_MEDIA_SECTIONS = 16
"""More than any WHIP/WHEP client sends (browsers and OBS send two); each section costs
ICE gathering and UDP sockets unless bundled, so an offer cannot ask for thousands."""

_LINE = re.compile(r"[a-z]=")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_offer(sdp: str) -> None:
    """``ValueError`` saying what is wrong, for an offer we should not hand to aiortc."""
    control = _CONTROL.search(sdp)
    if control is not None:
        at = sdp.count("\n", 0, control.start()) + 1
        raise ValueError(
            f"line {at} holds a control character (U+{ord(control.group()):04X}); SDP is plain text"
        )
    session: list[str] = []
    sections: list[list[str]] = []
    for number, raw in enumerate(sdp.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if not _LINE.match(line):
            raise ValueError(f"line {number} is not an SDP line (type=value): {line[:60]!r}")
        if line.startswith("m="):
            sections.append([line])
            if len(sections) > MAX_MEDIA_SECTIONS:
                raise ValueError(
                    f"the offer has more than {MAX_MEDIA_SECTIONS} media sections; "
                    "this server takes at most that many"
                )
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    if not sections:
        raise ValueError("the offer has no audio or video section (no m= line)")
    applications = sum(section[0].startswith("m=application") for section in sections)
    if applications > 1:
        # aiortc makes one SCTP transport; a BUNDLE led by a second such section
        # left it without any (AttributeError deep in createAnswer).
        raise ValueError(
            f"the offer has {applications} m=application (data channel) sections; "
            "WebRTC uses one at most"
        )
    mids = _check_mids(sections)
    _check_bundle(session, mids)
    for index, section in enumerate(sections):
        where = f"media section {index}" + (f" (a=mid:{mids[index]})" if mids[index] else "")
        for attribute, purpose in (
            ("a=ice-ufrag:", "ICE needs it"),
            ("a=ice-pwd:", "ICE needs it"),
            ("a=fingerprint:", "DTLS needs it"),
            ("a=setup:", "DTLS needs it"),
        ):
            if not _has(section, attribute) and not _has(session, attribute):
                raise ValueError(f"{where} has no {attribute.rstrip(':')} ({purpose})")
    _check_parses(session, sections, mids)


def _check_parses(session: list[str], sections: list[list[str]], mids: list[str | None]) -> None:
    # aiortc's parser assumes well-formed input and fails with whatever the bad
    # line trips on first (ValueError, KeyError, AssertionError, StopIteration...).
    # Parsing has no side effects, so any exception here means "not valid SDP";
    # parsing each section alone with the session lines finds where it is.
    failure = _parse_failure(session, [line for section in sections for line in section])
    if failure is None:
        return
    where = "the session lines"
    for index, section in enumerate(sections):
        found = _parse_failure(session, section)
        if found is not None:
            failure = found
            where = f"media section {index}" + (f" (a=mid:{mids[index]})" if mids[index] else "")
            break
    raise ValueError(
        f"{where} do{'' if where.startswith('the') else 'es'} not parse ({failure}); "
        "check the m=, a=rtpmap, a=fmtp, a=candidate, a=setup and a=ssrc lines"
    )


def _parse_failure(session: list[str], lines: list[str]) -> str | None:
    try:
        SessionDescription.parse("\r\n".join([*session, *lines, ""]))
    except Exception as error:
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return None


def _check_mids(sections: list[list[str]]) -> list[str | None]:
    mids: list[str | None] = []
    for section in sections:
        found = [line[len("a=mid:") :].strip() for line in section if line.startswith("a=mid:")]
        if len(found) > 1:
            raise ValueError(f"a media section has {len(found)} a=mid lines; one at most")
        mid = found[0] if found else None
        if mid is not None and mid in mids:
            raise ValueError(f"two media sections have a=mid:{mid}; each needs its own mid")
        mids.append(mid)
    return mids


def _check_bundle(session: list[str], mids: list[str | None]) -> None:
    known = [mid for mid in mids if mid is not None]
    for line in session:
        if not line.startswith("a=group:"):
            continue
        words = line[len("a=group:") :].split()
        if not words or words[0].upper() != "BUNDLE":
            continue
        items = words[1:]
        for item in items:
            if item not in known:
                have = ", ".join(known) or "none"
                raise ValueError(
                    f"the BUNDLE group names mid {item}, which no media section has "
                    f"(the sections' mids: {have})"
                )
        if len(set(items)) != len(items):
            raise ValueError("the BUNDLE group names a mid twice")


def _has(lines: list[str], prefix: str) -> bool:
    return any(line.startswith(prefix) for line in lines)
