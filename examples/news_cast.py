"""A news programme in Python: the same graph as news-cast.yaml.

    python examples/news_cast.py news-cast.mp4 --seconds 20

Two video sources picture-in-picture (a camera, or FFmpeg's test picture
without one, and a test pattern as "slides"), a lower third, a clock and a
logo on top, all composed on the GPU; a tone bed with a second tone mixed in;
recorded to MP4 and shown in a window (``--no-window`` records only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import streamlib as sl
from streamlib.processors import (
    AudioMixer,
    Camera,
    Compositor,
    Display,
    ImageOverlay,
    Mp4Writer,
    TestPattern,
    TextOverlay,
    ToneSource,
)

LOGO = Path(__file__).parent / "assets" / "logo.png"


def build(rt: sl.Runtime, path: str, *, window: bool = True) -> None:
    """Add the programme's processors and connections to ``rt``."""
    camera = rt.add(Camera, width=1280, height=720, fps=30, fallback="test_pattern")
    slides = rt.add(TestPattern, width=640, height=360, fps=30, pattern="gradient", speed=2)
    mix = rt.add(
        Compositor, width=1280, height=720, fps=30, layout="pip", pip_scale=0.3,
        pip_corner="top-right",
    )  # fmt: skip
    lower_third = rt.add(
        TextOverlay, style="lower_third", text="Jane Doe|Reporting live from the GPU", font_size=40
    )
    clock = rt.add(TextOverlay, style="clock", anchor="top-left", font_size=28)
    logo = rt.add(ImageOverlay, path=str(LOGO), anchor="bottom-right", width=160)
    bed = rt.add(ToneSource, frequencies=(220.0, 277.18, 329.63), amplitude=0.15)
    beep = rt.add(ToneSource, frequencies=(880.0,), amplitude=0.05)
    audio_mix = rt.add(AudioMixer, normalize=False)
    recorder = rt.add(Mp4Writer, path=path, overwrite=True, fragmented=True, preset="veryfast")
    rt.connect(camera.port("video"), mix.port("video_in_0"))
    rt.connect(slides.port("video"), mix.port("video_in_1"))
    rt.connect(mix.port("video_out"), lower_third.port("video_in"))
    rt.connect(lower_third.port("video_out"), clock.port("video_in"))
    rt.connect(clock.port("video_out"), logo.port("video_in"))
    rt.connect(logo.port("video_out"), recorder.port("video"))
    rt.connect(bed.port("audio"), audio_mix.port("audio_in_0"))
    rt.connect(beep.port("audio"), audio_mix.port("audio_in_1"))
    rt.connect(audio_mix.port("audio_out"), recorder.port("audio"))
    if window:
        display = rt.add(Display, title="news-cast", width=1280, height=720)
        rt.connect(logo.port("video_out"), display.port("video"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="news-cast.mp4")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-window", action="store_true", help="record without a window")
    args = parser.parse_args()
    with sl.Runtime() as rt:
        build(rt, args.path, window=not args.no_window)
        rt.run(duration_s=args.seconds)  # closing the window or Ctrl-C stops it in order
        print(rt.statistics().to_dict())


if __name__ == "__main__":
    main()
