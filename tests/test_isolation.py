"""Processors in worker processes of their own (``isolation="process"``), for real.

Every test here starts real worker processes (``python -m
streamlib.runtime._isolation._child``) and sends real frames through iceoryx2
shared memory; nothing is mocked. The processors they run are in
tests/isolation_support.py, at module level, because the worker imports them.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import select
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

iceoryx2 = pytest.importorskip(
    "iceoryx2", reason="iceoryx2 is not installed (pip install 'streamlib[process]')"
)

import streamlib as sl  # noqa: E402
from isolation_support import (  # noqa: E402
    TOPIC,
    AddGain,
    ExitsOnFrame,
    PidSink,
    RaisesOnFrame,
    SegfaultsOnFrame,
    Ticks,
)
from runtime_support import WAIT_S, EventLog, wait_until  # noqa: E402
from streamlib.cli._live_stats import render_stats  # noqa: E402
from streamlib.core import RuntimePaused  # noqa: E402
from streamlib.ipc import cleanup_dead_nodes  # noqa: E402
from streamlib.pipelines import dump_pipeline, parse_pipeline  # noqa: E402
from streamlib.processors import Collector, TestPattern  # noqa: E402
from worker_support import (  # noqa: E402
    FAST_RESTARTS,
    errors_of,
    every_frame_arrived,
    flat_out_through,
    pids_that_said,
    process_of,
    registry,
    small_pattern,
)

TESTS_DIR = Path(__file__).resolve().parent
SHARED_MEMORY_ROOTS = (Path("/dev/shm"), Path("/tmp/iceoryx2"))
NODES_DIR = Path("/tmp/iceoryx2/nodes")
SERVICES_DIR = Path("/tmp/iceoryx2/services")
WORKER_PROCESS_KEYS = {
    "pid",
    "cpu_percent",
    "rss_mb",
    "hops_in",
    "hops_out",
    "hop_drops_in",
    "hop_drops_out",
    "hops_out_in_place",
    "lost_in_crashes",
    "gpu_downloads",
    "gpu_download_ms",
}


# -- helpers ---------------------------------------------------------------------------


def is_gone(pid: int) -> bool:
    """The process no longer runs (a zombie nobody reaped yet counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def isolation_threads() -> list[str]:
    """The proxies' receivers and the threads that read their workers' pipes."""
    patterns = ("streamlib-*-receive-*", "streamlib-worker-*")
    return [
        thread.name
        for thread in threading.enumerate()
        if any(fnmatch.fnmatch(thread.name, pattern) for pattern in patterns)
    ]


def shared_memory_files() -> set[Path]:
    """Every file iceoryx2 keeps (``os.walk`` passes over what other processes remove
    while it looks)."""
    return {
        Path(folder, name)
        for root in SHARED_MEMORY_ROOTS
        for folder, _, names in os.walk(root)
        for name in names
    }


def iceoryx_nodes() -> list[tuple[str, int, bool]]:
    """Every iceoryx2 node on the machine: its id, its process, whether that lives."""
    ipc = iceoryx2.ServiceType.Ipc
    nodes = []
    for state in iceoryx2.Node.list(ipc, iceoryx2.config.global_config()):
        if isinstance(state, iceoryx2.NodeState.Alive | iceoryx2.NodeState.Dead):
            node = state._0.id
            nodes.append(
                (str(node.value), node.pid(ipc), isinstance(state, iceoryx2.NodeState.Alive))
            )
    return nodes


def names_of_living_nodes() -> set[str]:
    """What the names of the iceoryx2 files that living nodes rightly hold contain: the
    nodes' ids, their ports' ids, their services' hashes and the ids of those services'
    dynamic segments (iceoryx2 0.10's layout, which streamlib pins)."""
    names = set()
    for node, _, alive in iceoryx_nodes():
        if not alive:
            continue
        names.add(node)
        with contextlib.suppress(OSError):  # it may close while we look
            for tag in os.listdir(NODES_DIR / node):
                name, _, kind = tag.removeprefix("iox2_").partition(".")
                if kind == "port_tag":
                    names.add(name)
                elif kind == "service_tag":
                    names.add(name)
                    names.update(dynamic_segment_id(name))
    return names


def dynamic_segment_id(service_hash: str) -> list[str]:
    """The id in the name of a service's ``*.dynamic`` file in /dev/shm."""
    try:
        text = (SERVICES_DIR / f"iox2_{service_hash}.service").read_text(encoding="utf-8")
        unique = tomllib.loads(text)["unique_service_id"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return []
    return [str(unique["unique_value"] << 64 | unique["payload_value"])]


def of_no_living_node(files: set[Path]) -> set[Path]:
    """The files that belong to no living node: left behind by dead processes (but
    not the ``*.global_mgmt`` file iceoryx2 makes once and keeps)."""
    living = names_of_living_nodes()
    return {
        path
        for path in files
        if path.suffix != ".global_mgmt" and not any(name in str(path) for name in living)
    }


@pytest.fixture
def runtime() -> Iterator[sl.Runtime]:
    """A runtime that restarts failed processors quickly; closed (workers stopped) after."""
    rt = sl.Runtime(backoff=FAST_RESTARTS)
    try:
        yield rt
    finally:
        rt.close()


# -- frames cross ----------------------------------------------------------------------


def test_frames_cross_to_a_worker_process_and_come_back_changed_read_only_and_in_order(
    runtime: sl.Runtime,
) -> None:
    """A finite source's frames go through AddGain in another process and all come
    back, in order, each pixel raised by the gain; the run ends on its own."""
    rt = runtime
    log = EventLog(rt.events, TOPIC)
    src = rt.add(TestPattern, id="src", **small_pattern(frames=30, realtime=False))
    fx = rt.add(AddGain, id="fx", isolation="process", gain=7)
    out = rt.add(Collector, id="out")
    ref = rt.add(Collector, id="ref")
    rt.connect(src.video, fx.video_in, profile="lossless")
    rt.connect(fx.video_out, out.video, profile="lossless")
    rt.connect(src.video, ref.video, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    changed = rt.processor("out").received()
    original = rt.processor("ref").received()
    assert [f.frame_number for f in changed] == list(range(30))
    assert [f.frame_number for f in original] == list(range(30))
    for before, after in zip(original, changed, strict=True):
        assert isinstance(before, sl.VideoFrame)
        assert isinstance(after, sl.VideoFrame)
        assert after.data.flags.writeable is False
        expected = np.clip(before.to_ndarray().astype(np.int16) + 7, 0, 255)
        np.testing.assert_array_equal(after.to_ndarray(), expected.astype(np.uint8))
        assert after.timestamp_ns == before.timestamp_ns
    [pid] = pids_that_said(log, "started")
    assert pid != os.getpid()
    stats = rt.statistics().processors["fx"]
    assert stats.type == "AddGain"
    assert stats.process is not None
    assert stats.process["pid"] == pid
    assert set(stats.process) == WORKER_PROCESS_KEYS  # the final numbers keep their shape
    assert (stats.process["hops_in"], stats.process["hops_out"]) == (30, 30)


def test_a_live_config_change_changes_the_frames_that_come_back(runtime: sl.Runtime) -> None:
    rt = runtime
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50, speed=0))
    fx = rt.add(AddGain, id="fx", isolation="process", gain=0)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in)
    rt.connect(fx.video_out, out.video)
    rt.start()
    collector = rt.processor("out")

    def corner() -> int | None:
        frames = collector.received()
        return int(frames[-1].to_ndarray()[0, 0, 0]) if frames else None

    wait_until(lambda: corner() == 235, what="frames with gain 0 (white bar: 235)")
    stats = rt.statistics().processors["fx"].process
    assert stats is not None
    assert set(stats) == WORKER_PROCESS_KEYS
    assert stats["pid"] != os.getpid()
    rt.update_config("fx", gain=12)
    wait_until(lambda: corner() == 247, what="frames with gain 12")
    assert rt.processor("fx").config.gain == 12


def test_a_sink_and_a_source_can_each_run_in_a_worker_process(runtime: sl.Runtime) -> None:
    """An isolated source ends its stream and the run ends; an isolated sink sees it all."""
    rt = runtime
    log = EventLog(rt.events, TOPIC)
    src = rt.add(Ticks, id="ticks", isolation="process", rate_hz=200, frames=12)
    out = rt.add(Collector, id="out")
    pattern = rt.add(TestPattern, id="pattern", **small_pattern(frames=8, realtime=False))
    sink = rt.add(PidSink, id="sink", isolation="process")
    rt.connect(src.data, out.data, profile="lossless")
    rt.connect(pattern.video, sink.video_in, profile="lossless")

    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED

    ticks = rt.processor("out").received("data")
    assert [f.frame_number for f in ticks] == list(range(12))
    [source_pid] = {f.payload["pid"] for f in ticks}
    seen = [e.payload for e in log.of(sl.CustomEvent) if e.name == "seen"]
    assert [s["frame_number"] for s in seen] == list(range(8))
    [sink_pid] = {s["pid"] for s in seen}
    assert len({source_pid, sink_pid, os.getpid()}) == 3


# -- errors and crashes ----------------------------------------------------------------


def test_an_exception_in_the_worker_is_the_processors_error_and_stop_leaves_the_rest_running(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    fx = rt.add(RaisesOnFrame, id="fx", isolation="process", error_policy="stop", fail_on=3)
    out = rt.add(Collector, id="out")
    ref = rt.add(Collector, id="ref")
    rt.connect(src.video, fx.video_in)
    rt.connect(fx.video_out, out.video)
    rt.connect(src.video, ref.video)
    rt.start()

    wait_until(lambda: bool(errors_of(log, "fx")), what="the worker's error")
    [error] = errors_of(log, "fx")
    assert "ValueError" in error.message
    assert "deliberate failure on frame 3" in error.message
    assert error.phase == "process"
    wait_until(lambda: rt.processor_state("fx") is sl.ProcessorState.FAILED, what="fx failed")
    # The other branch keeps going without the failed processor.
    collector = rt.processor("ref")
    delivered = len(collector.received())
    wait_until(lambda: len(collector.received()) >= delivered + 10, what="frames on ref")
    assert rt.processor_state("src") is sl.ProcessorState.RUNNING
    # At most what fx wrote before it failed (frames still crossing when the error
    # overtook them are lost with the worker, as in any crash).
    assert len(rt.processor("out").received()) <= 2


def test_frames_sent_to_a_worker_that_fails_are_counted_not_lost_silently(
    runtime: sl.Runtime,
) -> None:
    """Every frame the stand-in took is either read by the processor in the worker or
    counted in ``lost_in_crashes`` (in the channel, or read from the parent's input
    but not sent when the worker failed); the error says how many."""
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(TestPattern, id="src", **small_pattern(fps=400))
    fx = rt.add(RaisesOnFrame, id="fx", isolation="process", error_policy="stop", fail_on=40)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in, profile="lossless", capacity=8)
    rt.connect(fx.video_out, out.video)
    rt.start()
    wait_until(lambda: rt.processor_state("fx") is sl.ProcessorState.FAILED, what="fx failed")
    rt.stop()
    stats = rt.statistics()
    taken = rt.connection("src.video", "fx.video_in").statistics().delivered
    process = stats.processors["fx"].process
    assert process is not None
    in_the_worker = rt.processor("fx").worker_statistics()  # its processor's own counters
    assert in_the_worker is not None
    assert taken == in_the_worker["processor"]["frames_in"] + process["lost_in_crashes"]
    [error] = errors_of(log, "fx")
    if process["lost_in_crashes"]:
        assert "lost with it" in error.message


@pytest.mark.parametrize(
    ("processor", "how"),
    [(SegfaultsOnFrame, "was killed by SIGSEGV"), (ExitsOnFrame, "exited with status 7")],
)
def test_a_worker_that_dies_is_restarted_as_a_fresh_process_and_frames_flow_again(
    runtime: sl.Runtime, processor: type[sl.Processor], how: str
) -> None:
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    fx = rt.add(processor, id="fx", isolation="process", fail_on=10)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in)
    rt.connect(fx.video_out, out.video)
    rt.start()

    wait_until(lambda: bool(errors_of(log, "fx")), what="the first worker's death")
    error = errors_of(log, "fx")[0]
    assert error.error_type == "WorkerDiedError"
    assert error.action == "restart"
    named = re.search(rf"the worker process for fx \(pid (\d+)\) {how}", error.message)
    assert named, error.message
    dead = int(named[1])
    assert dead != os.getpid()
    assert is_gone(dead)
    wait_until(
        lambda: any(pid != dead for pid in pids_that_said(log, "started")),
        what="a fresh worker process",
    )
    # The first worker sent at most 9 frames before dying: more came from a fresh one.
    collector = rt.processor("out")
    wait_until(lambda: len(collector.received()) >= 10, what="frames from a fresh worker")
    assert rt.statistics().processors["fx"].restarts >= 1


# -- pause, resume, stop ---------------------------------------------------------------


def test_pausing_the_runtime_pauses_the_worker_and_stop_leaves_nothing_running(
    runtime: sl.Runtime,
) -> None:
    """An isolated paced source makes nothing while the runtime is paused (each frame
    says when it was made), makes frames again after resume, and stop ends it."""
    rt = runtime
    src = rt.add(Ticks, id="ticks", isolation="process", rate_hz=50)
    out = rt.add(Collector, id="out")
    rt.connect(src.data, out.data)
    rt.start()
    collector = rt.processor("out")
    pid = process_of(rt, "ticks")["pid"]

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
    # The pause reaches the worker through the event bus and its stdin: allow for that.
    made_while_paused = [t for t in made if paused_at + 0.5 < t < resumed_at]
    assert made_while_paused == []
    assert {f.payload["pid"] for f in collector.received("data")} == {pid}

    assert "streamlib-ticks-receive-data" in isolation_threads()
    rt.stop()
    wait_until(lambda: is_gone(pid), timeout=2.0, what=f"worker {pid} to exit")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped by the runtime, not a zombie
    assert isolation_threads() == []


def test_a_stop_while_frames_are_in_flight_loses_none_of_them(runtime: sl.Runtime) -> None:
    """Stopping a pipeline that runs flat out through two processors in workers of their
    own (the edge between them goes worker to worker) hands every frame on, as in one
    process: what was queued for the first stage's worker, on its channel, inside each
    worker and on its way back all reach the sink, and nothing is counted as given up."""
    rt = runtime
    log = EventLog(rt.events)
    first = rt.add(AddGain, id="first", isolation="process", gain=1)
    second = rt.add(AddGain, id="second", isolation="process", gain=1)
    collector = flat_out_through(rt, first, second)
    rt.stop()

    every_frame_arrived(rt, collector)
    assert [e.message for e in log.of(sl.RuntimeWarned) if "given up" in e.message] == []


def test_a_stop_while_paused_resumes_the_worker_and_loses_nothing(runtime: sl.Runtime) -> None:
    """A pause while frames pile up for an isolated stage (more than its channel holds),
    then a stop: the stop unpauses the runtime to drain it, the stand-in tells its
    worker to resume, and every frame made reaches the sink, with no error (the paused
    worker used to make the stand-in's send time out: an error, frames given up)."""
    rt = runtime
    log = EventLog(rt.events)
    fx = rt.add(AddGain, id="fx", isolation="process", gain=1)
    collector = flat_out_through(rt, fx, capacity=64)
    rt.pause()
    wait_until(lambda: bool(log.of(RuntimePaused)), what="the pause to reach the worker's stand-in")
    time.sleep(0.3)  # the source fills the connection, the stand-in waits on the channel
    rt.stop()

    every_frame_arrived(rt, collector)
    assert log.of(sl.ProcessorErrored) == []


ORPHAN_PARENT = textwrap.dedent(
    """
    import time
    import streamlib as sl
    from isolation_support import Ticks
    from streamlib.processors import NullSink

    rt = sl.Runtime()
    src = rt.add(Ticks, id="ticks", isolation="process", rate_hz=20)
    sink = rt.add(NullSink, id="sink")
    rt.connect(src.data, sink.data)
    rt.start()
    while (process := rt.statistics().processors["ticks"].process) is None:
        time.sleep(0.01)
    print(process["pid"], flush=True)
    time.sleep(120)
    """
)


def test_a_worker_whose_parent_is_killed_exits_by_itself() -> None:
    """kill -9 of the parent closes the worker's stdin: it stops and exits on its own."""
    path = [str(TESTS_DIR), *(folder for folder in sys.path if folder)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    with subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PARENT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as parent:
        try:
            assert parent.stdout is not None
            ready, _, _ = select.select([parent.stdout], [], [], 30.0)
            assert ready, "the parent script printed no worker pid within 30 s"
            pid = int(parent.stdout.readline())
            assert not is_gone(pid)
            parent.kill()
            parent.wait(WAIT_S)
            wait_until(lambda: is_gone(pid), timeout=10.0, what=f"orphaned worker {pid} to exit")
        finally:
            if parent.poll() is None:
                parent.kill()
            cleanup_dead_nodes()  # what the parent killed by SIGKILL left behind


# -- pipeline files --------------------------------------------------------------------


PIPELINE = """\
processors:
  src: {type: TestPattern, config: {width: 32, height: 16, frames: 10, realtime: false}}
  fx:
    type: AddGain
    isolation: process
    config: {gain: 3}
  out: {type: Collector}
connections:
  - {from: src.video, to: fx.video_in, profile: lossless}
  - {from: fx.video_out, to: out.video, profile: lossless}
"""


def test_a_pipeline_file_runs_a_processor_with_isolation_process(tmp_path: Path) -> None:
    path = tmp_path / "isolated.yaml"
    path.write_text(PIPELINE, encoding="utf-8")
    with sl.Runtime(registry=registry()) as rt:
        log = EventLog(rt.events, TOPIC)
        rt.load(path)
        assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED
        frames = rt.processor("out").received()
        assert [f.frame_number for f in frames] == list(range(10))
        [pid] = pids_that_said(log, "started")
        assert pid != os.getpid()
        assert process_of(rt, "fx")["pid"] == pid
        assert rt.statistics().processors["fx"].type == "AddGain"


def test_an_unknown_isolation_in_a_pipeline_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "container.yaml"
    path.write_text(PIPELINE.replace("isolation: process", "isolation: container"), "utf-8")
    with sl.Runtime(registry=registry()) as rt, pytest.raises(sl.PipelineFileError) as info:
        rt.load(path)
    assert info.value.line == 5
    assert str(info.value).startswith(f"{path}:5: ")
    assert "container" in str(info.value)
    assert "process" in str(info.value)  # what to write instead
    assert rt.graph.processors() == {}  # nothing was added


def test_isolation_process_survives_a_dump_and_parse_round_trip() -> None:
    spec = parse_pipeline(PIPELINE, path="p.yaml")
    assert spec.processor("fx").isolation == "process"
    assert spec.processor("src").isolation == "thread"
    dumped = dump_pipeline(spec)
    assert "isolation: process" in dumped
    again = parse_pipeline(dumped, path="dumped.yaml")
    assert [(p.id, p.isolation) for p in again.processors] == [
        ("src", "thread"),
        ("fx", "process"),
        ("out", "thread"),
    ]
    assert again == spec


# -- shared memory ---------------------------------------------------------------------


CRASHES = 20
CRASH_LOOP_S = 40.0


def test_twenty_crashed_workers_leave_nothing_in_shared_memory(runtime: sl.Runtime) -> None:
    """Workers killed by SIGSEGV cannot remove their iceoryx2 files; the proxy cleans up
    after them, and after a stop nothing of a dead worker (nor a node of the parent's)
    is left. Other processes may use iceoryx2 meanwhile: their files are not counted."""
    cleanup_dead_nodes()
    before = shared_memory_files()
    nodes_before = {node for node, pid, _ in iceoryx_nodes() if pid == os.getpid()}
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    fx = rt.add(SegfaultsOnFrame, id="fx", isolation="process", fail_on=1)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in)
    rt.connect(fx.video_out, out.video)
    rt.start()
    wait_until(
        lambda: len(errors_of(log, "fx")) >= CRASHES,
        timeout=CRASH_LOOP_S,
        what=f"{CRASHES} crashed workers",
    )
    rt.stop()
    dead = {int(pid) for e in errors_of(log, "fx") for pid in re.findall(r"pid (\d+)", e.message)}
    assert len(dead) >= CRASHES
    assert all(is_gone(pid) for pid in dead)

    def leftovers() -> tuple[list[tuple[str, int]], set[Path]]:
        """Nodes of the dead workers or new ones of ours; files of no living node."""
        cleanup_dead_nodes()
        leaked = [
            (node, pid)
            for node, pid, _ in iceoryx_nodes()
            if pid in dead or (pid == os.getpid() and node not in nodes_before)
        ]
        return leaked, of_no_living_node(shared_memory_files() - before)

    deadline = time.monotonic() + 5.0  # another program's channel may be half made
    while (found := leftovers()) != ([], set()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found == ([], set())


def test_an_input_connected_while_it_runs_gets_a_fresh_worker_and_frames_flow(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    fx = rt.add(AddGain, id="fx", isolation="process")
    out = rt.add(Collector, id="out")
    rt.connect(fx.video_out, out.video)
    rt.start()
    wait_until(lambda: rt.statistics().processors["fx"].process is not None, what="its worker")
    first = rt.statistics().processors["fx"].process
    assert first is not None
    rt.connect(src.video, fx.video_in)  # after its worker started
    collector = rt.processor("out")
    wait_until(lambda: len(collector.received()) >= 5, what="frames through the new input")
    process = rt.statistics().processors["fx"].process
    assert process is not None
    assert process["pid"] != first["pid"]  # a fresh worker took the input


def test_a_member_of_a_running_process_refuses_a_new_input(runtime: sl.Runtime) -> None:
    rt = runtime
    src = rt.add(TestPattern, id="src", **small_pattern(fps=50))
    fx = rt.add(AddGain, id="fx", process="fxp")
    out = rt.add(Collector, id="out")
    rt.connect(fx.video_out, out.video)
    rt.start()
    wait_until(lambda: rt.statistics().processors["fx"].process is not None, what="its worker")
    with pytest.raises(sl.RuntimeStateError, match="input of process 'fxp', which already runs"):
        rt.connect(src.video, fx.video_in)
    assert list(rt.graph.edges()) == [rt.graph.edge_between("fx.video_out", "out.video")]


class _FakeTexture:
    """A picture "on a GPU" with no GPU (core's GpuTexture protocol)."""

    def __init__(self, pixels: np.ndarray[Any, Any]) -> None:
        self._pixels = pixels
        self.pixel_format = sl.PixelFormat.RGB24
        self.height, self.width = pixels.shape[:2]

    def download(self) -> np.ndarray[Any, Any]:
        return self._pixels.copy()


class GpuFrames(sl.Processor):
    """Writes ``frames`` video frames that exist only as (fake) GPU textures, then ends."""

    video = sl.Output(sl.VideoFrame)
    live = False

    def __init__(self, config: Any = None, **fields: Any) -> None:
        super().__init__(config, **fields)
        self.written = 0

    def scheduling(self) -> sl.Scheduling:
        return sl.Scheduling.loop()

    def process(self) -> None:
        if self.written == 12:
            self.end_outputs()
            return
        texture = _FakeTexture(np.full((16, 32, 3), self.written, np.uint8))
        self.video.write(sl.VideoFrame(texture, frame_number=self.written))
        self.written += 1


def test_gpu_frames_are_downloaded_to_cross_and_the_cost_is_in_the_statistics(
    runtime: sl.Runtime,
) -> None:
    rt = runtime
    src = rt.add(GpuFrames, id="src")
    fx = rt.add(AddGain, id="fx", isolation="process", gain=1)
    out = rt.add(Collector, id="out")
    rt.connect(src.video, fx.video_in)
    rt.connect(fx.video_out, out.video)
    assert rt.run(duration_s=WAIT_S) is sl.RunOutcome.ENDED
    frames = rt.processor("out").received()
    assert [int(f.to_ndarray()[0, 0, 0]) for f in frames] == list(range(1, 13))
    process = rt.statistics().processors["fx"].process
    assert process is not None
    assert process["gpu_downloads"] == 12  # each texture, once, on its way in
    assert process["gpu_download_ms"] > 0
    assert "gpu dl ms" in "\n".join(render_stats(rt.statistics()))
