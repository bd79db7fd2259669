"""Trickle ICE (RFC 8840 SDP fragments) into aiortc candidates.

for candidate in candidates_from_fragment(body):
    await pc.addIceCandidate(candidate)
"""

from __future__ import annotations

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

__all__ = ["candidates_from_fragment"]


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
