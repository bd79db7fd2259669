"""Watching an output (``OutputPort.watch``): frames handed over by reference on the
producer's thread, never a wait, what the reader never took counted, a kept frame made
read-only, and nothing else changed (connections, their counters, end of stream)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import streamlib as sl
from streamlib.core import Connection, DeliveryProfile, OutputPort, OutputWatcher, PortRef


class Source(sl.Processor):
    out = sl.Output(sl.VideoFrame)


def port_with_consumer() -> tuple[OutputPort[sl.VideoFrame], Connection[sl.VideoFrame]]:
    port = Source().outputs["out"]
    connection: Connection[sl.VideoFrame] = Connection(
        PortRef.parse("src.out"), PortRef.parse("sink.in"), DeliveryProfile.FIFO, 64
    )
    port.attach(connection)
    return port, connection


def frame(number: int) -> sl.VideoFrame:
    return sl.VideoFrame(np.zeros((4, 4, 3), np.uint8), "rgb24", frame_number=number)


def test_an_on_demand_watcher_keeps_only_the_frame_written_after_it_asked() -> None:
    port, _ = port_with_consumer()
    watcher = OutputWatcher.on_demand()
    port.watch(watcher)
    for n in range(3):
        port.write(frame(n))
    assert watcher.take() == []  # nobody had asked: nothing kept; now it asked
    port.write(frame(3))  # kept for the next take
    port.write(frame(4))  # not asked for again: counted
    assert [f.frame_number for f in watcher.take()] == [3]
    assert watcher.missed == 4
    later = threading.Timer(0.05, lambda: port.write(frame(5)))
    later.start()  # written while take() waits
    assert [f.frame_number for f in watcher.take(timeout_s=5.0)] == [5]
    later.join()
    assert watcher.missed == 4


def test_an_on_demand_watcher_has_a_frame_for_every_take_while_frames_come() -> None:
    """A preview asking N times a second shows N frames a second, not every other one."""
    port, _ = port_with_consumer()
    watcher = OutputWatcher.on_demand()
    port.watch(watcher)
    assert watcher.take() == []  # the first look asks
    shown = []
    for n in range(1, 6):
        port.write(frame(2 * n))  # kept: asked for by the previous take
        port.write(frame(2 * n + 1))  # not asked for: counted
        shown += [f.frame_number for f in watcher.take()]
    assert shown == [2, 4, 6, 8, 10]
    assert watcher.missed == 5


def test_an_every_frame_watcher_keeps_the_newest_until_taken() -> None:
    port, _ = port_with_consumer()
    watcher = OutputWatcher.every_frame(keep=3)
    port.watch(watcher)
    for n in range(5):
        port.write(frame(n))
    assert [f.frame_number for f in watcher.take()] == [2, 3, 4]
    assert watcher.missed == 2
    port.write(frame(5))
    assert [f.frame_number for f in watcher.take()] == [5]
    assert watcher.take() == []


def test_watching_changes_no_connection_and_not_the_end_of_stream() -> None:
    port, connection = port_with_consumer()
    watcher = OutputWatcher.every_frame(keep=2)
    port.watch(watcher)
    assert port.connections == (connection,)
    frames = [frame(n) for n in range(3)]
    for f in frames:
        port.write(f)
    port.end()
    assert connection.pop_all() == frames  # the very objects: no copy
    assert connection.at_end
    assert connection.statistics().dropped == 0
    assert port.frames_out == 3
    taken = watcher.take()
    assert taken == frames[1:]
    assert taken[0] is frames[1]


def test_a_kept_frame_is_read_only_and_an_unwatched_one_stays_writable() -> None:
    port, connection = port_with_consumer()
    alone = frame(0)
    port.write(alone)
    assert not alone.is_frozen, "a single consumer may work in place"
    watcher = OutputWatcher.every_frame(keep=1)
    port.watch(watcher)
    watched = frame(1)
    port.write(watched)
    assert watched.is_frozen, "the watcher's reader shares it with the consumer"
    with pytest.raises(ValueError, match="read-only"):
        watched.to_ndarray()[0, 0, 0] = 1
    port.unwatch(watcher)
    after = frame(2)
    port.write(after)
    assert not after.is_frozen
    assert [f.frame_number for f in connection.pop_all()] == [0, 1, 2]


def test_an_on_demand_watcher_leaves_frames_it_does_not_keep_writable() -> None:
    port, _ = port_with_consumer()
    port.watch(OutputWatcher.on_demand())
    unwanted = frame(0)
    port.write(unwanted)
    assert not unwanted.is_frozen


def test_closing_a_watcher_wakes_its_reader_and_keeps_nothing_more() -> None:
    port, _ = port_with_consumer()
    watcher = OutputWatcher.every_frame(keep=4)
    port.watch(watcher)
    threading.Timer(0.05, watcher.close).start()
    started = time.monotonic()
    assert watcher.take(timeout_s=10.0) == []
    assert time.monotonic() - started < 5.0
    port.write(frame(0))
    assert watcher.take() == []
    assert watcher.closed
    port.unwatch(watcher)
    assert port.watchers == ()


def test_watch_and_unwatch_are_idempotent() -> None:
    port, _ = port_with_consumer()
    watcher = OutputWatcher.on_demand()
    port.watch(watcher)
    port.watch(watcher)
    assert port.watchers == (watcher,)
    port.unwatch(watcher)
    port.unwatch(watcher)
    assert port.watchers == ()


def test_a_watcher_keeps_at_least_one_frame() -> None:
    with pytest.raises(sl.ConfigError, match="at least 1"):
        OutputWatcher.every_frame(keep=0)
