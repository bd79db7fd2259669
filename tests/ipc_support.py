"""The other process in tests/test_ipc.py: publishers, an echo, and a loop of crashing children.

Run as a script (``python tests/ipc_support.py ROLE ARGS_JSON``) so each test's
peer is a real, separate interpreter; it prints one JSON line of what it saw.
The frames both sides compare are made here, by ``sample_frames``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

import streamlib as sl
from streamlib.ipc import FramePublisher, FrameSubscriber

SCRIPT = Path(__file__).resolve()
PEER_WAIT_S = 10.0


def sample_frames() -> list[sl.Frame]:
    """One frame of every kind that crosses a process, with recognisable content."""
    pixels = (np.arange(48 * 64 * 3, dtype=np.uint32) % 251).astype(np.uint8).reshape(48, 64, 3)
    yuv = (np.arange(72 * 64, dtype=np.uint32) % 241).astype(np.uint8).reshape(72, 64)
    samples = np.linspace(-1, 1, 512, dtype=np.float32).reshape(256, 2)
    return [
        sl.VideoFrame(
            pixels, "rgb24", timestamp_ns=1_000, frame_number=1, metadata={"scene": "a", "n": [1]}
        ),
        sl.VideoFrame(yuv, "yuv420p", timestamp_ns=2_000, frame_number=2),
        sl.AudioFrame(samples, 48_000, timestamp_ns=3_000, frame_number=3, metadata={"gain": 0.5}),
        sl.DataFrame({"rms_db": -18.25, "tags": ["x", None]}, timestamp_ns=4_000, frame_number=4),
        sl.DataFrame(b"\x00\x01raw\xff", timestamp_ns=5_000, frame_number=5),
        sl.EncodedPacket(
            b"\x00\x00\x01\x65payload",
            codec="h264",
            media_kind="video",
            time_base=Fraction(1, 90_000),
            keyframe=True,
            pts=3_000,
            dts=2_999,
            duration=3_000,
            extradata=b"\x01SPS-PPS",
            width=64,
            height=48,
            timestamp_ns=6_000,
            frame_number=6,
            metadata={"gop": 30},
        ),
        sl.EncodedPacket(
            b"opus",
            codec="opus",
            media_kind="audio",
            time_base=Fraction(1, 48_000),
            pts=None,
            sample_rate=48_000,
            channels=2,
            timestamp_ns=7_000,
            frame_number=7,
        ),
    ]


def numbered_video(number: int) -> sl.VideoFrame:
    pixels = np.full((36, 64, 3), number % 256, np.uint8)
    return sl.VideoFrame(pixels, "rgb24", timestamp_ns=time.monotonic_ns(), frame_number=number)


def _publish(args: dict[str, Any]) -> dict[str, Any]:
    with FramePublisher(
        args["channel"], profile=args["profile"], capacity=args["capacity"], domain=args["domain"]
    ) as pub:
        if not pub.wait_for_subscriber(PEER_WAIT_S):
            raise SystemExit("no subscriber connected")
        mode = args["mode"]
        if mode == "kinds":
            for frame in sample_frames():
                pub.send(frame)
        elif mode == "loan":
            for number in range(args["count"]):
                pixels = pub.loan((36, 64, 3), np.uint8)
                pixels[...] = number % 256
                pub.send(
                    sl.VideoFrame(pixels, "rgb24", frame_number=number, metadata={"n": number})
                )
        else:  # "numbered": as fast as the profile lets it
            for number in range(args["count"]):
                pub.send(numbered_video(number))
        pub.end()
        # Said before close(), which waits for the subscriber to read the end.
        print(json.dumps({"sent": _stats(pub.statistics())}), flush=True)
    return _stats(pub.statistics())


def _echo(args: dict[str, Any]) -> dict[str, Any]:
    """Forward every frame from one channel to another, then end the second."""
    channel = {"profile": args["profile"], "capacity": args["capacity"], "domain": args["domain"]}
    with (
        FrameSubscriber(args["inbound"], **channel) as sub,
        FramePublisher(args["outbound"], **channel) as pub,
    ):
        print(json.dumps({"ready": True}), flush=True)
        views = []
        deadline = time.monotonic() + PEER_WAIT_S
        while not sub.ended and time.monotonic() < deadline:
            if not sub.wait(timeout_s=1.0):
                continue
            frame = sub.receive()
            if frame is None:
                continue
            if isinstance(frame, sl.VideoFrame | sl.AudioFrame):
                data = frame.to_ndarray()
                views.append(
                    {
                        "writeable": bool(data.flags.writeable),
                        "owndata": bool(data.flags.owndata),
                        "base": type(data.base).__name__,
                    }
                )
            pub.send(frame)
        pub.end()
        return {"views": views, "subscriber": _stats(sub.statistics())}


def _crash_loop(args: dict[str, Any]) -> dict[str, Any]:
    """Fork children that publish, hold a loan and are killed with SIGKILL, ``count`` times.

    This process opens no iceoryx2 node itself, so each child starts clean. The loop
    stops at ``count`` kills or ``deadline_s``, whichever comes first.
    """
    deadline = time.monotonic() + args["deadline_s"]
    killed = 0
    while killed < args["count"] and time.monotonic() < deadline:
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: publish, keep a loan out, say so, wait to be killed
            os.close(ready_read)
            try:
                pub = FramePublisher(
                    args["channel"], profile="fifo", capacity=8, domain=args["domain"]
                )
                pub.send(sl.DataFrame({"child": killed}))
                loaned = pub.loan((16, 16, 3), np.uint8)
                os.write(ready_write, b"1")
                time.sleep(60)
                del loaned
            finally:
                os._exit(1)
        os.close(ready_write)
        ready, _, _ = select.select([ready_read], [], [], 10.0)
        said = os.read(ready_read, 1) if ready else b""
        os.close(ready_read)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if said != b"1":
            raise SystemExit(f"child {killed} never got its publisher up")
        killed += 1
    return {"killed": killed}


def _stats(stats: object) -> dict[str, Any]:
    return {name: getattr(stats, name) for name in stats.__slots__}  # type: ignore[attr-defined]


ROLES = {"publish": _publish, "echo": _echo, "crash-loop": _crash_loop}


if __name__ == "__main__":
    role, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(ROLES[role](json.loads(raw))), flush=True)
