"""A file job: decode an H.264 file, brighten it, encode it again, in wall-clock seconds.

The same job three ways, taking turns in one process run (best of ``--repeats``):

- ``streamlib``: ``MediaFile`` (realtime: false) -> ``Brightness`` -> ``Mp4Writer``
  (x264 veryfast), run with ``Runtime.run()`` until the pipeline ends by itself.
- ``pyav_loop``: the plain PyAV loop a user would write: decode (frame threads),
  ``to_ndarray`` (yuv420p), the same look-up table on the luma plane,
  ``from_ndarray``, encode, mux.
- ``ffmpeg_cli``: ``ffmpeg -i in.mp4 -vf eq=brightness=... -c:v libx264 -preset
  veryfast out.mp4``, the same work in one C process.

All three use libx264 veryfast with a keyframe every 60 frames; every output is
counted with ffprobe and must hold every input frame. Targets (issue 12):
streamlib >= 1.0x the PyAV loop and >= 0.9x ffmpeg (ratios are time_other / time_streamlib).

    python bench/file_transcode.py                         # 1080p30, 10 s: a few minutes
    python bench/file_transcode.py --seconds 2 --repeats 1 # a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.processors import Brightness, MediaFile, Mp4Writer

WIDTH, HEIGHT, RATE = 1920, 1080, 30
OFFSET = 15.0  # Brightness offset on the 0..255 scale
KEYINT = 60


def make_input(path: Path, seconds: float) -> None:
    subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi"),
            *("-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={RATE}", "-t", str(seconds)),
            *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)),
        ],
        check=True,
    )


def count_frames(path: Path) -> int:
    out = subprocess.run(
        [
            *("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames"),
            *("-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip() or 0)


def run_streamlib(source: Path, out: Path) -> float:
    started = time.perf_counter()
    with sl.Runtime() as rt:
        src = rt.add(MediaFile, path=str(source), realtime=False, pixel_format="yuv420p")
        fx = rt.add(Brightness, offset=OFFSET)
        rec = rt.add(
            Mp4Writer,
            path=str(out),
            overwrite=True,
            video_codec="h264",
            preset="veryfast",
            keyframe_interval=KEYINT,
        )
        rt.connect(src.video, fx.video_in)
        rt.connect(fx.video_out, rec.video)
        outcome = rt.run(duration_s=600)
    elapsed = time.perf_counter() - started
    if outcome is not sl.RunOutcome.ENDED:
        raise RuntimeError(f"the streamlib run did not end by itself ({outcome.value})")
    return elapsed


def run_pyav(source: Path, out: Path) -> float:
    import av

    lut = np.clip(np.arange(256, dtype=np.float32) + OFFSET, 0, 255).astype(np.uint8)
    started = time.perf_counter()
    with av.open(str(source)) as inp, av.open(str(out), "w") as output:
        stream_in = inp.streams.video[0]
        stream_in.thread_type = "AUTO"
        stream_out = output.add_stream("libx264", rate=RATE)
        stream_out.width, stream_out.height, stream_out.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream_out.gop_size = KEYINT
        stream_out.options = {"preset": "veryfast"}
        for frame in inp.decode(stream_in):
            planes = frame.to_ndarray(format="yuv420p")
            planes[:HEIGHT] = lut[planes[:HEIGHT]]
            new = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            new.pts, new.time_base = frame.pts, frame.time_base
            for packet in stream_out.encode(new):
                output.mux(packet)
        for packet in stream_out.encode():
            output.mux(packet)
    return time.perf_counter() - started


def run_ffmpeg(source: Path, out: Path) -> float:
    brightness = OFFSET / 255.0
    started = time.perf_counter()
    subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-y", "-i", str(source)),
            *("-vf", f"eq=brightness={brightness:.4f}", "-c:v", "libx264", "-preset", "veryfast"),
            *("-g", str(KEYINT), "-pix_fmt", "yuv420p", str(out)),
        ],
        check=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="input length (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="turns each (best kept)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()

    ways: dict[str, Callable[[Path, Path], float]] = {
        "streamlib": run_streamlib,
        "pyav_loop": run_pyav,
        "ffmpeg_cli": run_ffmpeg,
    }
    best: dict[str, float] = {}
    frames: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="streamlib-transcode-") as tmp:
        folder = Path(tmp)
        source = folder / "in.mp4"
        make_input(source, args.seconds)
        expected = count_frames(source)
        for turn in range(args.repeats):
            for name, way in ways.items():
                out = folder / f"{name}.mp4"
                elapsed = way(source, out)
                print(f"[bench] turn {turn + 1} {name}: {elapsed:.2f} s", file=sys.stderr)
                best[name] = min(best.get(name, elapsed), elapsed)
                frames[name] = count_frames(out)
    lost = {name: expected - count for name, count in frames.items() if count != expected}
    result: dict[str, Any] = {
        "benchmark": "file_transcode",
        "input": {"width": WIDTH, "height": HEIGHT, "fps": RATE, "frames": expected},
        "seconds_best": {name: round(value, 3) for name, value in best.items()},
        "frames_out": frames,
        "streamlib_vs_pyav_loop": round(best["pyav_loop"] / best["streamlib"], 3),
        "streamlib_vs_ffmpeg_cli": round(best["ffmpeg_cli"] / best["streamlib"], 3),
        "targets": {"streamlib_vs_pyav_loop": ">= 1.0", "streamlib_vs_ffmpeg_cli": ">= 0.9"},
        "every_frame_kept": not lost,
        "repeats": args.repeats,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0 if not lost else 1


if __name__ == "__main__":
    sys.exit(main())
