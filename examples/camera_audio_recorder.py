"""Camera + sound -> MP4, in Python: the same graph as camera-audio-recorder.yaml.

    python examples/camera_audio_recorder.py recording.mp4 --seconds 10

Without a camera it records FFmpeg's test picture instead (``fallback``).
Ctrl-C stops the recording early; the file is finished either way.
"""

from __future__ import annotations

import argparse

import streamlib as sl
from streamlib.processors import Camera, Mp4Writer, ToneSource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="recording.mp4")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with sl.Runtime() as rt:
        camera = rt.add(
            Camera, width=1280, height=720, fps=30, pixel_format="yuv420p", fallback="test_pattern"
        )
        sound = rt.add(ToneSource, frequencies=(440.0,), amplitude=0.2)
        recorder = rt.add(
            Mp4Writer, path=args.path, overwrite=True, fragmented=True, tune="zerolatency"
        )
        rt.connect(camera.port("video"), recorder.port("video"))
        rt.connect(sound.port("audio"), recorder.port("audio"))
        rt.run(duration_s=args.seconds)  # Ctrl-C or SIGTERM stop it in order
        print(rt.statistics().to_dict())


if __name__ == "__main__":
    main()
