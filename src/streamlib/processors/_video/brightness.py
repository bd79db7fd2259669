"""Brightness: scale and shift pixel values, changeable while it runs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import (
    BufferPool,
    Input,
    Output,
    PixelFormat,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    VideoFrame,
    live_field,
)

__all__ = ["Brightness"]


class BrightnessConfig(ProcessorConfig):
    gain: float = live_field(1.0, ge=0.0, le=8.0, description="Factor applied to each value.")
    offset: float = live_field(
        0.0, ge=-255.0, le=255.0, description="Added after the gain (0..255 scale)."
    )


class Brightness(Processor[BrightnessConfig]):
    """Make video brighter or darker: each value becomes ``value * gain + offset``, clamped.

    Color channels change, alpha does not; for the 4:2:0 formats only the luma
    plane changes. Both fields are live, so an agent or a control surface can
    turn it up while the pipeline runs. At ``gain: 1, offset: 0`` frames pass
    through untouched (no copy).

    Example pipeline entry::

        fx: {type: Brightness, config: {gain: 1.5, offset: -10}}
    """

    tags = ("video", "effect")

    video_in = Input(VideoFrame, description="Video to change (newest first, depth 3).")
    video_out = Output(VideoFrame, description="The changed video, same size and format.")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        self._lut = self._table()
        self._pool: BufferPool | None = None

    def on_config_changed(self, previous: ProcessorConfig) -> None:
        self._lut = self._table()

    def process(self) -> None:
        frame = self.video_in.read_latest()
        if frame is None:
            return
        lut = self._lut
        if lut is None:  # identity: hand the frame on as it is
            self.video_out.write(frame)
            return
        data = frame.to_ndarray()
        pool = self._pool
        if pool is None or pool.shape != data.shape:  # the stream changed size or format
            pool = self._pool = BufferPool(data.shape, np.uint8)
        out = pool.acquire()
        fmt = frame.pixel_format
        if fmt.is_planar_420:
            height = frame.height
            self._apply(data[:height], out[:height])
            out[height:] = data[height:]  # chroma keeps its color
        else:
            self._apply(data, out)
            if fmt in (PixelFormat.RGBA, PixelFormat.BGRA):
                out[..., 3] = data[..., 3]
        self.video_out.write(frame.replace(data=out, pixel_format=fmt))

    def _apply(self, values: np.ndarray[Any, Any], out: np.ndarray[Any, Any]) -> None:
        gain, offset = self.config.gain, self.config.offset
        shift = int(offset)
        if gain == 1.0 and shift == offset:
            # An offset alone is a saturating add: two passes of plain uint8 arithmetic,
            # about twice as fast as the table look-up below (a gather per value).
            if shift > 0:
                np.minimum(values, 255 - shift, out=out)
                np.add(out, shift, out=out)
            else:
                np.maximum(values, -shift, out=out)
                np.subtract(out, -shift, out=out)
            return
        lut = self._lut
        assert lut is not None
        np.take(lut, values, out=out)

    def _table(self) -> np.ndarray[Any, Any] | None:
        """The 256-entry lookup table for the current config (None when it changes nothing)."""
        gain, offset = self.config.gain, self.config.offset
        if gain == 1.0 and offset == 0.0:
            return None
        values = np.arange(256, dtype=np.float64) * gain + offset
        table: np.ndarray[Any, Any] = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return table
