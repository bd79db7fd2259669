"""Processors sharing one worker process (``process="dsp"``, ``process: dsp``), for real.

Each test starts real worker processes and sends real frames through iceoryx2
shared memory between the parent and the group's worker; between two members of
a group frames stay inside that worker. The processors they run are in
tests/isolation_support.py, at module level, because the worker imports them.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip(
    "iceoryx2", reason="iceoryx2 is not installed (pip install 'streamlib[process]')"
)

import streamlib as sl
from isolation_support import TOPIC, AddGain, RaisesOnFrame, Ticks
from runtime_support import WAIT_S, EventLog, wait_until
from streamlib.cli import main
from streamlib.control import PipelineHost, call_operation
from streamlib.pipelines import dump_pipeline, parse_pipeline
from streamlib.processors import Collector, Passthrough, TestPattern
from worker_support import (
    FAST_RESTARTS,
    errors_of,
    every_frame_arrived,
    flat_out_through,
    pids_that_said,
    process_of,
    registry,
    small_pattern,
)


@pytest.fixture
def runtime() -> Iterator[sl.Runtime]:
    """A runtime that restarts failed processors quickly; closed (workers stopped) after."""
    rt = sl.Runtime(backoff=FAST_RESTARTS)
    try:
        yield rt
    finally:
        rt.close()


def corner(collector: Any) -> int | None:
    frames = collector.received()
    return int(frames[-1].to_ndarray()[0, 0, 0]) if frames else None


# -- one process, several processors ---------------------------------------------------


def test_two_processors_in_one_named_process_share_its_pid_and_frames_come_back_in_order(
    runtime: sl.Runtime,
) -> None:
    """a and b run in process "dsp" (one pid), c in a process of its own: every frame
    goes through all three, in order, raised by 1 + 2 + 3; a -> b stays inside dsp
    (no channel), yet its statistics count what crossed it there."""
    rt = runtime
    log = EventLog(rt.events, TOPIC)
    src = rt.add(TestPattern, id="src", **small_pattern(frames=20, realtime=False))
    a = rt.add(AddGain, id="a", process="dsp", gain=1)
    b = rt.add(AddGain, id="b", process="dsp", gain=2)
    c = rt.add(AddGain, id="c", isolation="process", gain=3)
    out = rt.add(Collector, id="out")
    ref = rt.add(Collector, id="ref")
    rt.connect(src.video, a.video_in, profile="lossless")
    rt.connect(a.video_out, b.video_in, profile="lossless")
    rt.connect(b.video_out, c.video_in, profile="lossless")
    rt.connect(c.video_out, out.video, profile="lossless")
    rt.connect(src.video, ref.video, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    changed = rt.processor("out").received()
    original = rt.processor("ref").received()
    assert [f.frame_number for f in changed] == list(range(20))
    for before, after in zip(original, changed, strict=True):
        assert isinstance(before, sl.VideoFrame)
        assert isinstance(after, sl.VideoFrame)
        expected = np.clip(before.to_ndarray().astype(np.int16) + 6, 0, 255)
        np.testing.assert_array_equal(after.to_ndarray(), expected.astype(np.uint8))
    stats = rt.statistics()
    processes = {pid: stats.processors[pid].process for pid in ("a", "b", "c")}
    assert all(process is not None for process in processes.values())
    pa, pb, pc = (processes[pid] or {} for pid in ("a", "b", "c"))
    assert pa["pid"] == pb["pid"]
    assert len({pa["pid"], pc["pid"], os.getpid()}) == 3
    assert (pa["name"], pb["name"]) == ("dsp", "dsp")
    assert "name" not in pc
    assert sorted(pids_that_said(log, "started")) == sorted({pa["pid"], pc["pid"]})
    # Only the group's edges crossed: into a, out of b.
    assert (pa["hops_in"], pa["hops_out"]) == (20, 0)
    assert (pb["hops_in"], pb["hops_out"]) == (0, 20)
    assert stats.processors["a"].type == "AddGain"
    inside = next(s for s in stats.connections if s.source == "a.video_out")
    assert (inside.written, inside.delivered, inside.dropped) == (20, 20, 0)
    assert stats.processors["a"].frames_out == 20
    assert stats.processors["b"].frames_in == 20


def test_a_stop_while_frames_are_in_flight_through_a_named_process_loses_none(
    runtime: sl.Runtime,
) -> None:
    """Flat out through a -> b, both in process "dsp", then stop: the last member's
    stand-in stops the worker in order and writes on all it sent, so every frame made
    reaches the sink, as in one process."""
    rt = runtime
    a = rt.add(AddGain, id="a", process="dsp", gain=1)
    b = rt.add(AddGain, id="b", process="dsp", gain=2)
    collector = flat_out_through(rt, a, b)
    rt.stop()

    stats = every_frame_arrived(rt, collector)
    assert (stats.processors["b"].process or {})["hop_drops_out"] == 0


def test_a_live_config_change_reaches_the_member_it_is_for(runtime: sl.Runtime) -> None:
    rt = runtime
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50, speed=0))
    a = rt.add(AddGain, id="a", process="dsp", gain=0)
    b = rt.add(AddGain, id="b", process="dsp", gain=0)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, a.video_in)
    rt.connect(a.video_out, b.video_in)
    rt.connect(b.video_out, out.video)
    rt.start()
    collector = rt.processor("out")

    wait_until(lambda: corner(collector) == 235, what="frames with gain 0 (white bar: 235)")
    rt.update_config("b", gain=12)
    wait_until(lambda: corner(collector) == 247, what="frames with b's gain 12")
    rt.update_config("a", gain=3)
    wait_until(lambda: corner(collector) == 250, what="frames with a's gain 3 and b's 12")
    assert (rt.processor("a").config.gain, rt.processor("b").config.gain) == (3, 12)
    pid = process_of(rt, "a")["pid"]
    assert process_of(rt, "b")["pid"] == pid
    # Its members are fixed while it runs: a late one is refused before anything changes;
    # a removed one leaves the worker, which goes on for the others.
    with pytest.raises(sl.RuntimeStateError, match="already runs"):
        rt.add(AddGain, id="late", process="dsp")
    assert "late" not in rt.graph.processors()
    log = EventLog(rt.events)
    rt.remove("a")
    time.sleep(0.3)
    assert rt.processor_state("b") is sl.ProcessorState.RUNNING
    assert process_of(rt, "b")["pid"] == pid
    assert log.of(sl.ProcessorErrored) == []


def test_pausing_pauses_the_group_worker_and_stop_leaves_nothing_running(
    runtime: sl.Runtime,
) -> None:
    """A paced source and a passthrough in one process: nothing is made while the
    runtime is paused, frames come again after resume, and stop ends the worker."""
    rt = runtime
    src = rt.add(Ticks, id="ticks", process="g", rate_hz=50)
    fx = rt.add(Passthrough, id="fx", process="g")
    out = rt.add(Collector, id="out")
    rt.connect(src.data, fx.frames_in)
    rt.connect(fx.frames_out, out.data)
    rt.start()
    collector = rt.processor("out")
    pid = process_of(rt, "ticks")["pid"]
    assert process_of(rt, "fx")["pid"] == pid

    wait_until(lambda: len(collector.received("data")) >= 5, what="ticks before the pause")
    rt.pause()
    paused_at = time.monotonic()
    time.sleep(1.2)  # a window to make nothing in: what is checked is that nothing was made
    resumed_at = time.monotonic()
    rt.resume()
    wait_until(
        lambda: any(f.payload["made_s"] > resumed_at for f in collector.received("data")),
        what="ticks after the resume",
    )
    made = [f.payload["made_s"] for f in collector.received("data")]
    assert [t for t in made if paused_at + 0.5 < t < resumed_at] == []
    assert {f.payload["pid"] for f in collector.received("data")} == {pid}

    rt.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped by the runtime, not a zombie
    patterns = ("streamlib-*-receive-*", "streamlib-worker-*")
    threads = [t.name for t in threading.enumerate()]
    assert [n for n in threads if any(fnmatch.fnmatch(n, p) for p in patterns)] == []


# -- crashes ---------------------------------------------------------------------------


def test_a_killed_group_worker_fails_every_member_and_restarts_once_for_all(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    a = rt.add(AddGain, id="a", process="dsp", gain=1)
    b = rt.add(AddGain, id="b", process="dsp", gain=1)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, a.video_in)
    rt.connect(a.video_out, b.video_in)
    rt.connect(b.video_out, out.video)
    rt.start()
    collector = rt.processor("out")
    wait_until(lambda: len(collector.received()) >= 3, what="frames from the first worker")
    first = process_of(rt, "a")["pid"]

    os.kill(first, signal.SIGKILL)

    wait_until(
        lambda: bool(errors_of(log, "a")) and bool(errors_of(log, "b")),
        what="both members' errors",
    )
    for member in ("a", "b"):
        [error] = errors_of(log, member)
        assert error.error_type == "WorkerDiedError"
        assert error.action == "restart"
        assert re.search(
            rf"the worker process 'dsp' .*\(pid {first}\) was killed by SIGKILL", error.message
        )
    received = len(collector.received())
    wait_until(lambda: len(collector.received()) >= received + 5, what="frames after the restart")
    fresh = process_of(rt, "a")["pid"]
    assert fresh != first
    assert process_of(rt, "b")["pid"] == fresh
    # One fresh worker for the group, not one per member.
    assert pids_that_said(log, "started") == [first, fresh]
    stats = rt.statistics().processors
    assert (stats["a"].restarts, stats["b"].restarts) == (1, 1)


def test_a_members_exception_is_its_error_and_the_other_members_names_it(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    a = rt.add(AddGain, id="a", process="dsp", error_policy="stop")
    b = rt.add(RaisesOnFrame, id="b", process="dsp", error_policy="stop", fail_on=3)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, a.video_in)
    rt.connect(a.video_out, b.video_in)
    rt.connect(b.video_out, out.video)
    rt.start()

    wait_until(
        lambda: bool(errors_of(log, "a")) and bool(errors_of(log, "b")),
        what="both members' errors",
    )
    [own] = errors_of(log, "b")
    assert own.error_type == "WorkerDiedError"
    assert own.message == "ValueError in process: deliberate failure on frame 3"
    [other] = errors_of(log, "a")
    assert other.error_type == "WorkerDiedError"
    assert "stopped because b failed: ValueError in process" in other.message
    for member in ("a", "b"):
        wait_until(
            lambda m=member: rt.processor_state(m) is sl.ProcessorState.FAILED,  # type: ignore[misc]
            what=f"{member} failed",
        )
    assert rt.processor_state("src") is sl.ProcessorState.RUNNING


# -- errors before anything runs -------------------------------------------------------


def test_a_bad_process_name_or_isolation_thread_with_a_name_is_refused() -> None:
    with sl.Runtime() as rt:
        with pytest.raises(sl.ConfigError, match="not a process name"):
            rt.add(AddGain, process="my dsp")
        with pytest.raises(sl.ConfigError, match="isolation='thread'"):
            rt.add(AddGain, process="dsp", isolation="thread")
        assert rt.graph.processors() == {}


def test_the_operations_layer_adds_members_of_a_named_process() -> None:
    """MCP's and the web's add_processor take ``process``; what it made saves back."""
    host = PipelineHost()
    try:
        for type_name, pid in (("Brightness", "bright"), ("ColorInvert", "invert")):
            added = call_operation(
                host, "add_processor", {"type": type_name, "id": pid, "process": "fx"}
            )
            assert not added.is_error, added.structured
        assert host.runtime.processor("bright").process_name == "fx"
        assert host.runtime.processor("invert").isolation == "process"
        refused = call_operation(
            host, "add_processor", {"type": "Brightness", "id": "b2", "process": "f x"}
        )
        assert refused.is_error
        assert "not a process name" in refused.structured["message"]
        saved = host.runtime.graph.to_dict()["processors"]
        assert saved["bright"]["process"] == "fx"
    finally:
        host.close()


# -- pipeline files and the command line -----------------------------------------------


PIPELINE = """\
processors:
  src: {type: TestPattern, config: {width: 32, height: 16, frames: 10, realtime: false}}
  a:
    type: AddGain
    process: dsp
    config: {gain: 1}
  b: {type: AddGain, process: dsp, config: {gain: 2}}
  out: {type: Collector}
connections:
  - {from: src.video, to: a.video_in, profile: lossless}
  - {from: a.video_out, to: b.video_in, profile: lossless}
  - {from: b.video_out, to: out.video, profile: lossless}
"""


def test_a_pipeline_file_with_a_named_process_runs_in_one_worker(tmp_path: Path) -> None:
    path = tmp_path / "grouped.yaml"
    path.write_text(PIPELINE, encoding="utf-8")
    with sl.Runtime(registry=registry()) as rt:
        log = EventLog(rt.events, TOPIC)
        rt.load(path)
        assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED
        assert [f.frame_number for f in rt.processor("out").received()] == list(range(10))
        [pid] = pids_that_said(log, "started")
        processes = [rt.statistics().processors[p].process for p in ("a", "b")]
        assert [p["pid"] if p else None for p in processes] == [pid, pid]
        assert pid != os.getpid()


def test_process_survives_a_dump_and_parse_round_trip() -> None:
    spec = parse_pipeline(PIPELINE, path="p.yaml")
    assert (spec.processor("a").isolation, spec.processor("a").process) == ("process", "dsp")
    assert (spec.processor("src").isolation, spec.processor("src").process) == ("thread", None)
    dumped = dump_pipeline(spec)
    assert "process: dsp" in dumped
    assert "isolation" not in dumped  # a process name says it
    again = parse_pipeline(dumped, path="dumped.yaml")
    assert again == spec
    both = PIPELINE.replace("process: dsp\n", "process: dsp\n    isolation: process\n", 1)
    assert parse_pipeline(both, path="both.yaml") == spec


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        ("process: dsp\n", "process: my dsp\n", ("my dsp", "not a process name")),
        ("process: dsp\n", "process: [dsp]\n", ("'process'",)),
        ("process: dsp\n", "process: dsp\n    isolation: thread\n", ("isolation: thread",)),
    ],
)
def test_a_bad_process_in_a_pipeline_file_names_its_line(
    change: str, line: str, words: tuple[str, ...]
) -> None:
    text = PIPELINE.replace(change, line, 1)
    with pytest.raises(sl.PipelineFileError) as info:
        parse_pipeline(text, path="bad.yaml")
    expected = 6 if "isolation" in line else 5
    assert info.value.line == expected
    assert str(info.value).startswith(f"bad.yaml:{expected}: ")
    for word in words:
        assert word in str(info.value)


BUILT_INS = """\
processors:
  src: {type: TestPattern, config: {width: 32, height: 16, frames: 8, realtime: false}}
  bright: {type: Brightness, process: video-fx}
  invert: {type: ColorInvert, process: video-fx}
  own: {type: Passthrough, isolation: process}
  sink: {type: NullSink}
connections:
  - {from: src.video, to: bright.video_in, profile: lossless}
  - {from: bright.video_out, to: invert.video_in, profile: lossless}
  - {from: invert.video_out, to: own.frames_in, profile: lossless}
  - {from: own.frames_out, to: sink.video, profile: lossless}
"""


def built_ins(tmp_path: Path) -> Path:
    path = tmp_path / "fx.yaml"
    path.write_text(BUILT_INS, encoding="utf-8")
    return path


def test_streamlib_graph_draws_a_named_process_as_one_box_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = built_ins(tmp_path)
    assert main(["graph", str(path), "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    cluster = re.search(r'subgraph "cluster_process_video-fx" \{(.*?)\n  \}', dot, re.S)
    assert cluster, dot
    assert 'label="process video-fx"' in cluster[1]
    assert '"bright"' in cluster[1]
    assert '"invert"' in cluster[1]
    assert '"own"' not in cluster[1]
    assert re.search(r'"own" \[label="own\\nPassthrough\\n\(own process\)", peripheries=2', dot)

    assert main(["graph", str(path), "--format", "mermaid"]) == 0
    mermaid = capsys.readouterr().out
    assert '  subgraph process_video_hfx["process video-fx"]' in mermaid
    block = mermaid.split('["process video-fx"]')[1].split("  end")[0]
    assert "p_bright[" in block
    assert "p_invert[" in block
    assert "p_own" not in block

    assert main(["graph", str(path), "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert graph["processors"]["bright"]["process"] == "video-fx"
    assert "process" not in graph["processors"]["own"]


def test_streamlib_run_shows_each_member_with_its_shared_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = built_ins(tmp_path)
    stats_path = tmp_path / "stats.json"
    assert main(["run", str(path), "--stats-json", str(stats_path)]) == 0
    stats = json.loads(stats_path.read_text())["processors"]
    bright, invert, own = (stats[p]["process"] for p in ("bright", "invert", "own"))
    assert bright["pid"] == invert["pid"] != own["pid"]
    assert bright["name"] == invert["name"] == "video-fx"
    assert stats["sink"]["frames_in"] == 8
    table = capsys.readouterr().err
    assert re.search(rf"bright \[video-fx\]\s+{bright['pid']}\s", table), table
    assert re.search(rf"invert \[video-fx\]\s+{bright['pid']}\s", table), table
    assert re.search(rf"own\s+{own['pid']}\s", table), table
