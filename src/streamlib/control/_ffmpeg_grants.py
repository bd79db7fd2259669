"""What FFmpeg text an agent may give without the raw-FFmpeg grant.

FFmpeg strings are code-like: a filter graph can read files (``movie=``), write them
(``metadata=file=``), load libraries (``frei0r``) and fetch URLs; an input "path" can
be a protocol (``concat:``, ``subfile,``, ``pipe:``); input options can widen what a
demuxer opens (``protocol_whitelist``). Without ``--allow-raw-ffmpeg`` only these are
accepted, each checked on its unescaped value as FFmpeg reads it:

- filter graphs made of :data:`SAFE_FILTERS` (generators and pure transforms, none of
  which has an option naming a file, URL or library);
- input formats from :data:`SAFE_INPUT_FORMATS` (containers that open nothing else),
  and the camera device formats for a type granted the camera;
- input options from :data:`SAFE_INPUT_OPTIONS` with plain values;
- input locations that are file paths (then confined like a read path) or URLs of
  :data:`NETWORK_SCHEMES` (then the network grant is needed).

Files are opened with ``protocol_whitelist=file`` and a ``format_whitelist`` of the
safe containers (see :func:`protective_options`), so a playlist or concat script in
the readable directory cannot lead FFmpeg anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..core import ConfigError, PermissionDeniedError
from ._ffmpeg_graph import parse_filter_graph
from ._grant_hints import RESTART_WITH

__all__ = [
    "NETWORK_SCHEMES",
    "RAW_FFMPEG_FLAG",
    "SAFE_FILTERS",
    "SAFE_INPUT_FORMATS",
    "SAFE_INPUT_OPTIONS",
    "MediaLocation",
    "check_filter_graph",
    "check_input_format",
    "check_input_options",
    "locate",
    "protective_options",
]

RAW_FFMPEG_FLAG = "--allow-raw-ffmpeg"

SAFE_FILTERS: frozenset[str] = frozenset(
    {
        # video generators
        "allrgb", "allyuv", "color", "colorchart", "colorspectrum", "gradients", "haldclutsrc",
        "mandelbrot", "nullsrc", "pal100bars", "pal75bars", "rgbtestsrc", "sierpinski",
        "smptebars", "smptehdbars", "testsrc", "testsrc2", "yuvtestsrc", "zoneplate",
        # audio generators
        "aevalsrc", "anoisesrc", "anullsrc", "sine",
        # video transforms
        "boxblur", "colorchannelmixer", "crop", "drawbox", "drawgrid", "edgedetect", "eq",
        "format", "fps", "gblur", "hflip", "hue", "lutrgb", "lutyuv", "negate", "noise",
        "null", "pad", "rotate", "scale", "setdar", "setpts", "setsar", "transpose", "trim",
        "unsharp", "vflip", "vignette",
        # audio transforms
        "aformat", "anull", "aresample", "asetpts", "atrim", "highpass", "lowpass", "volume",
    }
)  # fmt: skip
"""Filters an agent may use in a graph without the raw-FFmpeg grant."""

SAFE_INPUT_FORMATS: frozenset[str] = frozenset(
    {
        "aac", "ac3", "avi", "flac", "flv", "gif", "h264", "hevc", "ivf", "m4v", "matroska",
        "mjpeg", "mov", "mp3", "mp4", "mpeg", "mpegts", "mpegvideo", "nut", "ogg", "wav",
        "webm", "yuv4mpegpipe", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe",
    }
)  # fmt: skip
"""Demuxers that read one stream of bytes and open nothing else (no playlists,
concat scripts, image sequences, SDP files or filter graphs)."""

CAMERA_FORMATS: frozenset[str] = frozenset({"v4l2", "video4linux2", "avfoundation", "dshow"})
"""Input devices a type granted the camera may name."""

SAFE_INPUT_OPTIONS: frozenset[str] = frozenset(
    {
        "analyzeduration", "buffer_size", "fpsprobesize", "framerate", "pixel_format",
        "probesize", "reconnect", "reconnect_at_eof", "reconnect_delay_max",
        "reconnect_streamed", "rtsp_flags", "rtsp_transport", "rw_timeout", "sample_rate",
        "stimeout", "timeout", "video_size",
    }
)  # fmt: skip
"""Input options an agent may set without the raw-FFmpeg grant (with plain values)."""

NETWORK_SCHEMES: Mapping[str, str] = {
    "http": "http,https,tcp,tls,crypto,httpproxy",
    "https": "http,https,tcp,tls,crypto,httpproxy",
    "rtsp": "rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https",
    "rtsps": "rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https",
    "rtmp": "rtmp,rtmps,tcp,tls",
    "rtmps": "rtmp,rtmps,tcp,tls",
    "srt": "srt",
    "tcp": "tcp",
    "udp": "udp,rtp",
    "rtp": "rtp,udp",
}
"""URL schemes an input may use with the network grant, and the protocols each may
lead FFmpeg to (its ``protocol_whitelist``)."""

_FILE_FORMAT_WHITELIST = "mov,matroska,mpegts,flv,avi,wav,mp3,ogg,aac,ac3,flac,h264,hevc,ivf," + (
    "m4v,mpeg,mpegvideo,mjpeg,nut,gif,yuv4mpegpipe,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe"
)
_PROTECTIVE = frozenset({"protocol_whitelist", "format_whitelist"})
_FILE_LIKE_KEY = re.compile(r"^/|file|(path|url|uri|lib|library|model|dll)$", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.+\-]{0,64}")
_RAW_HINT = (
    f"ask the user to {RESTART_WITH} {RAW_FFMPEG_FLAG} (FFmpeg may then read and "
    "write any file and reach the network: as powerful as running any program)"
)


@dataclass(frozen=True, slots=True)
class MediaLocation:
    """What an input location is: a file ``path``, a ``network`` URL, or another ``protocol``."""

    kind: Literal["path", "network", "protocol"]
    scheme: str | None


def locate(value: str) -> MediaLocation:
    """Classify ``value`` the way FFmpeg picks a protocol for it."""
    if value.startswith("subfile,"):
        return MediaLocation("protocol", "subfile")
    match = _SCHEME.match(value)
    if match is None:
        return MediaLocation("path", None)
    scheme = match.group(1).lower()
    if scheme in NETWORK_SCHEMES and value[match.end() :].startswith("//"):
        return MediaLocation("network", scheme)
    return MediaLocation("protocol", scheme)


def protective_options(location: MediaLocation) -> dict[str, str]:
    """Options that keep FFmpeg, and any demuxer it nests, to what ``location`` is."""
    if location.kind == "path":
        return {"protocol_whitelist": "file", "format_whitelist": _FILE_FORMAT_WHITELIST}
    if location.kind == "network" and location.scheme is not None:
        return {"protocol_whitelist": NETWORK_SCHEMES[location.scheme]}
    return {}


def check_filter_graph(graph: str, *, what: str) -> None:
    """``PermissionDeniedError`` unless every filter in ``graph`` is safe and no option in it
    names a file, URL or library."""
    try:
        calls = parse_filter_graph(graph)
    except ConfigError as error:
        raise ConfigError(f"{what}: {error}") from None
    for call in calls:
        if call.name not in SAFE_FILTERS:
            raise PermissionDeniedError(
                f"{what} uses the FFmpeg filter {call.name!r}, which agents may not use without "
                f"the raw-FFmpeg permission (filters such as movie, amovie and those with file "
                f"options read or write files and URLs); use generator and transform filters "
                f"({', '.join(sorted(SAFE_FILTERS)[:12])}, ...), MediaFile to play a file, or "
                + _RAW_HINT
            )
        for key, value in call.options:
            _check_option(call.name, key, value, what=what)


def check_input_format(name: str, *, what: str, capabilities: frozenset[str]) -> None:
    """``PermissionDeniedError`` unless ``name`` is a safe demuxer (or a granted camera device)."""
    if name in SAFE_INPUT_FORMATS or ("camera" in capabilities and name in CAMERA_FORMATS):
        return
    allowed = sorted(SAFE_INPUT_FORMATS | (CAMERA_FORMATS if "camera" in capabilities else set()))
    raise PermissionDeniedError(
        f"{what} ({name!r}) is an FFmpeg input format agents may not use without the raw-FFmpeg "
        f"permission (it can open other files, devices or URLs); use one of "
        f"{', '.join(allowed)}, leave it unset, or " + _RAW_HINT
    )


def check_input_options(
    options: Mapping[str, str], *, what: str, location: MediaLocation | None
) -> dict[str, str]:
    """``options`` with the :func:`protective_options` for ``location`` in place of any
    given, or ``PermissionDeniedError`` for an option outside :data:`SAFE_INPUT_OPTIONS`.

    Whitelists already there are replaced, never widened: they are what an earlier
    check added for the location the config named then.
    """
    required = protective_options(location) if location is not None else {}
    kept = {key: value for key, value in options.items() if key not in _PROTECTIVE}
    for key, value in kept.items():
        if key not in SAFE_INPUT_OPTIONS:
            raise PermissionDeniedError(
                f"{what} sets the FFmpeg option {key!r}, which agents may not set without the "
                f"raw-FFmpeg permission; use only {', '.join(sorted(SAFE_INPUT_OPTIONS))}, or "
                + _RAW_HINT
            )
        if not _PLAIN_VALUE.fullmatch(str(value)):
            raise PermissionDeniedError(
                f"{what}: the value of {key!r} ({value!r}) must be plain (letters, digits, "
                "'_', '.', '+', '-'), or " + _RAW_HINT
            )
    return {**kept, **required}


def _check_option(filter_name: str, key: str | None, value: str, *, what: str) -> None:
    # The safe filters have no option naming a file, URL or library; this second line of
    # defence refuses what looks like one anyway (a new FFmpeg might add such an option).
    if key is not None and _FILE_LIKE_KEY.search(key):
        raise PermissionDeniedError(
            f"{what}: the option {key!r} of filter {filter_name!r} could name a file or URL, "
            "which agents may not give FFmpeg; " + _RAW_HINT
        )
    if "://" in value or locate(value).kind == "protocol":
        raise PermissionDeniedError(
            f"{what}: the value {value!r} of filter {filter_name!r} looks like a URL or FFmpeg "
            "protocol, which agents may not give FFmpeg; " + _RAW_HINT
        )
