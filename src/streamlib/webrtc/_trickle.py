"""Trickle ICE (RFC 8840 SDP fragments) into aiortc candidates::

await add_remote_candidates(pc, body)   # ValueError for a fragment that does not fit pc
"""

from __future__ import annotations

from aiortc import RTCIceCandidate, RTCPeerConnection
from aiortc.sdp import candidate_from_sdp

__all__ = ["add_remote_candidates", "candidates_from_fragment"]


async def add_remote_candidates(pc: RTCPeerConnection, fragment: str) -> None:
    """Add the candidates of ``fragment`` to ``pc``.

    Raises ``ValueError`` for a candidate line that does not parse or one tagged
    with a mid the session does not have (then none of them is added).
    """
    candidates = candidates_from_fragment(fragment)
    mids = [t.mid for t in pc.getTransceivers() if t.mid is not None]
    for candidate in candidates:
        if candidate.sdpMid is not None and candidate.sdpMid not in mids:
            raise ValueError(
                f"no media section has a=mid:{candidate.sdpMid} "
                f"(this session's mids: {', '.join(mids) or 'none'})"
            )
    for candidate in candidates:
        await pc.addIceCandidate(candidate)  # after end-of-candidates aiortc ignores them


def candidates_from_fragment(fragment: str) -> list[RTCIceCandidate]:
    """The candidates of an SDP fragment, each tagged with the ``a=mid`` it follows.

    Raises ``ValueError`` for a candidate line that does not parse.
    """
    candidates = []
    mid: str | None = None
    index = -1
    for raw in fragment.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            index += 1
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
        elif line.startswith("a=candidate:"):
            try:
                candidate = candidate_from_sdp(line[len("a=candidate:") :])
            except (AssertionError, IndexError, ValueError) as error:
                raise ValueError(f"bad candidate line {line!r}") from error
            candidate.sdpMid = mid
            candidate.sdpMLineIndex = max(index, 0)
            candidates.append(candidate)
    return candidates
