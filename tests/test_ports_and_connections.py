"""Tests for ports, connections, delivery profiles, wake-ups and buffer pools.

Connections are built and attached here the way the runtime does it, and
exercised with real threads where a producer has to wait for its consumer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from streamlib.core import (
    AudioFrame,
    BackpressureTimeout,
    BufferPool,
    ConfigError,
    Connection,
    ConnectionClosedError,
    ConnectionStatistics,
    DataFrame,
    DeliveryProfile,
    Frame,
    FrameError,
    Input,
    InputPort,
    Output,
    OutputPort,
    PortRef,
    Processor,
    VideoFrame,
    Wakeup,
    default_capacity,
    default_profile,
)
from streamlib.processors import Passthrough

WAIT_S = 10.0  # generous bound for a thread to finish; correctness, not speed


class Source(Processor):
    video = Output(VideoFrame)
    audio = Output(AudioFrame)
    stereo = Output(AudioFrame[2])
    data = Output(DataFrame)

    def process(self) -> None:
        self.data.write(DataFrame("tick"))


class Sink(Processor):
    video = Input(VideoFrame)
    audio = Input(AudioFrame)
    data = Input(DataFrame)
    anything = Input(Frame)

    def process(self) -> None:
        self.video.read_all()


class Tuned(Processor):
    video_fifo = Input(VideoFrame, profile="fifo")
    video_lossless = Input(VideoFrame, profile=DeliveryProfile.LOSSLESS)
    audio_lossless = Input(AudioFrame, profile="lossless")
    audio_deep = Input(AudioFrame, capacity=128)
    data_latest = Input(DataFrame, profile="latest", capacity=1)

    def process(self) -> None:
        self.video_fifo.read()


def join(thread: threading.Thread) -> None:
    thread.join(WAIT_S)
    assert not thread.is_alive(), f"{thread.name} did not finish within {WAIT_S} s"


def wire(
    output: OutputPort[Any],
    target: InputPort[Any] | None = None,
    *,
    profile: DeliveryProfile | str = DeliveryProfile.FIFO,
    capacity: int = 4,
    name: str = "sink",
    write_timeout_s: float = 5.0,
) -> Connection[Any]:
    """Attach a connection from ``output`` to ``target`` (or to no port), as the runtime does."""
    connection: Connection[Any] = Connection(
        PortRef.parse(f"src.{output.name}"),
        PortRef.parse(f"{name}.{target.name if target else 'input'}"),
        DeliveryProfile.parse(profile),
        capacity,
        write_timeout_s=write_timeout_s,
    )
    output.attach(connection)
    if target is not None:
        target.attach(connection)
    return connection


def numbered(count: int, start: int = 0) -> list[DataFrame]:
    return [DataFrame(i, frame_number=i) for i in range(start, start + count)]


def in_thread(target: Callable[[], None], name: str) -> tuple[threading.Thread, list[Any]]:
    """Run ``target`` in a thread; the list gets "done" or the exception it raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            target()
            outcome.append("done")
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread, outcome


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (correctness wait, generous timeout)."""
    done = threading.Event()
    for _ in range(int(WAIT_S / 0.005)):
        if condition():
            return
        done.wait(0.005)
    raise AssertionError(f"timed out waiting until {what}")


# -- declarations and binding -------------------------------------------------------------


def test_ports_are_bound_per_instance() -> None:
    first, second = Sink(), Sink()
    assert isinstance(first.video, InputPort)
    assert first.video is not second.video
    assert first.inputs == {
        "video": first.video,
        "audio": first.audio,
        "data": first.data,
        "anything": first.anything,
    }
    assert first.outputs == {}
    source = Source()
    assert isinstance(source.video, OutputPort)
    assert list(source.outputs) == ["video", "audio", "stereo", "data"]
    assert source.outputs["video"] is source.video
    assert first.video.name == "video"


def test_class_access_returns_the_declaration() -> None:
    assert isinstance(Sink.video, Input)
    assert isinstance(Source.video, Output)
    assert Sink.video.name == "video"


def test_declaration_on_the_class_is_not_shared_state() -> None:
    first, second = Source(), Sink()
    other = Sink()
    wire(first.data, second.data)
    assert second.data.is_connected()
    assert not other.data.is_connected()


def test_ports_are_inherited_and_can_be_overridden() -> None:
    class Base(Processor):
        video_in = Input(VideoFrame)
        video_out = Output(VideoFrame)

        def process(self) -> None:
            self.video_in.read()

    class Derived(Base):
        video_in = Input(VideoFrame, profile="lossless")
        extra = Input(DataFrame)

    derived = Derived()
    assert set(derived.inputs) == {"video_in", "extra"}
    assert set(derived.outputs) == {"video_out"}
    assert derived.video_in.spec.profile is DeliveryProfile.LOSSLESS
    assert Base().video_in.spec.profile is DeliveryProfile.LATEST
    assert [s.name for s in Derived.input_specs()] == ["video_in", "extra"]


@pytest.mark.parametrize(
    ("port", "profile", "capacity"),
    [
        ("video", DeliveryProfile.LATEST, 3),
        ("audio", DeliveryProfile.FIFO, 32),
        ("data", DeliveryProfile.FIFO, 16),
        ("anything", DeliveryProfile.FIFO, 16),
    ],
)
def test_default_profiles_and_depths(port: str, profile: DeliveryProfile, capacity: int) -> None:
    spec = Sink().inputs[port].spec
    assert spec.is_input
    assert spec.profile is profile
    assert spec.capacity == capacity
    assert spec.to_dict() == {
        "name": port,
        "type": str(spec.frame_type),
        "profile": profile.value,
        "capacity": capacity,
    }


@pytest.mark.parametrize(
    ("port", "profile", "capacity"),
    [
        ("video_fifo", DeliveryProfile.FIFO, 8),
        ("video_lossless", DeliveryProfile.LOSSLESS, 16),
        ("audio_lossless", DeliveryProfile.LOSSLESS, 64),
        ("audio_deep", DeliveryProfile.FIFO, 128),
        ("data_latest", DeliveryProfile.LATEST, 1),
    ],
)
def test_profile_and_capacity_overrides(port: str, profile: DeliveryProfile, capacity: int) -> None:
    spec = Tuned().inputs[port].spec
    assert (spec.profile, spec.capacity) == (profile, capacity)


def test_default_profile_and_capacity_functions() -> None:
    assert default_profile(VideoFrame) is DeliveryProfile.LATEST
    assert default_profile(AudioFrame) is DeliveryProfile.FIFO
    assert default_profile(DataFrame) is DeliveryProfile.FIFO
    assert default_capacity(DeliveryProfile.LATEST, AudioFrame) == 3
    assert default_capacity(DeliveryProfile.FIFO, VideoFrame) == 8
    assert default_capacity(DeliveryProfile.LOSSLESS, DataFrame) == 64


def test_bad_profile_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown delivery profile 'lossy'.*latest, fifo"):
        Input(VideoFrame, profile="lossy")


@pytest.mark.parametrize("capacity", [0, -3])
def test_capacity_below_one_is_refused(capacity: int) -> None:
    with pytest.raises(ConfigError, match=f"at least 1, got {capacity}"):
        Input(AudioFrame, capacity=capacity)
    with pytest.raises(ConfigError, match=f"at least 1, got {capacity}"):
        Connection(PortRef.parse("a.out"), PortRef.parse("b.in"), DeliveryProfile.FIFO, capacity)


def test_output_spec_has_no_profile() -> None:
    spec = Source.video.spec()
    assert not spec.is_input
    assert spec.profile is None
    assert spec.to_dict() == {"name": "video", "type": "VideoFrame"}


def test_port_description_goes_into_the_spec() -> None:
    class Described(Processor):
        level = Output(DataFrame, description="Levels in dB.")

        def process(self) -> None:
            self.level.write(DataFrame(0))

    assert Described.output_specs()[0].to_dict()["description"] == "Levels in dB."


def test_declaring_a_non_frame_type_is_refused() -> None:
    with pytest.raises(FrameError, match="frame type such as VideoFrame"):
        Input(bytes)  # type: ignore[arg-type]


# -- unconnected ports ------------------------------------------------------------------


def test_unconnected_ports_read_nothing_and_write_nowhere() -> None:
    sink, source = Sink(), Source()
    port = sink.data
    assert not port.is_connected()
    assert not port.has_data()
    assert port.read() is None
    assert port.read_latest() is None
    assert port.peek() is None
    assert port.read_all() == []
    assert port.connection is None
    assert port.detach() is None
    assert not source.data.is_connected()
    source.data.write(DataFrame(1))  # no consumer: written nowhere, no error
    assert source.data.frames_out == 1


# -- connection semantics ------------------------------------------------------------------


def test_frames_pass_by_reference() -> None:
    source, sink = Source(), Sink()
    wire(source.video, sink.video, profile="fifo")
    frame = VideoFrame.blank(16, 16)
    source.video.write(frame)
    assert sink.video.peek() is frame
    got = sink.video.read()
    assert got is frame
    assert got.data is frame.data
    assert got.data.flags.writeable  # one consumer may work in place


def test_fifo_delivers_in_order_and_drops_the_oldest_when_full() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="fifo", capacity=4)
    frames = numbered(6)
    for frame in frames:
        source.data.write(frame)
    assert len(connection) == 4
    assert connection.written == 6
    assert connection.dropped == 2
    assert sink.data.peek() is frames[2]
    assert sink.data.read() is frames[2]
    assert sink.data.read_all() == frames[3:]
    assert sink.data.read() is None
    stats = connection.statistics()
    assert (stats.written, stats.delivered, stats.dropped, stats.depth) == (6, 4, 2, 0)


def test_latest_keeps_the_newest_and_read_latest_skips_older_ones() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="latest", capacity=3)
    frames = numbered(5)
    for frame in frames:
        source.data.write(frame)
    assert list(connection) == frames[2:]  # oldest two dropped on write
    assert connection.dropped == 2
    assert sink.data.read_latest() is frames[4]
    assert not sink.data.has_data()
    stats = connection.statistics()
    # frames 2 and 3 were skipped by read_latest: dropped too, never delivered
    assert (stats.written, stats.delivered, stats.dropped, stats.depth) == (5, 1, 4, 0)
    assert sink.data.read_latest() is None
    assert connection.delivered == 1


def test_read_latest_on_a_single_frame_drops_nothing() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="latest", capacity=3)
    frame = DataFrame("only")
    source.data.write(frame)
    assert sink.data.read_latest() is frame
    assert (connection.delivered, connection.dropped) == (1, 0)


def test_peek_and_has_data_do_not_consume() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data)
    frame = DataFrame(1)
    source.data.write(frame)
    for _ in range(3):
        assert sink.data.has_data()
        assert sink.data.peek() is frame
    assert connection.delivered == 0
    assert len(connection) == 1
    assert sink.data.read() is frame
    assert not sink.data.has_data()
    assert sink.data.peek() is None


def test_statistics_snapshot_is_immutable_and_serializable() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="fifo", capacity=2)
    before = connection.statistics()
    assert before.newest_age_ms is None
    assert (before.written, before.delivered, before.dropped, before.depth) == (0, 0, 0, 0)
    for frame in numbered(3):
        source.data.write(frame)
    stats = connection.statistics(now_ns=connection.last_write_ns + 2_000_000)
    assert isinstance(stats, ConnectionStatistics)
    assert stats.newest_age_ms == pytest.approx(2.0)
    with pytest.raises(AttributeError):
        stats.written = 0  # type: ignore[misc]
    assert stats.to_dict() == {
        "id": "src.data->sink.data",
        "from": "src.data",
        "to": "sink.data",
        "profile": "fifo",
        "capacity": 2,
        "written": 3,
        "delivered": 0,
        "dropped": 1,
        "depth": 2,
        "newest_age_ms": pytest.approx(2.0),
    }
    assert before.written == 0  # the earlier snapshot did not change


def test_frames_in_and_out_are_counted_across_reconnections() -> None:
    source, sink = Source(), Sink()
    first = wire(source.data, sink.data)
    for frame in numbered(3):
        source.data.write(frame)
    sink.data.read()
    sink.data.read()
    assert sink.data.frames_in == 2
    assert sink.data.detach() is first
    source.data.detach(first)
    assert not sink.data.is_connected()
    assert not source.data.is_connected()
    assert sink.data.read() is None  # the queued frame went with the connection
    wire(source.data, sink.data)
    source.data.write(DataFrame("again"))
    assert sink.data.read_all()[0].payload == "again"
    assert sink.data.frames_in == 3
    assert source.data.frames_out == 4


def test_connection_id_and_repr() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.video, sink.video, profile="latest", capacity=3)
    assert str(connection.id) == "src.video->sink.video"
    assert repr(connection) == "Connection(src.video->sink.video, latest, 0/3)"


def test_consumer_wakeup_is_signalled_on_write() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data)
    wakeup = Wakeup()
    connection.consumer_wakeup = wakeup
    assert not wakeup.park(0.0)
    source.data.write(DataFrame(1))
    source.data.write(DataFrame(2))
    assert wakeup.park(0.0)
    assert not wakeup.park(0.0)  # two writes, one pending wake-up


@pytest.mark.parametrize("profile", ["latest", "fifo"])
def test_lossy_profiles_never_block_the_producer_and_count_every_frame(profile: str) -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile=profile, capacity=3)
    total = 5_000
    received: list[DataFrame] = []
    produced = threading.Event()

    def consume() -> None:
        while True:
            batch = sink.data.read_all()
            received.extend(batch)
            if not batch and produced.is_set() and not sink.data.has_data():
                return

    consumer, outcome = in_thread(consume, "consumer")
    for frame in numbered(total):
        source.data.write(frame)
    produced.set()
    join(consumer)
    assert outcome == ["done"]
    stats = connection.statistics()
    assert stats.written == total
    assert stats.delivered == len(received)
    assert stats.delivered + stats.dropped + stats.depth == total
    numbers = [frame.frame_number for frame in received]
    assert numbers == sorted(numbers)  # order kept, nothing duplicated
    assert len(set(numbers)) == len(numbers)


# -- lossless ----------------------------------------------------------------------------


def test_lossless_blocks_the_producer_until_the_consumer_reads() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=2)
    frames = numbered(3)
    source.data.write(frames[0])
    source.data.write(frames[1])
    producer, outcome = in_thread(lambda: source.data.write(frames[2]), "producer")
    wait_until(lambda: connection._producer_waiting, "the producer waits for room")
    assert outcome == []
    assert producer.is_alive()
    assert connection.written == 2
    assert sink.data.read() is frames[0]
    join(producer)
    assert outcome == ["done"]
    assert sink.data.read_all() == frames[1:]
    stats = connection.statistics()
    assert (stats.written, stats.delivered, stats.dropped, stats.depth) == (3, 3, 0, 0)


def test_lossless_delivers_everything_in_order_between_threads() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=2)
    total = 2_000
    received: list[DataFrame] = []

    def produce() -> None:
        for frame in numbered(total):
            source.data.write(frame)

    def consume() -> None:
        wakeup = Wakeup()
        connection.consumer_wakeup = wakeup
        while len(received) < total:
            batch = sink.data.read_all()
            if batch:
                received.extend(batch)
            else:
                wakeup.park(0.05)

    consumer, consumed = in_thread(consume, "consumer")
    producer, produced = in_thread(produce, "producer")
    join(producer)
    join(consumer)
    assert produced == ["done"]
    assert consumed == ["done"]
    assert [frame.payload for frame in received] == list(range(total))
    assert connection.dropped == 0
    assert connection.delivered == total


def test_lossless_times_out_with_backpressure_error() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=1, write_timeout_s=0.05)
    source.data.write(DataFrame(1))
    with pytest.raises(BackpressureTimeout, match=r"sink left lossless connection .* full") as info:
        source.data.write(DataFrame(2))
    assert isinstance(info.value, TimeoutError)
    assert "raise the capacity" in str(info.value)
    assert connection.written == 1
    assert len(connection) == 1
    assert not connection._producer_waiting
    assert sink.data.read().payload == 1  # the queued frame is still there
    source.data.write(DataFrame(3))  # and room means writes work again
    assert sink.data.read().payload == 3


def test_a_waiting_lossless_producer_gives_up_its_frame_when_the_consumer_is_gone() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=1, write_timeout_s=60)
    source.data.write(DataFrame(1))
    producer, outcome = in_thread(lambda: source.data.write(DataFrame(2)), "producer")
    wait_until(lambda: connection._producer_waiting, "the producer waits for room")
    connection.mark_consumer_gone()
    join(producer)
    assert outcome == ["done"]  # released, with no error: the producer carries on
    # Nothing is queued for a consumer that will never read, and each frame counts.
    assert len(connection) == 0
    assert (connection.written, connection.delivered, connection.dropped) == (2, 0, 2)
    source.data.write(DataFrame(3))  # already gone: given up at once, never waits
    assert connection.dropped == 3
    # the consumer came back: writes queue (and wait for room) again
    connection.mark_consumer_gone(False)
    source.data.write(DataFrame(4))
    assert sink.data.read().payload == 4


def test_discard_counts_queued_frames_as_dropped() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="fifo", capacity=8)
    for number in range(5):
        source.data.write(DataFrame(number))
    assert connection.discard() == 5
    assert (connection.written, connection.delivered, connection.dropped) == (5, 0, 5)


def test_closed_connection_refuses_writes() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="fifo")
    connection.close()
    with pytest.raises(ConnectionClosedError, match=r"src.data->sink.data was removed"):
        source.data.write(DataFrame(1))
    assert connection.written == 0


def test_close_releases_a_waiting_lossless_producer() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=1, write_timeout_s=60)
    source.data.write(DataFrame(1))
    producer, outcome = in_thread(lambda: source.data.write(DataFrame(2)), "producer")
    wait_until(lambda: connection._producer_waiting, "the producer waits for room")
    connection.close()
    join(producer)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionClosedError)
    assert "while its producer waited" in str(outcome[0])


def test_inline_consumer_lets_lossless_writes_exceed_capacity() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=2, write_timeout_s=0.01)
    connection.inline_consumer = True
    frames = numbered(5)
    for frame in frames:
        source.data.write(frame)  # would time out after 2 without inline_consumer
    assert len(connection) == 5
    assert connection.dropped == 0
    assert sink.data.read_all() == frames


# -- fan-out -------------------------------------------------------------------------------


def test_fan_out_shares_one_read_only_frame() -> None:
    source, left, right = Source(), Sink(), Sink()
    wire(source.video, left.video, name="left")
    wire(source.video, right.video, name="right")
    frame = VideoFrame.blank(8, 8)
    source.video.write(frame)
    got_left, got_right = left.video.read(), right.video.read()
    assert got_left is frame
    assert got_right is frame
    assert frame.is_frozen
    with pytest.raises(ValueError, match="read-only"):
        got_left.data[0, 0, 0] = 255
    assert not frame.data.any()  # the other consumer's view is intact
    assert source.video.frames_out == 1


def test_single_consumer_gets_a_writable_frame() -> None:
    source, sink = Source(), Sink()
    wire(source.video, sink.video)
    frame = VideoFrame.blank(8, 8)
    source.video.write(frame)
    got = sink.video.read()
    assert not got.is_frozen
    got.data[0, 0, 0] = 255
    assert frame.data[0, 0, 0] == 255


def test_fan_out_freezes_audio_too() -> None:
    source, left, right = Source(), Sink(), Sink()
    wire(source.audio, left.audio, name="left")
    wire(source.audio, right.audio, name="right")
    block = AudioFrame.silence(16, 2, 48_000)
    source.audio.write(block)
    assert block.is_frozen
    with pytest.raises(ValueError, match="read-only"):
        right.audio.read().data[0, 0] = 1.0


def test_generic_frame_output_fan_out_freezes_arrays() -> None:
    # A Passthrough is a tee: its Frame-typed output carries video arrays too.
    tee, left, right = Passthrough(), Sink(), Sink()
    wire(tee.frames_out, left.anything, name="left")
    wire(tee.frames_out, right.anything, name="right")
    frame = VideoFrame.blank(4, 4)
    tee.frames_out.write(frame)
    assert frame.is_frozen
    assert left.anything.read() is right.anything.read() is frame
    tee.frames_out.write(DataFrame({"not": "an array"}))  # non-array frames pass as they are
    assert left.anything.read().payload == {"not": "an array"}


def test_fan_out_to_connections_with_different_profiles() -> None:
    source, fast, slow = Source(), Sink(), Sink()
    latest = wire(source.data, fast.data, profile="latest", capacity=1, name="fast")
    fifo = wire(source.data, slow.data, profile="fifo", capacity=8, name="slow")
    frames = numbered(5)
    for frame in frames:
        source.data.write(frame)
    assert fast.data.read_all() == frames[4:]
    assert slow.data.read_all() == frames
    assert (latest.dropped, fifo.dropped) == (4, 0)
    assert source.data.connections == (latest, fifo)


def test_detached_consumer_stops_receiving() -> None:
    source, left, right = Source(), Sink(), Sink()
    first = wire(source.data, left.data, name="left")
    wire(source.data, right.data, name="right")
    source.data.detach(first)
    left.data.detach()
    source.data.write(DataFrame("after"))
    assert first.written == 0
    assert right.data.read().payload == "after"


# -- write checks ----------------------------------------------------------------------------


def test_writing_the_wrong_frame_type_is_refused() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.video, sink.video)
    with pytest.raises(FrameError, match="output 'video' carries VideoFrame, not AudioFrame"):
        source.video.write(AudioFrame.silence(4, 2, 48_000))  # type: ignore[arg-type]
    with pytest.raises(FrameError, match="carries DataFrame, not VideoFrame"):
        source.data.write(VideoFrame.blank(2, 2))  # type: ignore[arg-type]
    assert connection.written == 0
    assert source.video.frames_out == 0


def test_writing_the_wrong_channel_count_is_refused() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.stereo, sink.audio)
    with pytest.raises(FrameError, match=r"carries AudioFrame\[2\]; this block has 1 channels"):
        source.stereo.write(AudioFrame.silence(4, 1, 48_000))
    assert connection.written == 0
    stereo = AudioFrame.silence(4, 2, 48_000)
    source.stereo.write(stereo)
    assert sink.audio.read() is stereo


def test_any_channel_output_accepts_every_count() -> None:
    source, sink = Source(), Sink()
    wire(source.audio, sink.audio, capacity=8)
    for channels in (1, 2, 6):
        source.audio.write(AudioFrame.silence(4, channels, 48_000))
    assert [block.channels for block in sink.audio.read_all()] == [1, 2, 6]


# -- Wakeup ----------------------------------------------------------------------------------


def test_wakeup_coalesces_unparks() -> None:
    wakeup = Wakeup()
    assert not wakeup.park(0.0)
    wakeup.unpark()
    wakeup.unpark()
    wakeup.unpark()
    assert wakeup.park(0.0)
    assert not wakeup.park(0.0)
    assert not wakeup.park(-1.0)


def test_wakeup_park_times_out_without_an_unpark() -> None:
    assert Wakeup().park(0.01) is False


def test_wakeup_wakes_a_parked_thread() -> None:
    wakeup = Wakeup()
    parked = threading.Event()
    results: list[bool] = []

    def park() -> None:
        parked.set()
        results.append(wakeup.park(WAIT_S * 6))

    thread, outcome = in_thread(park, "parker")
    assert parked.wait(WAIT_S)
    wakeup.unpark()
    join(thread)  # far sooner than the park timeout
    assert outcome == ["done"]
    assert results == [True]


def test_wakeup_from_many_threads_never_raises() -> None:
    wakeup = Wakeup()
    threads = [
        in_thread(lambda: [wakeup.unpark() for _ in range(2_000)], f"u{i}") for i in range(4)
    ]
    for thread, outcome in threads:
        join(thread)
        assert outcome == ["done"]
    assert wakeup.park(0.0)
    assert not wakeup.park(0.0)


# -- BufferPool ------------------------------------------------------------------------------


def test_buffer_pool_reuses_a_buffer_no_frame_holds() -> None:
    pool = BufferPool((4, 6, 3), np.uint8, max_buffers=2)
    buffer = pool.acquire()
    assert buffer.shape == (4, 6, 3)
    assert buffer.dtype == np.uint8
    assert buffer.flags.writeable
    first_id = id(buffer)
    frame = VideoFrame(buffer, "rgb24")
    del buffer
    held = pool.acquire()
    assert held is not frame.data  # the frame still holds the first one
    assert pool.allocated == 2
    del held
    del frame
    again = pool.acquire()
    assert id(again) == first_id
    assert again is pool._buffers[0]
    assert pool.misses == 0


def test_buffer_pool_allocates_and_counts_misses_when_all_are_held() -> None:
    pool = BufferPool((8, 2), np.float32, max_buffers=2)
    frames = [AudioFrame(pool.acquire(), 48_000) for _ in range(2)]
    assert pool.allocated == 2
    assert pool.misses == 0
    extra = pool.acquire()
    assert all(extra is not frame.data for frame in frames)
    assert pool.misses == 1
    assert pool.allocated == 2  # the extra buffer is not pooled
    assert extra.dtype == np.float32
    assert extra.shape == (8, 2)
    pool.acquire()
    assert pool.misses == 2


def test_buffer_pool_treats_a_view_as_holding_the_buffer() -> None:
    pool = BufferPool((4, 4), np.uint8, max_buffers=1)
    frame = VideoFrame(pool.acquire(), "gray8")
    view = frame.data[::2]  # a consumer kept only a slice of the pixels
    del frame
    assert pool.acquire() is not view.base
    assert pool.misses == 1
    del view
    assert pool.acquire() is pool._buffers[0]


def test_buffer_pool_makes_a_frozen_buffer_writable_again() -> None:
    pool = BufferPool((2, 2, 3), np.uint8, max_buffers=1)
    frame = VideoFrame(pool.acquire(), "rgb24")
    frame.freeze()  # fan-out froze it
    del frame
    buffer = pool.acquire()
    assert buffer.flags.writeable
    buffer[:] = 7
    assert pool.misses == 0


def test_buffer_pool_needs_at_least_one_buffer() -> None:
    with pytest.raises(ConfigError, match="max_buffers must be at least 1, got 0"):
        BufferPool((2, 2), np.uint8, max_buffers=0)
    with pytest.raises(ConfigError, match="no negative sizes, got"):
        BufferPool((2, -2), np.uint8)


def test_read_latest_on_a_lossless_connection_skips_nothing() -> None:
    source, sink = Source(), Sink()
    connection = wire(source.data, sink.data, profile="lossless", capacity=8)
    for number in range(3):
        source.data.write(DataFrame(number))
    assert [sink.data.read_latest().payload for _ in range(3)] == [0, 1, 2]
    assert sink.data.read_latest() is None
    assert connection.dropped == 0
