"""Writing media files through FFmpeg: mux :class:`EncodedPacket` streams into MP4, MOV, MKV, WebM.

::

    writer = MediaWriter("out.mp4", container="mp4", fragmented=True)
    video = writer.add_stream(first_video_packet)
    audio = writer.add_stream(first_audio_packet)
    writer.start(origin_ns=min(first_video_packet.timestamp_ns, first_audio_packet.timestamp_ns))
    writer.write(video, first_video_packet)
    ...
    writer.close()                      # writes the index (moov); the file plays

The file is written through :class:`~._output_file.OutputFile` (our own
``pwrite`` calls, one per packet), so a write that fails (disk full, I/O error,
quota) raises :class:`StorageError` from the very :meth:`MediaWriter.write` whose
packet did not fit, saying what became of the recording: a fragmented MP4/MOV
is cut back to its last complete fragment and plays; a plain one has no index
yet and is lost. After that the writer writes nothing more; :meth:`close` only
releases it.

Every stream is placed on one timeline: a packet's ``timestamp_ns`` relative to
``origin_ns`` decides where its stream starts, then the stream's own pts (sample
counts for audio) carry it on, so streams that began at different moments stay
aligned and never drift apart.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import av
from av.container import OutputContainer

from ..core import NS_PER_S, CodecError, EncodedPacket, StorageError
from ._convert import channel_layout
from ._errors import FFMPEG_ERRORS, codec_error
from ._input import MediaKind, ns_to_ticks
from ._output_file import OutputFile, complete_mp4_length, describe_os_error
from .codecs._registry import AUDIO_CODECS, VIDEO_CODECS

__all__ = ["CONTAINERS", "ContainerName", "MediaWriter", "container_for_path"]

ContainerName = Literal["mp4", "mov", "mkv", "webm"]

CONTAINERS: dict[str, str] = {"mp4": "mp4", "mov": "mov", "mkv": "matroska", "webm": "webm"}
"""streamlib's container names and FFmpeg's muxer for each."""


# Options that make an encoder open fast and small (it only stands in for one
# that ran elsewhere: nothing is encoded with it).
_CHEAPEST: dict[str, dict[str, str]] = {
    "libx264": {"preset": "ultrafast"},
    "libsvtav1": {"preset": "13"},
    "libaom-av1": {"cpu-used": "8", "usage": "realtime"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
}

# Encoder names to the codec names packets carry.
_CODEC_NAMES = {
    "libx264": "h264", "libsvtav1": "av1", "libaom-av1": "av1", "libvpx": "vp8",
    "libvpx-vp9": "vp9", "libopus": "opus",
}  # fmt: skip


def container_for_path(path: str | os.PathLike[str]) -> ContainerName | None:
    """The container a file name's extension implies (``.mp4`` -> ``mp4``), if any."""
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    names: dict[str, ContainerName] = {"mp4": "mp4", "m4v": "mp4", "mov": "mov"}
    names.update({"mkv": "mkv", "mka": "mkv", "webm": "webm"})
    return names.get(extension)


@dataclass(slots=True)
class _Track:
    stream: Any  # av stream
    kind: str
    codec: str
    shift: int | None = None  # added to each packet's pts/dts (in the packet's time base)
    last_dts: int | None = None
    packets: int = 0
    end_ns: int = 0  # end of the last packet on the recording's timeline


class MediaWriter:
    """An output file and its streams; packets in, a playable file out.

    Args:
        path: the file to write, created by the first packet.
        overwrite: replace a file of that name; without it a file that exists
            (even one that appeared after the caller checked) is never touched
            and the first write fails with ``EEXIST``.
        container: ``mp4``, ``mov``, ``mkv`` or ``webm``.
        fragmented: write as it goes so an abrupt end (``kill -9``, power loss
            after the OS wrote it) leaves a playable file up to the last
            fragment: fragmented MP4/MOV (``movflags``), small Matroska clusters,
            each flushed to the OS at once.
        fragment_s: longest fragment (or cluster) in seconds when fragmented.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        container: ContainerName = "mp4",
        fragmented: bool = False,
        fragment_s: float = 1.0,
        overwrite: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        self.container = container
        self.fragmented = fragmented
        # Every packet goes to the OS as it is muxed (one pwrite each, not one per
        # 32 KiB): a disk that fills is noticed on the packet that did not fit.
        options: dict[str, str] = {"flush_packets": "1"}
        if fragmented:
            if container in ("mp4", "mov"):
                options["movflags"] = "frag_keyframe+empty_moov+default_base_moof"
                options["frag_duration"] = str(int(fragment_s * 1_000_000))
            else:
                options["cluster_time_limit"] = str(int(fragment_s * 1000))
        self._file = OutputFile(self.path, overwrite=overwrite)
        try:
            output = av.open(self._file, mode="w", format=CONTAINERS[container], options=options)
        except FFMPEG_ERRORS as error:
            raise codec_error(error, f"cannot create {self.path!r}") from error
        assert isinstance(output, OutputContainer)
        self._output = output
        self._tracks: list[_Track] = []
        self._origin_ns: int | None = None
        self._closed = False
        self._pending: Any = None
        self._failure: StorageError | None = None

    @property
    def failure(self) -> StorageError | None:
        """Why writing stopped (disk full, I/O error...), or None while it works."""
        return self._failure

    @property
    def started(self) -> bool:
        return self._origin_ns is not None

    @property
    def origin_ns(self) -> int | None:
        """Media-clock time of the recording's start (its first frame, over all streams)."""
        return self._origin_ns

    def add_stream(self, first: EncodedPacket) -> int:
        """Declare a stream for packets shaped like ``first`` (codec, size or rate, extradata).

        Returns the stream's index for :meth:`write`. Every stream must be added
        before :meth:`start`: containers list their streams once, at the top.
        """
        context = self._new_context(first.codec, first.media_kind)
        if first.media_kind == "video":
            context.width = first.width
            context.height = first.height
        else:
            context.sample_rate = first.sample_rate
            context.layout = channel_layout(first.channels)
        context.time_base = first.time_base
        # PyAV opens every output stream's encoder before writing the header. For
        # packets that were encoded elsewhere, open it here at its cheapest, then
        # put the real encoder's global header (extradata) in place of its own.
        context.thread_count = 1
        context.options = _CHEAPEST.get(context.codec.name, {})
        try:
            context.open()
        except FFMPEG_ERRORS as error:
            raise codec_error(
                error, f"{self.path!r}: cannot declare a {first.codec} stream"
            ) from error
        context.extradata = first.extradata
        return self._track(first.media_kind, first.codec, first.time_base)

    def add_encoder(self, encoder: str, media_kind: MediaKind) -> tuple[int, Any]:
        """A new stream whose own codec context encodes (the caller configures and opens it).

        Returns ``(index, context)``; the context already has the container's
        global-header flag, so its extradata is what the file needs.
        """
        context = self._new_context(encoder, media_kind)
        return self._track(media_kind, context.codec.name, None), context

    def _new_context(self, codec: str, media_kind: MediaKind) -> Any:
        if self.started:
            raise CodecError(
                f"{self.path!r}: a {media_kind} stream cannot join after the recording "
                "started (containers list their streams up front)"
            )
        family = VIDEO_CODECS.get(codec) or AUDIO_CODECS.get(codec)
        encoder = (family.encoder_name() if family is not None else None) or codec
        try:
            stream = self._output.add_stream(encoder)
        except (av.FFmpegError, ValueError) as error:
            raise CodecError(
                f"{self.path!r}: a {self.container} file cannot hold {codec} ({error}); "
                "pick another codec or container"
            ) from error
        self._pending = stream
        return stream.codec_context

    def _track(self, media_kind: MediaKind, codec: str, time_base: Fraction | None) -> int:
        stream = self._pending
        if time_base is not None:
            stream.time_base = time_base
        self._tracks.append(_Track(stream, media_kind, _CODEC_NAMES.get(codec, codec)))
        return len(self._tracks) - 1

    def start(self, *, origin_ns: int) -> None:
        """Fix the recording's timeline origin; call once every stream is added."""
        if not self._tracks:
            raise CodecError(f"{self.path!r}: nothing to record (no stream was added)")
        self._origin_ns = origin_ns

    def write(self, index: int, packet: EncodedPacket) -> None:
        """Mux one packet of stream ``index`` (packets of one stream in decoding order)."""
        origin = self._origin_ns
        if origin is None:
            raise CodecError(f"{self.path!r}: call start() before writing packets")
        if self._failure is not None:
            raise self._failure
        track = self._tracks[index]
        if packet.codec != track.codec:
            raise CodecError(
                f"{self.path!r}: stream {index} is {track.codec}; a {packet.codec} packet "
                "cannot go into it (the producer changed codec mid-recording)"
            )
        time_base = packet.time_base
        pts, dts = packet.pts, packet.dts
        anchor = pts if pts is not None else dts
        if track.shift is None:
            # Where this stream starts on the recording's timeline.
            wanted = ns_to_ticks(packet.timestamp_ns - origin, time_base)
            track.shift = wanted - (anchor or 0)
        shift = track.shift
        av_packet = av.Packet(packet.data)
        av_packet.time_base = time_base
        av_packet.pts = None if pts is None else pts + shift
        dts = None if dts is None else dts + shift
        if dts is not None and track.last_dts is not None and dts <= track.last_dts:
            dts = track.last_dts + 1  # muxers need strictly increasing dts per stream
            if av_packet.pts is not None and av_packet.pts < dts:
                av_packet.pts = dts
        av_packet.dts = dts
        av_packet.duration = packet.duration
        av_packet.is_keyframe = packet.keyframe
        av_packet.stream = track.stream
        try:
            self._output.mux(av_packet)
        except FFMPEG_ERRORS as error:
            if self._file.error is not None:
                raise self._storage_failure() from self._file.error
            raise codec_error(error, f"{self.path!r}: cannot write {track.codec} packet") from error
        if dts is not None:
            track.last_dts = dts
        track.packets += 1
        if av_packet.pts is not None:
            end = (av_packet.pts + packet.duration) * time_base.numerator * NS_PER_S
            track.end_ns = max(track.end_ns, end // time_base.denominator)

    def track_end_ns(self, index: int) -> int:
        """Where stream ``index``'s last packet ends on the recording's timeline."""
        return self._tracks[index].end_ns

    def packets_written(self, index: int) -> int:
        return self._tracks[index].packets

    def close(self) -> None:
        """Finish the file (index, durations). Safe to call twice.

        The file is created with the first packet, so a writer that never got
        one leaves no file behind. After a :class:`StorageError` it only lets go
        of the file (nothing more can be written); a failure while finishing
        raises :class:`StorageError` too.
        """
        if self._closed:
            return
        self._closed = True
        file = self._file
        if self._failure is not None:
            file.close()  # PyAV then skips the trailer: nothing more is written
            self._output.close()
            return
        trailer_at = file.size  # where the index (moov) goes in a plain file
        failed: BaseException | None = None
        try:
            self._output.close()
        except FFMPEG_ERRORS as error:
            failed = error
        try:
            if file.error is not None:  # also when FFmpeg let a failed last flush pass
                raise self._storage_failure(trailer_at=trailer_at) from file.error
            if failed is not None:
                raise codec_error(failed, f"{self.path!r}: cannot finish the file") from failed
        finally:
            file.close()

    def _storage_failure(self, *, trailer_at: int | None = None) -> StorageError:
        """Stop writing, keep what can be kept, and say so (called once, at the first failure)."""
        if self._failure is not None:
            return self._failure
        file = self._file
        error = file.error
        assert error is not None
        reason, advice = describe_os_error(error)
        fate = self._save_what_was_written(trailer_at)
        failure = StorageError(
            f"cannot write {self.path!r}: {reason}; {fate}. What to do: {advice}",
            cause=error,
            filename=self.path,
        )
        self._failure = failure
        return failure

    def _save_what_was_written(self, trailer_at: int | None) -> str:
        """Make what reached the disk as playable as it can be; say what became of it.

        ``trailer_at``: where a failed trailer began (a half-written index is cut off).
        """
        file = self._file
        if file.size == 0:
            if file.created and file.is_regular:
                file.close()
                os.remove(self.path)  # ours and empty: nothing recorded, nothing to keep
                return "nothing was recorded (the empty file was removed)"
            return "nothing was recorded"
        if not self.fragmented:
            if trailer_at is not None and file.is_regular:
                with contextlib.suppress(OSError):  # a half-written index helps no one
                    file.truncate(trailer_at)
            return (
                "the recording is lost: a plain MP4 gets its index (moov atom) only when "
                "it is finished, which needs more room on the disk; record with "
                "fragmented: true so that a failure keeps every complete fragment"
                if self.container in ("mp4", "mov")
                else "the file holds what reached the disk; players read it up to the failure"
            )
        if self.container not in ("mp4", "mov"):
            return "the file is kept: players read it up to the last complete cluster"
        if not file.is_regular:
            return "nothing was kept (not a regular file)"
        try:
            length = complete_mp4_length(file)
            file.truncate(length)
        except OSError as error:
            return f"the partial fragment at its end could not be cut off ({error.strerror})"
        if length == 0:
            return "nothing playable was recorded (the header did not fit)"
        return f"the recording is kept up to its last complete fragment ({length} bytes, playable)"
