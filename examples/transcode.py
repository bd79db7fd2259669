"""File -> convert -> file, in Python: decode, scale, encode, until the input ends.

    python examples/transcode.py input.mp4 output.mp4 --width 1280 --height 720

Without an input file it first makes one (5 s of FFmpeg's testsrc2 and a tone).
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import streamlib as sl
from streamlib.core import CustomEvent, Event
from streamlib.processors import FFmpegSource, MediaFile, Mp4Writer, VideoConvert


def run_until_end_of_input(rt: sl.Runtime, timeout_s: float = 600.0) -> None:
    """Run ``rt`` until a source publishes ``end_of_input`` (then stop, finishing files)."""
    done = threading.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, CustomEvent) and event.name == "end_of_input":
            done.set()
            rt.request_stop()

    subscription = rt.events.subscribe("*", on_event)
    try:
        rt.run(duration=timeout_s)
    finally:
        subscription.close()


def make_sample(path: Path) -> None:
    with sl.Runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph="testsrc2=size=1920x1080:rate=30:duration=5",
            audio_graph="sine=frequency=440:sample_rate=48000:duration=5",
            pixel_format="yuv420p",
            realtime=False,
        )
        rec = rt.add(Mp4Writer, path=str(path), overwrite=True, preset="ultrafast")
        rt.connect(src.port("video"), rec.port("video"))
        rt.connect(src.port("audio"), rec.port("audio"))
        run_until_end_of_input(rt)


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
        rt.connect(clip.port("video"), scale.port("video_in"), profile="lossless")
        rt.connect(scale.port("video_out"), out.port("video"))
        rt.connect(clip.port("audio"), out.port("audio"))
        run_until_end_of_input(rt)
        print(rt.statistics().to_json())


if __name__ == "__main__":
    main()
