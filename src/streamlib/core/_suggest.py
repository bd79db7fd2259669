"""'Did you mean ...?' hints for unknown names: the one place that picks the nearest."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

__all__ = ["closest", "did_you_mean", "did_you_mean_listing", "renamed_hint"]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``word``, or ``None`` when none is close.

    >>> closest("vidoe", ["video", "audio"])
    'video'
    """
    options = sorted({str(c) for c in candidates})  # plain text: ids would show their repr
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str], *, what: str = "names") -> str:
    """A hint naming the closest candidate, or listing them all when none is close.

    >>> did_you_mean("vidoe", ["video", "audio"])
    "did you mean 'video'?"
    """
    options = sorted({str(c) for c in candidates})
    match = closest(word, options)
    if match is not None:
        return f"did you mean {match!r}?"
    if not options:
        return f"there are no {what}"
    shown = ", ".join(options[:20]) + (", ..." if len(options) > 20 else "")
    return f"{what}: {shown}"


def did_you_mean_listing(word: str, candidates: Iterable[str], *, what: str) -> str:
    """The hint (when one is close) and then every candidate, in the order given.

    For short lists a reader wants whole, such as a config's fields:

    >>> did_you_mean_listing("widht", ["width", "height"], what="fields")
    "did you mean 'width'? fields are: width, height"
    """
    options = [str(c) for c in candidates]
    match = closest(word, options)
    hint = "" if match is None else f"did you mean {match!r}? "
    return f"{hint}{what} are: {', '.join(options) or '(none)'}"


def renamed_hint(word: str, renamed: Mapping[str, str]) -> str | None:
    """What to write instead of a name that was renamed, or ``None``.

    Renamed fields and ports are refused with this for one release, so old
    pipeline files fail with the fix rather than a guess:

    >>> renamed_hint("connect_timeout", {"connect_timeout": "connect_timeout_s"})
    "'connect_timeout' was renamed to 'connect_timeout_s'"
    """
    new = renamed.get(word)
    return None if new is None else f"{word!r} was renamed to {new!r}"
