"""The reading loop that MediaFile and FFmpegSource share: decode, convert, pace, loop, resume.

Timing: content time ``t`` (from the input's start) becomes ``timestamp_ns =
start + loop offset + t`` on the runtime's ``MediaClock``; in real-time mode
each frame is written when that moment comes. Audio blocks are stamped by
counting samples, so audio never drifts against its own rate.

Errors: a packet FFmpeg cannot read raises :class:`CodecError` out of
``process()`` (the runtime reports it and, with the default ``restart``
policy, sets the processor up again). The next setup resumes just after what
was already written, skipping the bad packet, so a corrupt stretch costs an
error event and its own frames, not a replay from the start.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..core import (
    AudioFrame,
    CodecError,
    CustomEvent,
    Output,
    Processor,
    ProcessorContext,
    Scheduling,
    VideoFrame,
    processor_topic,
)
from ._media_support import RawVideoOptions, require_pyav

if TYPE_CHECKING:
    from ..media import AudioConverter, MediaInput, VideoConverter

__all__ = ["FFmpegInputConfig", "FFmpegInputProcessor"]

_MAX_SLEEP_NS = 50_000_000  # process() returns at least this often, so stop is prompt
_IDLE_S = 0.05  # after the end of a non-looping input


class FFmpegInputConfig(RawVideoOptions):
    """Fields every FFmpeg input has (subclasses add where the input comes from)."""

    realtime: bool = Field(
        True,
        description="Pace output by the input's timestamps (false: as fast as consumers take it).",
    )
    loop: bool = Field(False, description="Start again at the end; timestamps keep increasing.")
    sample_rate: int | None = Field(
        None, ge=8_000, le=384_000, description="Resample audio to this rate (default: as decoded)."
    )
    channels: int | None = Field(
        None, ge=1, le=8, description="Mix audio to this many channels (default: as decoded)."
    )
    threads: int = Field(
        0, ge=0, le=64, description="Video decoder threads (0: automatic, frame threading)."
    )


class FFmpegInputProcessor(Processor):
    """Base of processors that read an FFmpeg input and write ``video`` and ``audio``.

    Subclasses say what to open (:meth:`input_spec`) and which streams they want.
    """

    fusible = False  # process() waits for frames to come due
    default_scheduling = Scheduling.loop()

    video = Output(VideoFrame, description="Decoded pictures.")
    audio = Output(AudioFrame, description="Decoded audio, float32 (samples, channels).")

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        require_pyav(self.type_name)
        self._timeline_ready = False
        self._resume = False
        self._bad_packets: set[tuple[int, int]] = set()
        self._resync_after_ns: int | None = None
        self._start_mono_ns = 0
        self._start_clock_ns = 0
        self._loop_offset_ns = 0
        self._content_end_ns = 0
        self._last_video_ns = -1
        self._audio_end_ns = -1  # content time where written audio ends
        self._video_number = 0
        self._audio_number = 0

    # -- what to open ----------------------------------------------------------------

    def input_spec(self) -> tuple[str, str | None, dict[str, str]]:
        """``(url, input_format, options)`` for FFmpeg."""
        raise TypeError(f"{self.type_name} must say what it opens (input_spec)")

    def wants(self) -> tuple[bool, bool]:
        """Whether to decode ``(video, audio)``."""
        return True, True

    # -- lifecycle -------------------------------------------------------------------

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ..media import AudioConverter, MediaInput, VideoConverter

        cfg = self.config
        url, input_format, options = self.input_spec()
        want_video, want_audio = self.wants()
        self._reader: MediaInput | None = None
        reader = MediaInput(
            url,
            input_format=input_format,
            options=options,
            video=want_video,
            audio=want_audio,
            threads=cfg.threads,
        )
        self._reader = reader
        reader.skip = self._bad_packets  # shared: bad packets stay skipped after a restart
        reader.resync_after_ns = self._resync_after_ns
        self._video_converter: VideoConverter = VideoConverter(
            width=cfg.width, height=cfg.height, pixel_format=cfg.pixel_format
        )
        self._audio_converter: AudioConverter = AudioConverter(
            sample_rate=cfg.sample_rate, channels=cfg.channels
        )
        self._audio_cursor_ns: int | None = None
        self._pending: deque[tuple[int, VideoFrame | AudioFrame]] = deque()
        self._finished = False
        video_stream = reader.video_stream
        rate = video_stream.average_rate if video_stream is not None else None
        self._video_step_ns = int(1_000_000_000 / rate) if rate else 0
        if not self._timeline_ready:
            self._start_clock_ns = ctx.clock.now_ns()
            self._start_mono_ns = time.monotonic_ns()
            self._timeline_ready = True
        elif self._resume:
            written = [t for t in (self._last_video_ns, self._audio_end_ns) if t >= 0]
            reader.seek(min(written, default=0))
        self._resume = False

    def teardown(self) -> None:
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.close()
            self._reader = None
        super().teardown()

    def process(self) -> None:
        if not self._pending:
            if self._finished:
                time.sleep(_IDLE_S)
                return
            self._decode_more()
            if not self._pending:
                return
        if self.config.realtime:
            due_ns = self._pending[0][0]
            wait_ns = due_ns - time.monotonic_ns()
            if wait_ns > 0:
                time.sleep(min(wait_ns, _MAX_SLEEP_NS) / 1e9)
                return
        now_ns = time.monotonic_ns()
        pending = self._pending
        while pending and (not self.config.realtime or pending[0][0] <= now_ns):
            _, frame = pending.popleft()
            if isinstance(frame, VideoFrame):
                self.video.write(frame)
            else:
                self.audio.write(frame)

    # -- decoding --------------------------------------------------------------------

    def _decode_more(self) -> None:
        reader = self._reader
        assert reader is not None
        try:
            decoded = reader.read()
        except CodecError:
            self._resume = True  # the next setup continues after this packet
            self._resync_after_ns = reader.resync_after_ns
            raise
        if decoded is None:
            self._end_of_input()
            return
        for item in decoded:
            if item.kind == "video":
                self._add_video(item.frame, item.time_ns)
            else:
                self._add_audio(item.frame, item.time_ns)

    def _add_video(self, decoded: Any, time_ns: int) -> None:
        if time_ns <= self._last_video_ns:
            return  # already written before a resume or seek
        self._last_video_ns = time_ns
        self._content_end_ns = max(self._content_end_ns, time_ns + self._video_step_ns)
        if not self.video.is_connected():
            return  # decoded (the decoder needs every packet) but nobody wants pictures
        stamp = self._start_clock_ns + self._loop_offset_ns + time_ns
        frame = self._video_converter.convert_av(
            decoded, timestamp_ns=stamp, frame_number=self._video_number
        )
        self._video_number += 1
        self._pending.append((self._due(time_ns), frame))

    def _add_audio(self, decoded: Any, time_ns: int) -> None:
        if time_ns < self._audio_end_ns:
            return  # already written before a resume or seek
        if self._audio_cursor_ns is None:
            self._audio_cursor_ns = time_ns
        for samples in self._audio_converter.convert(decoded):
            self._queue_audio(samples)

    def _queue_audio(self, samples: Any) -> None:
        cursor = self._audio_cursor_ns
        assert cursor is not None
        rate = self._audio_converter.output_rate
        count = samples.shape[0]
        if count == 0:
            return
        self._audio_cursor_ns = cursor + count * 1_000_000_000 // rate
        self._audio_end_ns = self._audio_cursor_ns
        self._content_end_ns = max(self._content_end_ns, self._audio_end_ns)
        if not self.audio.is_connected():
            return
        block = AudioFrame(
            samples,
            rate,
            timestamp_ns=self._start_clock_ns + self._loop_offset_ns + cursor,
            frame_number=self._audio_number,
        )
        self._audio_number += 1
        self._pending.append((self._due(cursor), block))

    def _due(self, time_ns: int) -> int:
        return self._start_mono_ns + self._loop_offset_ns + time_ns

    def _end_of_input(self) -> None:
        for samples in self._audio_converter.flush():
            if self._audio_cursor_ns is not None:
                self._queue_audio(samples)
        reader = self._reader
        assert reader is not None
        if self.config.loop and self._content_end_ns > 0:
            # The next pass starts where this one ended, so timestamps keep rising.
            self._loop_offset_ns += self._content_end_ns
            self._content_end_ns = 0
            self._last_video_ns = -1
            self._audio_end_ns = -1
            self._audio_cursor_ns = None
            reader.seek(0)
            return
        self._finished = True
        ctx = self.ctx
        if ctx is not None:
            ctx.events.publish(
                CustomEvent(
                    custom_topic=processor_topic(str(ctx.processor_id)),
                    name="end_of_input",
                    payload={"url": reader.url, "video_frames": self._video_number},
                    timestamp_ns=ctx.clock.now_ns(),
                )
            )
