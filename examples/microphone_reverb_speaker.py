"""Microphone -> resample -> mono to stereo -> fixed blocks -> ZamVerb -> speaker, in Python.

The same graph as ``microphone-reverb-speaker.yaml``. Run it with headphones on
(it feeds back through speakers)::

    python examples/microphone_reverb_speaker.py --duration 30 --room 3
"""

from __future__ import annotations

import argparse
import json

import streamlib as sl
from streamlib.processors import (
    AudioCapture,
    AudioChannelConverter,
    AudioOutput,
    AudioResampler,
    BufferRechunker,
    ClapEffect,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to run")
    parser.add_argument("--room", type=float, default=2.0, help="ZamVerb room (0..6)")
    parser.add_argument("--input", default=None, help="microphone (index or name)")
    parser.add_argument("--output", default=None, help="speaker (index or name)")
    args = parser.parse_args()

    with sl.Runtime() as rt:
        mic = rt.add(
            AudioCapture, device=args.input, sample_rate=44_100, channels=1, block_size=441
        )
        resample = rt.add(AudioResampler, sample_rate=48_000)
        stereo = rt.add(AudioChannelConverter, channels=2, mode="duplicate")
        rechunk = rt.add(BufferRechunker, block_size=256)
        reverb = rt.add(
            ClapEffect,
            plugin="ZamVerb",
            block_size=256,
            params={"room": args.room, "wet / dry": 35},
        )
        speaker = rt.add(AudioOutput, device=args.output, sample_rate=48_000, channels=2)
        rt.connect(mic.audio, resample.audio_in)
        rt.connect(resample.audio_out, stereo.audio_in)
        rt.connect(stereo.audio_out, rechunk.audio_in)
        rt.connect(rechunk.audio_out, reverb.audio_in)
        rt.connect(reverb.audio_out, speaker.audio)
        output = rt.processor(str(speaker))
        effect = rt.processor(str(reverb))
        assert isinstance(output, AudioOutput)
        assert isinstance(effect, ClapEffect)
        rt.start()
        try:
            rt.run(duration_s=args.duration)
        finally:
            print(json.dumps(output.statistics().to_dict(), indent=2))
            print(effect.statistics())


if __name__ == "__main__":
    main()
