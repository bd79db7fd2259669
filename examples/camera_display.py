"""Camera -> GPU color grade -> window, in Python: the same graph as camera-display.yaml.

    python examples/camera_display.py            # until the window is closed or Ctrl-C
    python examples/camera_display.py --seconds 10

Without a camera it shows FFmpeg's test picture instead (``fallback``). Key
presses in the window are printed: they arrive on the ``input:keyboard`` topic.
"""

from __future__ import annotations

import argparse

import streamlib as sl
from streamlib.processors import Camera, ColorMatrix, Display


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    with sl.Runtime() as rt:
        camera = rt.add(Camera, width=1280, height=720, fps=30, fallback="test_pattern")
        grade = rt.add(ColorMatrix, brightness=0.03, contrast=1.15, saturation=1.3)
        window = rt.add(Display, title="camera-display", width=1280, height=720)
        rt.connect(camera.port("video"), grade.port("video_in"))
        rt.connect(grade.port("video_out"), window.port("video"))

        def on_key(event: sl.Event) -> None:
            payload = getattr(event, "payload", {})
            if payload.get("type") == "press":
                print("key", payload["key"])

        keys = rt.events.subscribe("input:keyboard", on_key)  # keep it: held weakly
        rt.run(duration_s=args.seconds)  # the window must be served by this (main) thread
        keys.close()


if __name__ == "__main__":
    main()
