"""WebRTC over loopback: glass-to-glass latency and sustained frame rate at 1280x720.

A source thread makes 1280x720 pictures at each of ``--rates`` and draws a 32-bit frame
number into each (32 black-or-white squares along the top). The pictures go
through one of two sending paths to an aiortc receiver in the same process
(ICE on 127.0.0.1 only: ``ice: loopback``, nothing leaves the machine), which
decodes them; the number is read back from the decoded picture and the time
since the picture was made is its glass-to-glass latency (encode, packetize,
SRTP, loopback UDP, jitter buffer, decode):

- ``streamlib``: our path: libx264 (constrained baseline, ultrafast,
  zerolatency) in the sending thread, encoded packets handed to aiortc through
  a ``PacketTrack`` (what ``WhipPublisher`` and ``WhepServer`` do);
- ``aiortc_stock``: aiortc's own H.264 encoder on the same pictures (a track
  yielding ``av.VideoFrame``s).

Both run in this one process run, one after the other, at each rate;
``dropped_before_encoder`` counts pictures the stock path's encoder was too
busy to take (ours encodes in the making thread, so it never drops, it slows).
Prints JSON; ``--out`` also writes it to a file.

    python bench/webrtc_latency.py                    # about 50 s on 2 cores
    python bench/webrtc_latency.py --seconds 3        # a smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection

import streamlib as sl
from streamlib.processors._webrtc._support import WebRtcEncoders, WebRtcEncodingConfig
from streamlib.webrtc import (
    EventLoopThread,
    IceSettings,
    PacketTrack,
    accept_offer,
    drain_track,
    prefer_codec,
    set_answer,
)

WIDTH, HEIGHT = 1280, 720
BITS = 32
SQUARE = 32  # pixels per bit square: survives H.264 at any sane bitrate
ICE = IceSettings(mode="loopback")


def draw_number(picture: np.ndarray[Any, Any], number: int) -> None:
    for bit in range(BITS):
        value = 255 if number >> bit & 1 else 0
        picture[:SQUARE, bit * SQUARE : (bit + 1) * SQUARE] = value


def read_number(luma: np.ndarray[Any, Any]) -> int:
    number = 0
    quarter = SQUARE // 4
    for bit in range(BITS):
        x = bit * SQUARE
        patch = luma[quarter : SQUARE - quarter, x + quarter : x + SQUARE - quarter]
        if patch.mean() > 128:
            number |= 1 << bit
    return number


class Source:
    """Pictures at a fixed rate; each one's making time kept by its number."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        # A moving gradient: detail for the encoder, cheap to make.
        y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
        self._base = np.stack([(x // 5) % 256, (y // 3) % 256, ((x + y) // 7) % 256], axis=-1)
        self._base = self._base.astype(np.uint8)
        self.made_ns: dict[int, int] = {}

    def picture(self, number: int) -> np.ndarray[Any, Any]:
        picture = np.roll(self._base, number * 4, axis=1)
        draw_number(picture, number)
        self.made_ns[number] = time.monotonic_ns()
        return picture


class StockTrack(MediaStreamTrack):
    """A track of ``av.VideoFrame``s: aiortc encodes them with its own H.264 encoder."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[av.VideoFrame] = asyncio.Queue(maxsize=2)

    async def recv(self) -> av.VideoFrame:
        return await self.queue.get()


async def connect(track: MediaStreamTrack, on_frame: Any) -> tuple[RTCPeerConnection, ...]:
    sender = RTCPeerConnection(ICE.rtc_configuration())
    prefer_codec(sender.addTransceiver(track, direction="sendonly"), "video/H264")
    receiver = RTCPeerConnection(ICE.rtc_configuration())
    tasks: list[asyncio.Task[None]] = []

    @receiver.on("track")
    def on_track(remote: MediaStreamTrack) -> None:
        tasks.append(asyncio.ensure_future(drain_track(remote, on_frame)))

    await sender.setLocalDescription(await sender.createOffer())
    answer = await accept_offer(receiver, sender.localDescription.sdp, receive=("video",))
    await set_answer(sender, answer, "in-process")
    deadline = time.monotonic() + 15
    while sender.connectionState != "connected" or receiver.connectionState != "connected":
        if time.monotonic() > deadline:
            raise sl.NetworkError("loopback peers did not connect in 15 s")
        await asyncio.sleep(0.05)
    return sender, receiver


def run_path(path: str, seconds: float, fps: float, bitrate: int) -> dict[str, Any]:
    loop = EventLoopThread(f"bench-{path}", loopback=True)
    source = Source(fps)
    latencies_ms: list[float] = []
    received: list[int] = []

    def on_frame(kind: str, frame: Any = None) -> None:
        arrived = time.monotonic_ns()
        luma = frame.to_ndarray(format="gray")
        number = read_number(luma)
        made = source.made_ns.get(number)
        if made is not None:
            received.append(number)
            latencies_ms.append((arrived - made) / 1e6)

    track: MediaStreamTrack = PacketTrack("video", loop) if path == "streamlib" else StockTrack()
    peers = loop.run(connect(track, lambda f: on_frame("video", f)), 20)
    encoders = WebRtcEncoders(
        WebRtcEncodingConfig(video_bitrate=bitrate, fps=fps, keyframe_interval=60)
    )
    period = 1.0 / fps
    sent = 0
    dropped_at_source = 0
    start = time.monotonic()
    next_due = start
    while time.monotonic() - start < seconds:
        picture = source.picture(sent)
        if isinstance(track, PacketTrack):
            frame = sl.VideoFrame(picture, timestamp_ns=source.made_ns[sent], frame_number=sent)
            for packet in encoders.encode_video(frame):
                track.push(packet)
        else:
            av_frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            av_frame.pts = sent * 3000
            av_frame.time_base = Fraction(1, 90_000)

            def offer(item: av.VideoFrame = av_frame) -> None:
                nonlocal dropped_at_source
                if track.queue.full():  # type: ignore[attr-defined]
                    dropped_at_source += 1  # the stock encoder fell behind
                    return
                track.queue.put_nowait(item)  # type: ignore[attr-defined]

            loop.call_soon(offer)
        sent += 1
        next_due += period
        delay = next_due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    time.sleep(1.0)  # let the last frames arrive
    for pc in peers:
        loop.run(pc.close(), 10)
    loop.stop()
    ordered = sorted(latencies_ms)
    return {
        "frames_made": sent,
        "frames_received": len(set(received)),
        "made_fps": round(sent / elapsed, 1),
        "received_fps": round(len(set(received)) / elapsed, 1),
        "dropped_before_encoder": dropped_at_source,
        "latency_ms_p50": round(statistics.median(ordered), 1) if latencies_ms else None,
        "latency_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
        "latency_ms_max": round(ordered[-1], 1) if ordered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds per path.")
    parser.add_argument(
        "--rates", default="30,60", help="Pictures made per second, one run of each path per rate."
    )
    parser.add_argument("--bitrate", type=int, default=2_500_000, help="H.264 bits/s (ours).")
    parser.add_argument("--out", type=Path, default=None, help="Also write the JSON here.")
    args = parser.parse_args()
    results = {
        "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
        "size": f"{WIDTH}x{HEIGHT}",
        "seconds_per_path": args.seconds,
        "bitrate": args.bitrate,
        "runs": {
            f"{fps:g}fps": {
                path: run_path(path, args.seconds, fps, args.bitrate)
                for path in ("streamlib", "aiortc_stock")
            }
            for fps in (float(rate) for rate in args.rates.split(","))
        },
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
