"""Channel-count conversion of ``(samples, channels)`` float32 blocks.

Modes, for ``n`` input channels to ``m`` output channels:

- ``duplicate``: output channel ``j`` takes input channel ``j % n`` (mono to
  any layout: the same signal everywhere);
- ``left`` / ``right``: every output channel takes input channel 0 / 1
  (the last channel of a mono input);
- ``downmix``: every output channel takes the mean of all input channels.

``auto`` is what a device output uses: ``downmix`` when going to mono,
``duplicate`` otherwise.

>>> convert_channels(np.ones((4, 1), np.float32), 2, "duplicate").shape
(4, 2)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = ["ChannelMode", "convert_channels"]

ChannelMode = Literal["duplicate", "left", "right", "downmix", "auto"]


def convert_channels(
    data: np.ndarray[Any, Any],
    channels: int,
    mode: ChannelMode,
    out: np.ndarray[Any, Any] | None = None,
) -> np.ndarray[Any, Any]:
    """``data`` with ``channels`` channels (into ``out`` when given, else a new array)."""
    samples, have = data.shape
    if out is None:
        out = np.empty((samples, channels), np.float32)
    if mode == "auto":
        mode = "downmix" if channels == 1 and have > 1 else "duplicate"
    if mode == "downmix":
        np.mean(data, axis=1, dtype=np.float32, out=out[:, 0])
        out[:, 1:] = out[:, :1]
    elif mode in ("left", "right"):
        source = 0 if mode == "left" else min(1, have - 1)
        out[:] = data[:, source : source + 1]
    elif mode == "duplicate":
        for channel in range(channels):
            out[:, channel] = data[:, channel % have]
    else:
        raise ValueError(f"unknown channel mode {mode!r}")
    return out
