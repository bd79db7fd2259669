"""Media throughput: encode+mux and decode through streamlib against the ffmpeg command line.

Encode: 1280x720 pictures -> H.264 (libx264, ultrafast, zerolatency) -> MP4, as
fast as possible, in frames per second:

- ``streamlib_ffmpeg_source``: FFmpegSource (lavfi testsrc2, yuv420p) -> VideoEncoder -> Mp4Writer
- ``streamlib_test_pattern``: TestPattern (yuv420p, what the encoder takes) -> Mp4Writer
- ``ffmpeg_cli``: ``ffmpeg -f lavfi -i testsrc2 ... -c:v libx264 -preset ultrafast
  -tune zerolatency out.mp4``, the same work in one C process.

Decode: a 720p H.264 file (made first with the ffmpeg CLI) decoded with frame
threading, frames per second:

- ``streamlib_media_file``: MediaFile (realtime: false, yuv420p) -> NullSink
- ``ffmpeg_cli``: ``ffmpeg -threads 0 -i file -f null -``

Each measurement runs ``--repeats`` times in this one process run, taking
turns with the others after a warm-up round, and the best is kept (the machine
is shared; the best run is the least disturbed).
Prints JSON; ``--out`` also writes it to a file.

    python bench/media_throughput.py                 # about a minute on 2 cores
    python bench/media_throughput.py --frames 120 --repeats 1   # a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlib as sl
from streamlib.processors import (
    FFmpegSource,
    MediaFile,
    Mp4Writer,
    NullSink,
    TestPattern,
    VideoEncoder,
)

WIDTH, HEIGHT, RATE = 1280, 720, 30
X264: dict[str, Any] = {"preset": "ultrafast", "tune": "zerolatency"}


def run_until_end(rt: sl.Runtime, timeout_s: float = 300.0) -> float:
    """Run until the stream ends (the files closed); seconds from start to then."""
    started = time.perf_counter()
    outcome = rt.run(duration_s=timeout_s)
    if outcome is not sl.RunOutcome.ENDED:
        raise TimeoutError(f"the run did not end by itself ({outcome.value})")
    return time.perf_counter() - started


def encode_ffmpeg_source(frames: int, out: Path) -> float:
    with sl.Runtime() as rt:
        src = rt.add(
            FFmpegSource,
            video_graph=f"testsrc2=size={WIDTH}x{HEIGHT}:rate={RATE}:duration={frames / RATE}",
            audio_graph=None,
            pixel_format="yuv420p",
            realtime=False,
        )
        enc = rt.add(VideoEncoder, keyframe_interval=250, **X264)
        rec = rt.add(Mp4Writer, path=str(out), overwrite=True)
        rt.connect(src.port("video"), enc.port("video"), profile="lossless")
        rt.connect(enc.port("packets"), rec.port("video_packets"))
        return frames / run_until_end(rt)


def encode_test_pattern(frames: int, out: Path) -> float:
    with sl.Runtime() as rt:
        src = rt.add(TestPattern, width=WIDTH, height=HEIGHT, fps=1000, pixel_format="yuv420p")
        rec = rt.add(Mp4Writer, path=str(out), overwrite=True, keyframe_interval=250, **X264)
        rt.connect(src.port("video"), rec.port("video"))
        started = time.perf_counter()
        rt.start()
        while rt.statistics().processors[str(src)].frames_out < frames:
            time.sleep(0.005)
        rt.stop()  # drains the recorder's queue and finalizes the file: all of it is counted
        sent = rt.statistics().processors[str(src)].frames_out
        return sent / (time.perf_counter() - started)


def encode_ffmpeg_cli(ffmpeg: str, frames: int, out: Path) -> float:
    command = [
        ffmpeg, "-v", "error", "-y", "-f", "lavfi",
        "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={RATE}:duration={frames / RATE}",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "250",
        str(out),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return frames / (time.perf_counter() - started)


def make_input(ffmpeg: str, frames: int, path: Path) -> None:
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={WIDTH}x{HEIGHT}:rate={RATE}:duration={frames / RATE}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )


def decode_media_file(frames: int, path: Path) -> float:
    with sl.Runtime() as rt:
        src = rt.add(MediaFile, path=str(path), realtime=False, pixel_format="yuv420p", threads=0)
        sink = rt.add(NullSink)
        rt.connect(src.port("video"), sink.port("video"), profile="lossless")
        return frames / run_until_end(rt)


def decode_ffmpeg_cli(ffmpeg: str, frames: int, path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [ffmpeg, "-v", "error", "-threads", "0", "-i", str(path), "-f", "null", "-"], check=True
    )
    return frames / (time.perf_counter() - started)


def interleaved(repeats: int, measures: dict[str, Callable[[], float]]) -> dict[str, Any]:
    """Each measure ``repeats`` times, taking turns (so a noisy neighbour hits all alike),
    after one warm-up round that is not counted; the best run of each is kept."""
    for measure in measures.values():
        measure()
    runs: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(repeats):
        for name, measure in measures.items():
            runs[name].append(measure())
    return {
        name: {"fps": round(max(values), 1), "runs": [round(v, 1) for v in values]}
        for name, values in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        sys.exit("the benchmark compares against the ffmpeg command line: apt-get install ffmpeg")
    frames, repeats = args.frames, args.repeats
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        encode = interleaved(
            repeats,
            {
                "streamlib_ffmpeg_source": lambda: encode_ffmpeg_source(frames, folder / "a.mp4"),
                "streamlib_test_pattern": lambda: encode_test_pattern(frames, folder / "b.mp4"),
                "ffmpeg_cli": lambda: encode_ffmpeg_cli(ffmpeg, frames, folder / "c.mp4"),
            },
        )
        source = folder / "input.mp4"
        make_input(ffmpeg, frames, source)
        decode = interleaved(
            repeats,
            {
                "streamlib_media_file": lambda: decode_media_file(frames, source),
                "ffmpeg_cli": lambda: decode_ffmpeg_cli(ffmpeg, frames, source),
            },
        )
    cli_encode = encode["ffmpeg_cli"]["fps"]
    cli_decode = decode["ffmpeg_cli"]["fps"]
    result = {
        "benchmark": "media_throughput",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "frames": frames,
        "size": f"{WIDTH}x{HEIGHT}",
        "encode_fps": encode,
        "decode_fps": decode,
        "ratios_vs_ffmpeg": {
            "encode_ffmpeg_source": round(encode["streamlib_ffmpeg_source"]["fps"] / cli_encode, 3),
            "encode_test_pattern": round(encode["streamlib_test_pattern"]["fps"] / cli_encode, 3),
            "decode_media_file": round(decode["streamlib_media_file"]["fps"] / cli_decode, 3),
        },
        "targets": {"encode": ">= 0.9x ffmpeg"},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
