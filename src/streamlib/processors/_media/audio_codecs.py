"""AudioEncoder and AudioDecoder: audio blocks to encoded packets (AAC, Opus) and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from ...core import (
    AudioFrame,
    EncodedPacket,
    Input,
    InputPort,
    Output,
    Processor,
    ProcessorConfig,
    ProcessorContext,
    SampleClock,
)
from .._requirements import MEDIA
from ._encoder_base import EncoderProcessor

if TYPE_CHECKING:
    from ...media import AudioConverter
    from ...media.codecs import AudioEncoderSession, PacketDecoder

__all__ = ["AudioDecoder", "AudioEncoder"]


class AudioEncoderConfig(ProcessorConfig):
    codec: Literal["aac", "opus"] = Field("aac", description="Audio codec.")
    bitrate: int | None = Field(
        None, gt=0, description="Bits per second (default: 128k AAC, 96k Opus)."
    )


class AudioEncoder(EncoderProcessor[AudioFrame, AudioEncoderConfig]):
    """Encode float32 audio into ``EncodedPacket``s: AAC (default) or Opus.

    Packet times count samples from the first block, so encoded audio never
    drifts; the first block's timestamp anchors them on the media clock. The
    encoder opens at the first block's rate and channel count (Opus takes 48,
    24, 16, 12 or 8 kHz).

    Example pipeline entry::

        aenc: {type: AudioEncoder, config: {codec: opus, bitrate: 64000}}
    """

    tags: ClassVar[tuple[str, ...]] = ("audio", "codec", "encoder")
    requires = (MEDIA,)
    renamed_ports: ClassVar[Mapping[str, str]] = {"audio_in": "audio"}

    audio = Input(AudioFrame, profile="fifo", description="Audio to encode, in order.")
    packets = Output(EncodedPacket, description="Encoded audio.")

    def __init__(
        self, config: AudioEncoderConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(config, **fields)
        from ...media.codecs import audio_codec

        audio_codec(self.config.codec).require_encoder()

    def raw_input(self) -> InputPort[AudioFrame]:
        return self.audio

    def open_session(self, block: AudioFrame) -> AudioEncoderSession:
        from ...media.codecs import AudioEncoderSession, AudioEncoderSettings, audio_codec

        settings = AudioEncoderSettings(
            sample_rate=block.sample_rate, channels=block.channels, bitrate=self.config.bitrate
        )
        return AudioEncoderSession(audio_codec(self.config.codec), settings)


class AudioDecoderConfig(ProcessorConfig):
    sample_rate: int | None = Field(
        None, ge=8_000, le=384_000, description="Resample to this rate (default: as decoded)."
    )
    channels: int | None = Field(
        None, ge=1, le=8, description="Mix to this many channels (default: as decoded)."
    )


class AudioDecoder(Processor[AudioDecoderConfig]):
    """Decode ``EncodedPacket``s (AAC, Opus or anything FFmpeg decodes) into float32 audio.

    Example pipeline entry::

        adec: {type: AudioDecoder, config: {sample_rate: 48000, channels: 2}}
    """

    tags: ClassVar[tuple[str, ...]] = ("audio", "codec", "decoder")
    requires = (MEDIA,)
    fusible: ClassVar[bool] = False

    packets = Input(EncodedPacket, profile="fifo", description="Encoded audio, in order.")
    audio = Output(AudioFrame, description="Decoded audio, float32 (samples, channels).")

    def setup(self, ctx: ProcessorContext) -> None:
        super().setup(ctx)
        from ...media import AudioConverter
        from ...media.codecs import PacketDecoder

        cfg = self.config
        self._decoder: PacketDecoder = PacketDecoder(threads=1)
        self._converter: AudioConverter = AudioConverter(
            sample_rate=cfg.sample_rate, channels=cfg.channels
        )
        self._first_ns: int | None = None  # the first packet's time: where the audio starts
        self._timeline = SampleClock()
        self._number = 0

    def process(self) -> None:
        packet = self.packets.read()
        while packet is not None:
            if self._first_ns is None:
                self._first_ns = packet.timestamp_ns
            for decoded in self._decoder.decode(packet):
                self._emit(self._converter.convert(decoded))
            packet = self.packets.read()

    def on_end_of_stream(self) -> None:
        if self._first_ns is None:
            return  # no packet came: nothing is held
        for decoded in self._decoder.flush():
            self._emit(self._converter.convert(decoded))
        self._emit(self._converter.flush())  # the resampler's last samples

    def _emit(self, blocks: list[np.ndarray[Any, Any]]) -> None:
        rate = self._converter.output_rate
        self._timeline.follow(rate, self._first_ns or 0)
        for samples in blocks:
            if not samples.shape[0]:
                continue
            stamp = self._timeline.stamp(samples.shape[0])
            self.audio.write(
                AudioFrame(samples, rate, timestamp_ns=stamp, frame_number=self._number)
            )
            self._number += 1
