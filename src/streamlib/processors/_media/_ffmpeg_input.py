"""The reading loop that MediaFile and FFmpegSource share: decode, convert, pace, loop, resume, end.

Timing: content time ``t`` (from the input's start) becomes ``timestamp_ns =
start + loop offset + t`` on the runtime's ``MediaClock``; in real-time mode
each frame is written when that moment comes. Audio blocks are stamped by
counting samples, so audio never drifts against its own rate.

End: at the end of the input (without ``loop``), or at a ``duration_s`` /
``frames`` limit, every frame already decoded is written and then the outputs
end (``end_outputs``), so a file job finishes by itself. ``duration_s`` cuts
both streams at that content time (audio to the sample); a ``frames`` limit
ends the audio where the last picture ends (foreseen from the frame rate, as
audio decodes ahead of the pictures a frame-threaded decoder holds back).

Errors: a packet FFmpeg cannot read raises :class:`CodecError` out of
``process()`` (the runtime reports it and, with the default ``restart``
policy, sets the processor up again). The next setup resumes just after what
was already written, skipping the bad packet, so a corrupt stretch costs an
error event and its own frames, not a replay from the start.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic

from pydantic import Field
from typing_extensions import TypeVar

from ...core import (
    NS_PER_S,
    AudioFrame,
    CodecError,
    ConfigError,
    Output,
    Processor,
    ProcessorContext,
    Progress,
    SampleClock,
    Scheduling,
    VideoFrame,
)
from .._raw_video import RawVideoOptions
from .._requirements import MEDIA
from .._source_limits import duration_field, frames_field, seconds_to_ns

if TYPE_CHECKING:
    from ...media import AudioConverter, MediaInput, VideoConverter

__all__ = ["FFmpegInputConfig", "FFmpegInputProcessor"]

_MAX_SLEEP_NS = 50_000_000  # process() returns at least this often, so stop is prompt


class FFmpegInputConfig(RawVideoOptions):
    """Fields every FFmpeg input has (subclasses add where the input comes from)."""

    realtime: bool = Field(
        True,
        description="Pace output by the input's timestamps (false: as fast as consumers take it, "
        "losing nothing: the source waits for them).",
    )
    loop: bool = Field(False, description="Start again at the end; timestamps keep increasing.")
    duration_s: float | None = duration_field("content (with loop: of all passes together)")
    frames: int | None = frames_field("video frames (the audio ends where the last one does)")
    sample_rate: int | None = Field(
        None, ge=8_000, le=384_000, description="Resample audio to this rate (default: as decoded)."
    )
    channels: int | None = Field(
        None, ge=1, le=8, description="Mix audio to this many channels (default: as decoded)."
    )
    threads: int = Field(
        0, ge=0, le=64, description="Video decoder threads (0: automatic, frame threading)."
    )


C = TypeVar("C", bound=FFmpegInputConfig, default=FFmpegInputConfig)


class FFmpegInputProcessor(Processor[C], Generic[C]):
    """Base of processors that read an FFmpeg input and write ``video`` and ``audio``.

    Subclasses say what to open (:meth:`input_spec`), which streams they want,
    and whether the input is live whatever the pacing (:meth:`input_is_live`).
    """

    fusible = False  # process() waits for frames to come due
    requires = (MEDIA,)
    default_scheduling = Scheduling.loop()

    video = Output(VideoFrame, description="Decoded pictures.")
    audio = Output(AudioFrame, description="Decoded audio, float32 (samples, channels).")

    def __init__(self, config: C | Mapping[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self._bad_packets: set[tuple[int, int]] = set()
        # The stream's state survives a restart after an error (it resumes); a new run
        # after the end starts it afresh.
        self._new_stream()

    def _new_stream(self) -> None:
        self._timeline_ready = False
        self._resume = False
        self._resync_after_ns: int | None = None
        self._start_mono_ns = 0
        self._start_clock_ns = 0
        self._loop_offset_ns = 0
        self._content_end_ns = 0
        self._last_video_ns = -1
        self._audio_end_ns = -1  # content time where written audio ends
        self._video_number = 0
        self._audio_number = 0
        self._video_count = 0  # pictures decoded, for the frames limit
        duration_s = self.config.duration_s
        self._limit_ns: int | None = None if duration_s is None else seconds_to_ns(duration_s)
        # Where a frames limit should end the audio, foreseen from the first picture
        # (audio decodes ahead of the pictures a frame-threaded decoder holds back).
        self._audio_limit_ns: int | None = None
        self._video_done = False  # this stream reached the limit
        self._audio_done = False
        self._stream_ended = False
        # Read by progress() from other threads: plain numbers only.
        self._written_ns = 0  # content time written so far (all passes), the furthest stream
        # ... and per stream: progress follows the one furthest behind (audio queues
        # run seconds ahead of the pictures an encoder is still working on).
        self._video_written_ns: int | None = None
        self._audio_written_ns: int | None = None
        self._length_ns: int | None = self._limit_ns

    # -- what to open ----------------------------------------------------------------

    def input_spec(self) -> tuple[str, str | None, dict[str, str]]:
        """``(url, input_format, options)`` for FFmpeg."""
        raise TypeError(f"{self.type_name} must say what it opens (input_spec)")

    def wants(self) -> tuple[bool, bool]:
        """Whether to decode ``(video, audio)``."""
        return True, True

    def input_is_live(self) -> bool:
        """Whether the input runs in real time whatever ``realtime`` says (a device, a
        network stream): it cannot wait for a slow consumer. By default False."""
        return False

    def is_live(self) -> bool:
        return bool(self.config.realtime) or self.input_is_live()

    def progress(self) -> Progress | None:
        length_ns = self._length_ns
        position_ns = self._written_ns
        if not self._stream_ended:
            behind = [t for t in (self._video_written_ns, self._audio_written_ns) if t is not None]
            position_ns = min(behind, default=position_ns)
        return Progress(position_ns / NS_PER_S, None if length_ns is None else length_ns / NS_PER_S)

    # -- lifecycle -------------------------------------------------------------------

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...media import AudioConverter, MediaInput, VideoConverter

        if self._stream_ended:  # set up for a new run: play from the start
            self._new_stream()
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
        if cfg.frames is not None and reader.video_stream is None:
            reader.close()
            self._reader = None
            raise ConfigError(
                f"{self.type_name}: frames counts pictures and {url!r} gives none here; "
                "limit it with duration_s"
            )
        reader.skip = self._bad_packets  # shared: bad packets stay skipped after a restart
        reader.resync_after_ns = self._resync_after_ns
        self._video_converter: VideoConverter = VideoConverter(
            width=cfg.width, height=cfg.height, pixel_format=cfg.pixel_format
        )
        self._audio_converter: AudioConverter = AudioConverter(
            sample_rate=cfg.sample_rate, channels=cfg.channels
        )
        self._audio_origin_ns: int | None = None  # content time of the first audio read
        self._audio_timeline = SampleClock()
        # (due on the monotonic clock, content end with loop offset, frame)
        self._pending: deque[tuple[int, int, VideoFrame | AudioFrame | None]] = deque()
        self._finished = False
        video_stream = reader.video_stream
        rate = video_stream.average_rate if video_stream is not None else None
        self._video_step_ns = int(NS_PER_S / rate) if rate else 0
        self._length_ns = self._expected_length_ns(reader.duration_ns)
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
        pending = self._pending
        if not pending:
            if self._finished:
                self._end()
                return
            self._decode_more()  # one packet: maybe no frame yet, but work was done
            return
        realtime = self.config.realtime
        if realtime:
            wait_ns = pending[0][0] - time.monotonic_ns()
            if wait_ns > _MAX_SLEEP_NS:
                time.sleep(_MAX_SLEEP_NS / 1e9)
                return
            if wait_ns > 0:
                time.sleep(wait_ns / 1e9)
        now_ns = time.monotonic_ns()
        while pending and (not realtime or pending[0][0] <= now_ns):
            _, content_end_ns, frame = pending.popleft()
            if isinstance(frame, VideoFrame):
                self.video.write(frame)
                self._video_written_ns = content_end_ns
            elif isinstance(frame, AudioFrame):
                self.audio.write(frame)
                self._audio_written_ns = content_end_ns
            # (None: the time of a frame nobody reads, see _keep_time)
            self._written_ns = max(self._written_ns, content_end_ns)
        if not pending and self._finished:
            self._end()

    def _end(self) -> None:
        self._stream_ended = True
        self._length_ns = self._written_ns  # the real length, now that it is known
        self.end_outputs()

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
        self._check_limit()

    def _add_video(self, decoded: Any, time_ns: int) -> None:
        if time_ns <= self._last_video_ns:
            return  # already written before a resume or seek
        self._last_video_ns = time_ns
        self._content_end_ns = max(self._content_end_ns, time_ns + self._video_step_ns)
        position_ns = self._loop_offset_ns + time_ns
        if self._video_done or (self._limit_ns is not None and position_ns >= self._limit_ns):
            self._video_done = True
            return
        self._video_count += 1
        content_end_ns = position_ns + self._video_step_ns
        frames = self.config.frames
        if frames is not None and self._video_count == 1 and self._video_step_ns:
            self._audio_limit_ns = position_ns + frames * self._video_step_ns
        if frames is not None and self._video_count >= frames:
            # The last picture: audio goes on to where it ends, no further.
            self._video_done = True
            end_ns = max(content_end_ns, position_ns + 1)
            self._limit_ns = end_ns if self._limit_ns is None else min(self._limit_ns, end_ns)
        if not self.video.is_connected():
            # Decoded (the decoder needs every packet) but nobody wants pictures: its
            # time still passes, so a consumer or tap coming later gets frames due now.
            self._keep_time(self._due(time_ns), content_end_ns)
            return
        stamp = self._start_clock_ns + position_ns
        frame = self._video_converter.convert_av(
            decoded, timestamp_ns=stamp, frame_number=self._video_number
        )
        self._video_number += 1
        self._pending.append((self._due(time_ns), content_end_ns, frame))

    def _add_audio(self, decoded: Any, time_ns: int) -> None:
        if time_ns < self._audio_end_ns:
            return  # already written before a resume or seek
        if self._audio_origin_ns is None:
            self._audio_origin_ns = time_ns
        for samples in self._audio_converter.convert(decoded):
            self._queue_audio(samples)

    def _queue_audio(self, samples: Any) -> None:
        assert self._audio_origin_ns is not None
        if self._audio_done:
            return
        rate = self._audio_converter.output_rate
        timeline = self._audio_timeline
        timeline.follow(rate, self._audio_origin_ns)
        cursor = timeline.next_ns
        count = samples.shape[0]
        limits = [t for t in (self._limit_ns, self._audio_limit_ns) if t is not None]
        if limits:
            limit_ns = min(limits)
            room_ns = limit_ns - (self._loop_offset_ns + cursor)
            room = max(0, (room_ns * rate + NS_PER_S // 2) // NS_PER_S)  # samples up to the limit
            if count >= room:
                self._audio_done = True
                samples = samples[:room]
                count = room
        if count == 0:
            return
        timeline.stamp(count)
        self._audio_end_ns = timeline.next_ns
        self._content_end_ns = max(self._content_end_ns, self._audio_end_ns)
        if not self.audio.is_connected():
            self._keep_time(self._due(cursor), self._loop_offset_ns + self._audio_end_ns)
            return
        block = AudioFrame(
            samples,
            rate,
            timestamp_ns=self._start_clock_ns + self._loop_offset_ns + cursor,
            frame_number=self._audio_number,
        )
        self._audio_number += 1
        content_end_ns = self._loop_offset_ns + self._audio_end_ns
        self._pending.append((self._due(cursor), content_end_ns, block))

    def _keep_time(self, due_ns: int, content_end_ns: int) -> None:
        """In real time, a place in the queue for what nobody reads: process() waits for
        it as for a frame, writes nothing, and the file plays at its pace (unpaced, it
        would race ahead, and frames written once someone watches would be due far in
        the future)."""
        if self.config.realtime:
            self._pending.append((due_ns, content_end_ns, None))

    def _check_limit(self) -> None:
        """Finish once every stream read has reached the limit."""
        if self._limit_ns is None:
            return
        reader = self._reader
        assert reader is not None
        video_done = self._video_done or reader.video_stream is None
        audio_done = self._audio_done or reader.audio_stream is None
        if video_done and audio_done:
            self._finished = True

    def _due(self, time_ns: int) -> int:
        return self._start_mono_ns + self._loop_offset_ns + time_ns

    def _expected_length_ns(self, input_duration_ns: int | None) -> int | None:
        lengths = [] if self._limit_ns is None else [self._limit_ns]
        frames = self.config.frames
        if frames is not None and self._video_step_ns:
            lengths.append(frames * self._video_step_ns)
        if input_duration_ns is not None and input_duration_ns > 0 and not self.config.loop:
            lengths.append(input_duration_ns)
        return min(lengths, default=None)

    def _end_of_input(self) -> None:
        for samples in self._audio_converter.flush():
            if self._audio_origin_ns is not None:
                self._queue_audio(samples)
        reader = self._reader
        assert reader is not None
        if self.config.loop and self._content_end_ns > 0:
            # The next pass starts where this one ended, so timestamps keep rising.
            self._loop_offset_ns += self._content_end_ns
            self._content_end_ns = 0
            self._last_video_ns = -1
            self._audio_end_ns = -1
            self._audio_origin_ns = None
            self._audio_timeline.reset()
            reader.seek(0)
            return
        self._finished = True
