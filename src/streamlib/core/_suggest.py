"""'Did you mean ...?' hints for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, candidates: Iterable[str], *, what: str = "names") -> str:
    """A hint naming the closest candidate, or listing them all when none is close.

    >>> did_you_mean("vidoe", ["video", "audio"])
    "did you mean 'video'?"
    """
    options = sorted({str(c) for c in candidates})  # plain text: ids would show their repr
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if not options:
        return f"there are no {what}"
    shown = ", ".join(options[:20]) + (", ..." if len(options) > 20 else "")
    return f"{what}: {shown}"
