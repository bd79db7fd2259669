"""Tests for the event bus (topics, weak listeners, never-blocking publish) and event types."""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import time
from collections.abc import Iterator
from unittest.mock import ANY

import pytest

import streamlib as sl
from streamlib.core import (
    RUNTIME_TOPIC,
    ConnectionCreated,
    ConnectionRemoved,
    CustomEvent,
    Event,
    EventBus,
    ProcessorAdded,
    ProcessorErrored,
    ProcessorRemoved,
    ProcessorStarted,
    ProcessorState,
    ProcessorStateChanged,
    ProcessorStopped,
    RuntimePaused,
    RuntimeResumed,
    RuntimeStarted,
    RuntimeStopped,
    RuntimeWarned,
    Subscription,
    processor_topic,
)

WAIT_S = 10.0  # generous bound for correctness waits


@pytest.fixture
def bus() -> Iterator[EventBus]:
    event_bus = EventBus()
    yield event_bus
    event_bus.close()


def custom(name: str, topic: str = "scene", payload: object = None) -> CustomEvent:
    return CustomEvent(custom_topic=topic, name=name, payload=payload)


def flushed(event_bus: EventBus) -> None:
    assert event_bus.flush(WAIT_S), "the dispatcher did not catch up"


# -- subscribe, publish, flush -----------------------------------------------------------------


def test_events_reach_a_listener_in_order(bus: EventBus) -> None:
    got: list[Event] = []
    subscription = bus.subscribe("scene", got.append)
    events = [custom(f"cut-{i}") for i in range(100)]
    for event in events:
        bus.publish(event)
    flushed(bus)
    assert got == events
    assert got[0] is events[0]  # by reference
    assert subscription.delivered == 100
    assert (subscription.skipped, subscription.errors) == (0, 0)
    assert bus.published == 100


def test_flush_waits_for_the_callback_to_finish(bus: EventBus) -> None:
    seen: list[str] = []
    subscription = bus.subscribe("*", lambda event: seen.append(event.name))
    for i in range(300):
        bus.publish(custom(str(i)))
        flushed(bus)
        assert seen[-1] == str(i)  # flush returned only after the callback ran
    assert subscription.delivered == 300


def test_flush_times_out_while_a_listener_is_stuck(bus: EventBus) -> None:
    release = threading.Event()
    entered = threading.Event()

    def stuck(event: Event) -> None:
        entered.set()
        release.wait(WAIT_S)

    subscription = bus.subscribe("*", stuck)
    bus.publish(custom("a"))
    assert entered.wait(WAIT_S)
    assert bus.flush(0.05) is False
    release.set()
    flushed(bus)
    assert subscription.delivered == 1


def test_publish_without_listeners_is_counted_and_harmless(bus: EventBus) -> None:
    bus.publish(RuntimeStarted())
    assert bus.published == 1
    assert bus.skipped == 0
    assert bus.flush(WAIT_S)


# -- topics ----------------------------------------------------------------------------------


def test_topic_patterns(bus: EventBus) -> None:
    received: dict[str, list[str]] = {}
    subscriptions: list[Subscription] = []
    for pattern in ("runtime", "processor:*", "processor:src", "*", "scene", "sc*ne", "nothing"):
        names: list[str] = []
        received[pattern] = names
        subscriptions.append(bus.subscribe(pattern, lambda e, names=names: names.append(e.kind)))
    bus.publish(RuntimeStarted())
    bus.publish(ProcessorStarted(processor_id="src"))
    bus.publish(ProcessorStopped(processor_id="sink"))
    bus.publish(custom("cut"))
    bus.publish(ProcessorAdded(processor_id="src", type_name="TestPattern"))  # runtime topic
    flushed(bus)
    assert received["runtime"] == ["runtime_started", "processor_added"]
    assert received["processor:*"] == ["processor_started", "processor_stopped"]
    assert received["processor:src"] == ["processor_started"]
    assert received["*"] == [
        "runtime_started",
        "processor_started",
        "processor_stopped",
        "custom",
        "processor_added",
    ]
    assert received["scene"] == ["custom"]
    assert received["sc*ne"] == ["custom"]
    assert received["nothing"] == []
    assert [s.delivered for s in subscriptions] == [2, 2, 1, 5, 1, 1, 0]


def test_subscription_matches() -> None:
    event_bus = EventBus()
    subscription = Subscription(event_bus, "processor:*", print)
    assert subscription.matches("processor:src")
    assert subscription.matches("processor:")
    assert not subscription.matches("runtime")
    assert not subscription.matches("Processor:src")  # case matters
    assert Subscription(event_bus, "*", print).matches("anything:at:all")


# -- listener lifetime ---------------------------------------------------------------------------


def test_listeners_are_held_weakly(bus: EventBus) -> None:
    got: list[str] = []
    kept_got: list[str] = []
    subscription = bus.subscribe("*", lambda e: got.append(e.name))
    kept = bus.subscribe("*", lambda e: kept_got.append(e.name))
    bus.publish(custom("before"))
    flushed(bus)
    assert got == ["before"]
    del subscription
    gc.collect()
    bus.publish(custom("after"))
    flushed(bus)
    assert got == ["before"]  # the dropped listener heard nothing more
    assert kept_got == ["before", "after"]
    assert kept.delivered == 2


def test_last_dispatched_listener_is_released_too(bus: EventBus) -> None:
    # the dispatcher must not keep the last listener it served alive while it waits
    got: list[str] = []
    subscription = bus.subscribe("*", lambda e: got.append(e.name))
    bus.publish(custom("one"))
    flushed(bus)
    del subscription
    gc.collect()
    bus.publish(custom("two"))
    flushed(bus)
    assert got == ["one"]


def test_close_stops_deliveries(bus: EventBus) -> None:
    got: list[str] = []
    subscription = bus.subscribe("*", lambda e: got.append(e.name))
    bus.publish(custom("a"))
    flushed(bus)
    subscription.close()
    subscription.close()  # twice is fine
    bus.publish(custom("b"))
    flushed(bus)
    assert got == ["a"]
    assert subscription.delivered == 1


def test_subscription_as_context_manager(bus: EventBus) -> None:
    got: list[str] = []
    with bus.subscribe("*", lambda e: got.append(e.name)) as subscription:
        bus.publish(custom("inside"))
        flushed(bus)
    bus.publish(custom("outside"))
    flushed(bus)
    assert got == ["inside"]
    assert subscription.delivered == 1


def test_closing_a_subscription_drops_its_queued_events(bus: EventBus) -> None:
    release = threading.Event()
    entered = threading.Event()
    got: list[str] = []

    def slow(event: Event) -> None:
        got.append(event.name)
        entered.set()
        release.wait(WAIT_S)

    subscription = bus.subscribe("scene", slow)
    bus.publish(custom("first"))
    assert entered.wait(WAIT_S)
    bus.publish(custom("queued"))  # waits in the inbox behind the running callback
    subscription.close()
    release.set()
    flushed(bus)
    assert got == ["first"]


# -- slow listeners ------------------------------------------------------------------------------


def test_a_slow_listener_never_blocks_the_publisher() -> None:
    event_bus = EventBus(inbox_size=8)
    release = threading.Event()
    entered = threading.Event()

    def slow(event: Event) -> None:
        entered.set()
        release.wait(WAIT_S)  # asleep until the publisher is done

    subscription = event_bus.subscribe("*", slow)
    try:
        event_bus.publish(custom("first"))
        assert entered.wait(WAIT_S)
        for i in range(5_000):
            event_bus.publish(custom(str(i)))  # would hang here if publish waited
        # the listener holds one event; its inbox holds 8; the rest were skipped
        assert subscription.skipped == 5_000 - 8
        assert event_bus.skipped == subscription.skipped
        assert event_bus.published == 5_001
    finally:
        release.set()
    flushed(event_bus)
    assert subscription.delivered == 9
    assert subscription.delivered + subscription.skipped == event_bus.published
    event_bus.close()


def test_a_sleeping_listener_gets_events_skipped() -> None:
    event_bus = EventBus(inbox_size=4)
    sleeper = threading.Event()

    def sleepy(event: Event) -> None:
        sleeper.wait(0.01)

    subscription = event_bus.subscribe("*", sleepy)
    for i in range(5_000):
        event_bus.publish(custom(str(i)))
    assert subscription.skipped > 0
    flushed(event_bus)
    assert subscription.delivered + subscription.skipped == 5_000
    assert subscription.delivered >= 4
    event_bus.close()


# -- listener errors -------------------------------------------------------------------------------


def test_listener_exceptions_are_counted_not_propagated(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    good: list[str] = []

    def fragile(event: Event) -> None:
        if event.name.startswith("bad"):
            raise RuntimeError(f"cannot handle {event.name}")
        good.append(event.name)

    others: list[str] = []
    subscription = bus.subscribe("*", fragile)
    bystander = bus.subscribe("*", lambda e: others.append(e.name))
    with caplog.at_level(logging.ERROR, logger="streamlib.events"):
        for name in ("ok-1", "bad-1", "ok-2", "bad-2", "ok-3"):
            bus.publish(custom(name))  # never raises
        flushed(bus)
    assert good == ["ok-1", "ok-2", "ok-3"]
    assert subscription.errors == 2
    assert subscription.delivered == 3
    assert others == ["ok-1", "bad-1", "ok-2", "bad-2", "ok-3"]
    assert bystander.errors == 0
    failures = [r for r in caplog.records if r.name == "streamlib.events"]
    assert len(failures) == 2
    assert failures[0].exc_info is not None
    assert "cannot handle bad-1" in str(failures[0].exc_info[1])


# -- closing the bus ---------------------------------------------------------------------------


def delivery_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("streamlib-events:")]


def test_each_subscription_has_a_delivery_thread_that_close_stops() -> None:
    event_bus = EventBus()
    first = event_bus.subscribe("a", lambda e: None)
    second = event_bus.subscribe("b", lambda e: None)
    threads = [first._thread, second._thread]
    assert all(t is not None and t.is_alive() and t.daemon for t in threads)
    assert {t.name for t in threads if t is not None} == {
        "streamlib-events:a",
        "streamlib-events:b",
    }
    event_bus.close()
    assert not any(t is not None and t.is_alive() for t in threads)
    event_bus.close()  # twice is fine
    assert first.delivered == second.delivered == 0


def test_a_dropped_subscription_ends_its_thread() -> None:
    event_bus = EventBus()
    subscription = event_bus.subscribe("*", lambda e: None)
    thread = subscription._thread
    assert thread is not None
    del subscription
    gc.collect()
    thread.join(timeout=WAIT_S)  # it notices within its idle check
    assert not thread.is_alive()
    event_bus.close()


def test_a_slow_listener_does_not_delay_the_others() -> None:
    event_bus = EventBus(inbox_size=128)
    release = threading.Event()
    entered = threading.Event()
    fast: list[str] = []

    def stuck(event: Event) -> None:
        entered.set()
        release.wait(WAIT_S)

    slow = event_bus.subscribe("*", stuck)
    quick = event_bus.subscribe("*", lambda e: fast.append(e.name))
    try:
        event_bus.publish(custom("first"))
        assert entered.wait(WAIT_S)
        for i in range(100):
            event_bus.publish(custom(str(i)))
        deadline = time.monotonic() + WAIT_S
        while len(fast) < 101 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(fast) == 101  # every event, while the other listener is stuck
        assert slow.delivered == 0
    finally:
        release.set()
    assert event_bus.flush(WAIT_S)
    assert slow.delivered == 101
    assert slow.skipped == quick.skipped == 0
    event_bus.close()


def test_a_closed_bus_delivers_nothing() -> None:
    event_bus = EventBus()
    event_bus.close()
    got: list[Event] = []
    subscription = event_bus.subscribe("*", got.append)
    assert subscription._thread is None
    event_bus.publish(custom("late"))  # still never raises
    assert got == []
    assert subscription.delivered == 0


# -- events ------------------------------------------------------------------------------------


def test_processor_topic() -> None:
    assert processor_topic("src") == "processor:src"
    assert RUNTIME_TOPIC == "runtime"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (RuntimeStarted(timestamp_ns=5), {"kind": "runtime_started", "topic": "runtime"}),
        (RuntimePaused(timestamp_ns=5), {"kind": "runtime_paused", "topic": "runtime"}),
        (RuntimeResumed(timestamp_ns=5), {"kind": "runtime_resumed", "topic": "runtime"}),
        (RuntimeStopped(timestamp_ns=5), {"kind": "runtime_stopped", "topic": "runtime"}),
        (
            RuntimeWarned(timestamp_ns=5, message="no realtime priority", processor_id="mic"),
            {
                "kind": "runtime_warned",
                "topic": "runtime",
                "message": "no realtime priority",
                "processor_id": "mic",
            },
        ),
        (
            ProcessorAdded(timestamp_ns=5, processor_id="src", type_name="TestPattern"),
            {
                "kind": "processor_added",
                "topic": "runtime",
                "processor_id": "src",
                "type_name": "TestPattern",
            },
        ),
        (
            ProcessorRemoved(timestamp_ns=5, processor_id="src"),
            {"kind": "processor_removed", "topic": "runtime", "processor_id": "src"},
        ),
        (
            ProcessorStarted(timestamp_ns=5, processor_id="src"),
            {"kind": "processor_started", "topic": "processor:src", "processor_id": "src"},
        ),
        (
            ProcessorStopped(timestamp_ns=5, processor_id="src"),
            {"kind": "processor_stopped", "topic": "processor:src", "processor_id": "src"},
        ),
        (
            ProcessorStateChanged(
                timestamp_ns=5,
                processor_id="src",
                old=ProcessorState.RUNNING,
                new=ProcessorState.BACKING_OFF,
            ),
            {
                "kind": "processor_state_changed",
                "topic": "processor:src",
                "processor_id": "src",
                "old": "running",
                "new": "backing_off",
            },
        ),
        (
            ProcessorErrored(
                timestamp_ns=5,
                processor_id="fx",
                error_type="ZeroDivisionError",
                message="division by zero",
                phase="process",
                action="restart",
                restart_in_s=0.2,
            ),
            {
                "kind": "processor_errored",
                "topic": "processor:fx",
                "processor_id": "fx",
                "error_type": "ZeroDivisionError",
                "message": "division by zero",
                "phase": "process",
                "action": "restart",
                "restart_in_s": 0.2,
            },
        ),
        (
            ConnectionCreated(
                timestamp_ns=5,
                connection_id="a.video->b.video",
                source="a.video",
                target="b.video",
                profile="latest",
                capacity=3,
            ),
            {
                "kind": "connection_created",
                "topic": "runtime",
                "connection_id": "a.video->b.video",
                "source": "a.video",
                "target": "b.video",
                "profile": "latest",
                "capacity": 3,
            },
        ),
        (
            ConnectionRemoved(timestamp_ns=5, connection_id="a.video->b.video"),
            {
                "kind": "connection_removed",
                "topic": "runtime",
                "connection_id": "a.video->b.video",
            },
        ),
        (
            CustomEvent(timestamp_ns=5, custom_topic="scene", name="cut", payload={"to": "cam2"}),
            {
                "kind": "custom",
                "topic": "scene",
                "custom_topic": "scene",
                "name": "cut",
                "payload": {"to": "cam2"},
            },
        ),
    ],
    ids=lambda value: value.kind if isinstance(value, Event) else "",
)
def test_event_to_dict(event: Event, expected: dict[str, object]) -> None:
    assert event.to_dict() == {**expected, "timestamp_ns": 5}
    assert event.topic == expected["topic"]


def test_events_are_immutable_and_keyword_only() -> None:
    event = ProcessorStarted(processor_id="src")
    assert event.timestamp_ns == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.processor_id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ProcessorStarted("src")  # type: ignore[misc]


def test_events_published_on_their_own_topics(bus: EventBus) -> None:
    by_topic: list[tuple[str, str]] = []
    subscription = bus.subscribe("*", lambda e: by_topic.append((e.topic, e.kind)))
    bus.publish(ProcessorErrored(
        processor_id="fx", error_type="E", message="m", phase="setup", action="stop"
    ))  # fmt: skip
    bus.publish(ConnectionRemoved(connection_id="a.x->b.y"))
    flushed(bus)
    assert by_topic == [("processor:fx", "processor_errored"), ("runtime", "connection_removed")]
    assert subscription.delivered == 2


def test_snapshots_give_json_text_and_a_dict() -> None:
    import json

    with sl.Runtime() as rt:
        stats = rt.statistics()
        assert isinstance(stats.to_json(), str)
        assert json.loads(stats.to_json()) == {**stats.to_dict(), "taken_at_monotonic_ns": ANY}
        event = RuntimeWarned(message="hi")
        assert json.loads(event.to_json()) == event.to_dict()
        assert json.loads(rt.graph.to_json(indent=2)) == rt.graph.to_dict()
