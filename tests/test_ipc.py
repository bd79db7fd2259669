"""Frames between processes through iceoryx2 shared memory (streamlib.ipc).

Each cross-process test runs its peer as a separate interpreter
(tests/ipc_support.py); the crash test kills 100 publishing children with SIGKILL
and then finds nothing of theirs left in /dev/shm or /tmp/iceoryx2.
"""

from __future__ import annotations

import functools
import itertools
import json
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

iceoryx2 = pytest.importorskip(
    "iceoryx2", reason="iceoryx2 is not installed (pip install 'streamlib[process]')"
)

import streamlib as sl  # noqa: E402
from ipc_support import SCRIPT, numbered_video, sample_frames  # noqa: E402
from streamlib.ipc import (  # noqa: E402
    HEADER_BYTES,
    FramePublisher,
    FrameSubscriber,
    SharedMemoryError,
    SharedSample,
    cleanup_dead_nodes,
    resource_files,
)
from streamlib.ipc._wire import OutgoingFrame  # noqa: E402

PEER_TIMEOUT_S = 30.0
# Every channel of this module lives in a domain of its own, so the clean-up checks
# see exactly its files, whatever else on the machine uses iceoryx2 meanwhile.
DOMAIN = f"test-{uuid.uuid4().hex[:12]}"
publisher = functools.partial(FramePublisher, domain=DOMAIN)
subscriber = functools.partial(FrameSubscriber, domain=DOMAIN)


@pytest.fixture(scope="module", autouse=True)
def _remove_the_domains_management_file() -> Iterator[None]:
    """iceoryx2 keeps one ``*.global_mgmt`` file per domain for good; this module's
    domain is used once, so its file goes when the module is done."""
    yield
    cleanup_dead_nodes(DOMAIN)
    for path in resource_files(DOMAIN):
        if path.name.endswith(".global_mgmt"):
            path.unlink()


def leftover_files() -> set[Path]:
    """This domain's files other than the one iceoryx2 keeps for good."""
    return {path for path in resource_files(DOMAIN) if not path.name.endswith(".global_mgmt")}


def channel_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}/src.out->sink.in"


@contextmanager
def peer(role: str, **args: Any) -> Iterator[subprocess.Popen[str]]:
    """A tests/ipc_support.py process, killed if the test leaves before it is done."""
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), role, json.dumps({**args, "domain": DOMAIN})],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def line_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The peer's next JSON line, while it keeps running."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, "the peer exited without a word"
    result: dict[str, Any] = json.loads(line)
    return result


def report_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The peer's last JSON line, once it exits successfully."""
    out, err = process.communicate(timeout=PEER_TIMEOUT_S)
    assert process.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def receive_until_ended(sub: FrameSubscriber, *, keep: bool = True) -> list[sl.Frame]:
    frames: list[sl.Frame] = []
    for _ in range(100_000):
        if sub.ended:
            return frames
        if sub.wait(timeout_s=PEER_TIMEOUT_S):
            frame = sub.receive()
            if frame is not None and keep:
                frames.append(frame)
    raise AssertionError("the stream never ended")


def assert_same_frame(got: sl.Frame, sent: sl.Frame) -> None:
    assert type(got) is type(sent)
    assert (got.timestamp_ns, got.frame_number) == (sent.timestamp_ns, sent.frame_number)
    assert dict(got.metadata) == dict(sent.metadata)
    if isinstance(sent, sl.VideoFrame):
        assert isinstance(got, sl.VideoFrame)
        assert got.pixel_format is sent.pixel_format
        np.testing.assert_array_equal(got.to_ndarray(), sent.to_ndarray())
    elif isinstance(sent, sl.AudioFrame):
        assert isinstance(got, sl.AudioFrame)
        assert got.sample_rate == sent.sample_rate
        np.testing.assert_array_equal(got.data, sent.data)
    elif isinstance(sent, sl.DataFrame):
        assert isinstance(got, sl.DataFrame)
        assert got.payload == sent.payload
        assert type(got.payload) is type(sent.payload)
    else:
        assert isinstance(got, sl.EncodedPacket)
        assert isinstance(sent, sl.EncodedPacket)
        for name in ("data", "codec", "media_kind", "keyframe", "pts", "dts", "duration"):
            assert getattr(got, name) == getattr(sent, name), name
        for name in ("time_base", "extradata", "width", "height", "sample_rate", "channels"):
            assert getattr(got, name) == getattr(sent, name), name


# -- across two processes ---------------------------------------------------------------


def test_every_frame_kind_goes_to_another_process_and_back_intact() -> None:
    """Parent -> echo process -> parent: each kind crosses twice, read in place each time."""
    out_channel, back_channel = channel_name(), channel_name()
    with (
        subscriber(back_channel, profile="lossless", capacity=16) as back,
        peer(
            "echo", inbound=out_channel, outbound=back_channel, profile="lossless", capacity=16
        ) as echo,
        publisher(out_channel, profile="lossless", capacity=16) as out,
    ):
        for frame in sample_frames():
            out.send(frame)  # lossless: waits for the echo's subscriber to connect
        out.end()
        received = receive_until_ended(back)
        report = report_of(echo)

    sent = sample_frames()
    assert len(received) == len(sent)
    for got, expected in zip(received, sent, strict=True):
        assert_same_frame(got, expected)
    # In the echo process too, video and audio were views of shared memory.
    assert report["views"] == [{"writeable": False, "owndata": False, "base": "SharedSample"}] * 3
    assert report["subscriber"]["dropped"] == 0
    assert report["subscriber"]["ended"] is True


def test_a_received_array_is_a_read_only_view_of_the_shared_memory_not_a_copy() -> None:
    channel = channel_name()
    with (
        subscriber(channel, profile="fifo", capacity=16) as sub,
        peer("publish", channel=channel, profile="fifo", capacity=16, mode="kinds") as p,
    ):
        frames = receive_until_ended(sub)
        report_of(p)
        video = frames[0]
        assert isinstance(video, sl.VideoFrame)
        pixels = video.to_ndarray()
        assert not pixels.flags.writeable
        assert not pixels.flags.owndata
        assert isinstance(pixels.base, SharedSample)
        assert isinstance(pixels.base.sample, iceoryx2.Sample)
        # The array's memory is the sample's payload, past the frame header.
        address = pixels.__array_interface__["data"][0]
        assert address == pixels.base.sample.payload_ptr + HEADER_BYTES
        with pytest.raises(ValueError, match="read-only"):
            pixels[0, 0, 0] = 1
        assert sub.statistics().held == 3  # two video frames and one audio block alive
        del frames, video, pixels
        assert sub.statistics().held == 0


def test_a_producer_fills_a_loaned_buffer_and_sends_it_without_a_copy() -> None:
    channel = channel_name()
    with (
        subscriber(channel, profile="lossless", capacity=4) as sub,
        peer(
            "publish", channel=channel, profile="lossless", capacity=4, mode="loan", count=20
        ) as p,
    ):
        frames = receive_until_ended(sub)
        report = report_of(p)
    assert report["sent_in_place"] == report["sent"] == 20
    assert [f.frame_number for f in frames] == list(range(20))
    for frame in frames:
        assert isinstance(frame, sl.VideoFrame)
        assert frame.metadata == {"n": frame.frame_number}
        assert (frame.to_ndarray() == frame.frame_number).all()


def test_a_loaned_array_is_sent_in_place_and_is_read_only_afterwards() -> None:
    channel = channel_name()
    with (
        subscriber(channel, capacity=4) as sub,
        publisher(channel, capacity=4) as pub,
    ):
        pixels = pub.loan((48, 64, 4), np.uint8)
        assert pixels.flags.writeable
        pixels[...] = 7
        frame = sl.VideoFrame(pixels, "rgba", metadata={"from": "loan"})
        pub.send(frame)
        assert not pixels.flags.writeable  # the memory is the subscriber's now
        # A frame around another array (or part of a loan) is copied instead.
        other = pub.loan((48, 64, 4), np.uint8)
        pub.send(sl.VideoFrame(np.ascontiguousarray(other[:24]), "rgba"))
        del other  # (its loan goes back)
        # More metadata than a loan kept room for: copied too, nothing lost.
        small = pub.loan((48, 64, 4), np.uint8, metadata_bytes=0)
        small[...] = 9
        pub.send(sl.VideoFrame(small, "rgba", metadata={"note": "x" * 100}))
        assert pub.statistics().sent_in_place == 1
        assert pub.statistics().sent == 3
        got = sub.receive()
        assert isinstance(got, sl.VideoFrame)
        assert got.metadata == {"from": "loan"}
        assert (got.to_ndarray() == 7).all()
        assert sub.receive() is not None
        last = sub.receive()
        assert isinstance(last, sl.VideoFrame)
        assert last.metadata == {"note": "x" * 100}
        assert (last.to_ndarray() == 9).all()
        with pytest.raises(sl.FrameError, match="a loan's shape"):
            pub.loan((-1, 4), np.uint8)
        with pytest.raises(sl.FrameError, match="cross processes as"):
            pub.loan((4, 4), np.int64)


def test_a_loan_can_be_copied_instead_and_stays_out_with_whoever_holds_it() -> None:
    """What a producer that keeps its output needs: the frame crosses as a copy, and
    the loan stays writable and its own until its array is gone."""
    channel = channel_name()
    with (
        subscriber(channel, capacity=4) as sub,
        publisher(channel, capacity=4, max_loans=2) as pub,
    ):
        pixels = pub.loan((8, 8, 3), np.uint8)
        pixels[...] = 5
        assert pub.loans_out == 1
        assert pub.send(sl.VideoFrame(pixels, "rgb24"), in_place=False) is False
        assert pixels.flags.writeable
        assert pub.loans_out == 1
        pixels[...] = 6  # the producer's again: the copy sent is not touched
        got = sub.receive()
        assert isinstance(got, sl.VideoFrame)
        assert (got.to_ndarray() == 5).all()
        assert pub.send(sl.VideoFrame(pixels, "rgb24")) is True
        assert pub.loans_out == 0  # sent: the subscriber's now
        del pixels
        assert pub.loans_out == 0
        dropped = pub.loan((8, 8, 3), np.uint8)
        assert pub.loans_out == 1
        del dropped  # never sent: back to the publisher
        assert pub.loans_out == 0
        assert pub.statistics().sent_in_place == 1


class FakeTexture:
    """A picture "on a GPU" with no GPU (core's GpuTexture protocol): its pixels in
    an array, handed out by ``download``, which counts its calls."""

    def __init__(self, pixels: np.ndarray[Any, Any], pixel_format: sl.PixelFormat) -> None:
        self._pixels = pixels
        self.pixel_format = pixel_format
        self.width, self.height = pixel_format.size_of(pixels.shape)
        self.downloads = 0

    def download(self) -> np.ndarray[Any, Any]:
        self.downloads += 1
        return self._pixels.copy()


def test_a_frame_only_on_a_gpu_is_downloaded_to_cross_and_the_cost_is_counted() -> None:
    channel = channel_name()
    with (
        subscriber(channel, capacity=4) as sub,
        publisher(channel, capacity=4) as pub,
    ):
        texture = FakeTexture(np.full((6, 8, 3), 3, np.uint8), sl.PixelFormat.RGB24)
        on_gpu = sl.VideoFrame(texture, timestamp_ns=11, frame_number=1)
        pub.send(on_gpu)
        assert texture.downloads == 1
        assert on_gpu.has_array  # downloaded once, kept on the frame like to_ndarray() does
        # Neither an array frame nor a GPU frame whose array is there already downloads.
        pub.send(sl.VideoFrame(np.zeros((6, 8, 3), np.uint8), "rgb24", frame_number=2))
        pub.send(on_gpu.replace(frame_number=3))
        assert texture.downloads == 1
        stats = pub.statistics()
        assert stats.sent == 3
        assert stats.gpu_downloads == 1
        assert stats.gpu_download_ms > 0
        got = sub.receive()
        assert isinstance(got, sl.VideoFrame)
        assert not got.is_on_gpu  # an array in shared memory in the other process
        assert (got.timestamp_ns, got.frame_number) == (11, 1)
        assert (got.to_ndarray() == 3).all()


def test_end_of_stream_arrives_after_the_last_frame() -> None:
    channel = channel_name()
    with (
        subscriber(channel, profile="fifo", capacity=64) as sub,
        peer(
            "publish", channel=channel, profile="fifo", capacity=64, mode="numbered", count=40
        ) as p,
    ):
        numbers: list[int] = []
        while not sub.ended:
            assert sub.wait(timeout_s=PEER_TIMEOUT_S)
            frame = sub.receive()
            if frame is not None:
                assert not sub.ended  # every frame comes before the end
                numbers.append(frame.frame_number)
        report_of(p)
        assert sub.receive() is None  # and nothing after it
        assert sub.wait(timeout_s=0.0)  # an ended stream never makes a reader wait
    assert numbers == list(range(40))
    assert sub.statistics().dropped == 0


def test_a_slow_subscriber_counts_every_frame_it_missed() -> None:
    """latest, capacity 3: the publisher never waits; what the buffer lost shows as drops."""
    channel = channel_name()
    with (
        subscriber(channel, profile="latest", capacity=3) as sub,
        peer(
            "publish", channel=channel, profile="latest", capacity=3, mode="numbered", count=50
        ) as p,
    ):
        report = line_of(p)["sent"]  # all 50 and the end, before anything was read
        frames = receive_until_ended(sub)
        report_of(p)
    stats = sub.statistics()
    assert report["sent"] == 50
    assert report["backpressure_waits"] == 0
    assert [f.frame_number for f in frames] == [48, 49]  # the end took the third slot
    assert stats.dropped == 48
    assert stats.received + stats.dropped == 50


def test_a_lossless_publisher_waits_for_a_slow_subscriber_and_loses_nothing() -> None:
    channel = channel_name()
    with (
        subscriber(channel, profile="lossless", capacity=4) as sub,
        peer(
            "publish", channel=channel, profile="lossless", capacity=4, mode="numbered", count=200
        ) as p,
    ):
        numbers: list[int] = []
        for step in itertools.count():
            if sub.ended:
                break
            if step % 20 == 0:
                # A slow subscriber now and then: the publisher, sending as fast as it
                # may, fills the buffer meanwhile and has to wait. (A wait() here returns
                # at once whenever a frame is already waiting.)
                time.sleep(0.05)
            if sub.wait(timeout_s=PEER_TIMEOUT_S):
                frame = sub.receive()
                if frame is not None:
                    numbers.append(frame.frame_number)
        report = report_of(p)
    assert numbers == list(range(200))
    assert sub.statistics().dropped == 0
    assert report["backpressure_waits"] > 0


def test_receive_latest_skips_to_the_newest_and_counts_the_skipped() -> None:
    channel = channel_name()
    with subscriber(channel, capacity=8) as sub, publisher(channel, capacity=8) as pub:
        for number in range(5):
            pub.send(numbered_video(number))
        newest = sub.receive_latest()
        assert newest is not None
        assert newest.frame_number == 4
        assert sub.statistics().dropped == 4
        assert sub.statistics().received == 1


def test_a_batch_received_at_once_makes_room_for_all_of_it_with_one_event() -> None:
    """receive_batch: oldest first, at most ``limit``; a lossless publisher hears of them all."""
    channel = channel_name()
    with (
        subscriber(channel, profile="lossless", capacity=4) as sub,
        publisher(channel, profile="lossless", capacity=4, write_timeout_s=0.5) as pub,
    ):
        for number in range(4):
            pub.send(numbered_video(number))
        assert [f.frame_number for f in sub.receive_batch(3)] == [0, 1, 2]
        for number in range(4, 7):  # room for three more, at once
            pub.send(numbered_video(number))
        assert pub.statistics().backpressure_waits == 0
        with pytest.raises(sl.BackpressureTimeout):
            pub.send(numbered_video(7))  # full again: 3 to 6
        assert [f.frame_number for f in sub.receive_batch(10)] == [3, 4, 5, 6]
        assert sub.receive_batch(10) == []
        pub.end()
        assert sub.receive_batch(10) == []
        assert sub.ended
        assert pub.wait_until_end_taken(PEER_TIMEOUT_S)
        assert sub.statistics().received == 7


def test_a_message_that_cannot_be_read_fails_after_the_frames_before_it_in_a_batch() -> None:
    channel = channel_name()
    with subscriber(channel, capacity=4) as sub, publisher(channel, capacity=4) as pub:
        pub.send(numbered_video(0))
        pub.send(numbered_video(1))
        sample = pub._loan_sample(HEADER_BYTES)  # a message of a kind nobody knows
        OutgoingFrame(99).write(
            sample.payload_ptr, stream_id=pub._stream_id, sequence=pub._sequence
        )
        pub._deliver(sample)
        pub.send(numbered_video(2))
        assert [f.frame_number for f in sub.receive_batch(4)] == [0, 1]
        with pytest.raises(sl.FrameError, match="unknown kind 99"):
            sub.receive_batch(4)
        assert [f.frame_number for f in sub.receive_batch(4)] == [2]
        assert sub.statistics().received == 3


def test_a_batch_of_sends_wakes_a_waiting_subscriber_before_it_waits_for_room_and_at_its_end() -> (
    None
):
    """Inside ``batch()`` sends wake nobody, so a lossless send that finds no room must
    wake the subscriber first (it would sleep on, and the send time out), and the end of
    the batch wakes it for the rest (it would sleep until its own timeout)."""
    channel = channel_name()
    with (
        subscriber(channel, profile="lossless", capacity=2) as sub,
        publisher(channel, profile="lossless", capacity=2, write_timeout_s=5.0) as pub,
    ):
        numbers: list[int] = []
        asleep = threading.Event()

        def consume() -> None:
            while len(numbers) < 5:
                asleep.set()
                if sub.wait(timeout_s=4 * PEER_TIMEOUT_S):
                    numbers.extend(f.frame_number for f in sub.receive_batch(2))

        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        asleep.wait(PEER_TIMEOUT_S)
        time.sleep(0.1)  # (asleep in its wait by now; if not, it only finds more waiting)
        with pub.batch():
            for number in range(5):
                pub.send(numbered_video(number))
        consumer.join(PEER_TIMEOUT_S)
        assert not consumer.is_alive(), f"the subscriber was never woken for {numbers}"
        assert numbers == list(range(5))
        assert pub.statistics().backpressure_waits > 0


# -- in one process: errors and limits ---------------------------------------------------


def test_both_ends_must_agree_on_profile_and_capacity() -> None:
    channel = channel_name()
    with subscriber(channel, profile="latest", capacity=3):
        with pytest.raises(sl.ConfigError, match="same profile and capacity"):
            publisher(channel, profile="lossless", capacity=3)
        with pytest.raises(sl.ConfigError, match="same profile and capacity"):
            publisher(channel, profile="latest", capacity=5)


def test_a_channel_takes_one_publisher() -> None:
    channel = channel_name()
    with publisher(channel) as first:
        with pytest.raises(sl.PortBusyError, match="already has a publisher"):
            publisher(channel)
        first.close()
        with publisher(channel):  # once the first is closed, another may publish
            pass


def test_send_after_end_and_use_after_close_say_so() -> None:
    channel = channel_name()
    pub = publisher(channel)
    pub.end()
    pub.end()  # again: nothing
    with pytest.raises(sl.StreamEndedError, match="already ended"):
        pub.send(numbered_video(0))
    pub.close()
    pub.close()
    with pytest.raises(sl.ConnectionClosedError, match="was closed"):
        pub.send(numbered_video(1))
    sub = subscriber(channel)
    sub.close()
    with pytest.raises(sl.ConnectionClosedError, match="was closed"):
        sub.receive()


def test_metadata_that_is_not_json_is_refused_before_anything_is_sent() -> None:
    with publisher(channel_name()) as pub:
        with pytest.raises(sl.FrameError, match="cannot cross a process"):
            pub.send(sl.DataFrame({"when": object()}))
        with pytest.raises(sl.FrameError, match="cannot cross a process"):
            pub.send(numbered_video(0).replace(metadata={"array": np.zeros(2)}))
        assert pub.statistics().sent == 0


def test_every_loan_out_is_an_error_that_says_what_to_do() -> None:
    with publisher(channel_name(), max_loans=2) as pub:
        loans = [pub.loan((8, 8, 3), np.uint8) for _ in range(2)]
        with pytest.raises(SharedMemoryError, match="send or drop a loaned array"):
            pub.loan((8, 8, 3), np.uint8)
        loans.pop()  # a loan never sent goes back when its array is gone
        assert pub.loan((8, 8, 3), np.uint8).shape == (8, 8, 3)


def test_a_subscriber_holding_many_frames_copies_instead_of_failing() -> None:
    """iceoryx2 caps the samples a subscriber may hold; past the cap frames are copied."""
    channel = channel_name()
    with (
        subscriber(channel, capacity=4, max_borrowed=4) as sub,
        publisher(channel, capacity=4, max_borrowed=4) as pub,
    ):
        kept = []
        for number in range(12):
            pub.send(numbered_video(number))
            frame = sub.receive()
            assert frame is not None
            kept.append(frame)
        stats = sub.statistics()
        assert [f.frame_number for f in kept] == list(range(12))
        assert stats.held == 3  # one slot stays free so the next receive can succeed
        assert stats.copied == 9
        assert all(not f.to_ndarray().flags.writeable for f in kept)


def test_without_iceoryx2_the_error_names_the_extra_to_install() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["iceoryx2"] = None
        import streamlib.ipc
        try:
            streamlib.ipc.FramePublisher("x")
        except Exception as error:
            print(f"{type(error).__name__}: {error}")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "ConfigError: streamlib.ipc needs iceoryx2: pip install 'streamlib[process]'"
    )


# -- clean-up --------------------------------------------------------------------------


def test_closing_both_ends_leaves_nothing_in_shared_memory() -> None:
    cleanup_dead_nodes(DOMAIN)
    before = leftover_files()
    channel = channel_name()
    sub = subscriber(channel, capacity=4)
    pub = publisher(channel, capacity=4)
    pub.send(numbered_video(1))
    frame = sub.receive()
    assert leftover_files() - before  # the channel lives in shared memory...
    pub.close()
    sub.close()
    assert frame is not None
    assert frame.to_ndarray()[0, 0, 0] == 1  # ...a received frame stays valid after close
    del frame
    assert leftover_files() - before == set()


def test_nothing_is_left_after_100_publishers_are_killed_mid_stream() -> None:
    """Children publish, hold a loan and die by SIGKILL; the subscriber lives on."""
    cleanup_dead_nodes(DOMAIN)
    before = leftover_files()
    channel = channel_name()
    with subscriber(channel, profile="fifo", capacity=8) as sub:
        with peer("crash-loop", channel=channel, count=100, deadline_s=40.0) as loop:
            report = report_of(loop)
        assert report["killed"] == 100
        # Each new child's publisher took the dead one's place (iceoryx2 cleans dead
        # nodes when a node is created), so the last ones' frames are here.
        frames = []
        while (frame := sub.receive()) is not None:
            frames.append(frame)
        assert frames
        assert frames[-1].payload == {"child": 99}
        del frames, frame
        assert leftover_files() - before  # the last child could not remove its own files
    cleanup_dead_nodes(DOMAIN)  # (closing the subscriber's node may have done it already)
    assert leftover_files() - before == set()
