"""File -> convert -> file, in Python: decode, scale, encode; the run ends with the input.

    python examples/transcode.py input.mp4 output.mp4 --width 1280 --height 720

Without an input file it first makes one (5 s of FFmpeg's testsrc2 and a tone).
``MediaFile`` with ``realtime=False`` is a source that can wait: it reads as fast
as the encoder takes its frames, loses none, and ends its stream at the end of
the file. The end travels behind the last frame, the writer finishes the file,
and ``rt.run()`` returns by itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import streamlib as sl
from streamlib.processors import FFmpegSource, MediaFile, Mp4Writer, VideoConvert


def make_sample(path: Path) -> None:
    with sl.Runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph="testsrc2=size=1920x1080:rate=30",
            audio_graph="sine=frequency=440:sample_rate=48000",
            pixel_format="yuv420p",
            duration_s=5.0,
            realtime=False,
        )
        rec = rt.add(Mp4Writer, path=str(path), overwrite=True, preset="ultrafast")
        rt.connect(src.port("video"), rec.port("video"))
        rt.connect(src.port("audio"), rec.port("audio"))
        rt.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default="input.mp4")
    parser.add_argument("output", nargs="?", default="output.mp4")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    source = Path(args.input)
    if not source.exists():
        print(f"{source} does not exist: making a 5 s sample first")
        make_sample(source)
    with sl.Runtime() as rt:
        clip = rt.add(MediaFile, path=str(source), realtime=False)
        scale = rt.add(VideoConvert, width=args.width, height=args.height)
        out = rt.add(Mp4Writer, path=args.output, overwrite=True, preset="fast")
        rt.connect(clip.port("video"), scale.port("video_in"))  # a file job: lossless
        rt.connect(scale.port("video_out"), out.port("video"))
        rt.connect(clip.port("audio"), out.port("audio"))
        outcome = rt.run()  # returns once the file has ended and the output is written
        print(f"{outcome.value}: {rt.statistics().to_dict()}")


if __name__ == "__main__":
    main()
