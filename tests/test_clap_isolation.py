"""A CLAP plugin that segfaults, in a worker process of its own (``isolation="process"``).

Native plugins crash the way C crashes: a null pointer in ``process()`` is a SIGSEGV
that no ``try`` catches. In the runtime's own process it ends the interpreter, every
other stream with it; in a worker process it ends that process only, the proxy
reports it as the processor's error and the restart policy starts a fresh worker.

Everything is real: the plugin is C (tests/clap/crashing_plugin.c, built here with
gcc against the CLAP headers), the crash is a store through a null pointer, the
workers are real processes and the frames cross through iceoryx2 shared memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

pytest.importorskip(
    "iceoryx2", reason="iceoryx2 is not installed (pip install 'streamlib[process]')"
)

import streamlib as sl
from audio_support import HERE, build_c, require_zam
from runtime_support import EventLog, wait_until
from streamlib.core import RestartBackoff
from streamlib.processors import ClapEffect, Collector, ToneSource

BLOCK = 256
CRASH_AFTER = 20
"""Blocks the plugin processes before it crashes (the C default: see crashing_plugin.c)."""
CRASH_WAIT_S = 30.0
"""Bound for a wait that includes a worker's start (importing streamlib: 1 to 3 s here)."""
CHILD_TIMEOUT_S = 60.0


@pytest.fixture(scope="session")
def crashing_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin that segfaults after CRASH_AFTER blocks, built once per session."""
    folder = tmp_path_factory.mktemp("clap-crash")
    return build_c(HERE / "clap" / "crashing_plugin.c", folder / "TestCrash.clap", shared=True)


@pytest.fixture
def runtime() -> Iterator[sl.Runtime]:
    """A runtime that restarts a failed processor after 50 ms; closed (workers stopped) after."""
    rt = sl.Runtime(backoff=RestartBackoff(initial_s=0.05, max_s=0.1))
    try:
        yield rt
    finally:
        rt.close()


def errors_of(log: EventLog, processor_id: str) -> list[sl.ProcessorErrored]:
    return [e for e in log.of(sl.ProcessorErrored) if e.processor_id == processor_id]


def worker_pid(rt: sl.Runtime, processor_id: str) -> int | None:
    """The pid of the processor's current worker process (None before it has one)."""
    process: dict[str, Any] | None = rt.statistics().processors[processor_id].process
    return None if process is None else int(process["pid"])


def received(rt: sl.Runtime, collector_id: str) -> list[sl.Frame]:
    collector = rt.processor(collector_id)
    assert isinstance(collector, Collector)
    return collector.received("audio")


def test_a_plugin_that_segfaults_kills_only_its_worker_and_a_fresh_worker_takes_over(
    runtime: sl.Runtime, crashing_plugin: Path
) -> None:
    """One tone feeds the crashing plugin (in a worker process) and, beside it, a
    collector in this process. Each worker passes CRASH_AFTER blocks and dies by
    SIGSEGV; the error names it, the other branch never stops, a fresh worker (a new
    pid) passes audio again, and crashes again: the restart policy, not luck."""
    rt = runtime
    log = EventLog(rt.events)
    src = rt.add(ToneSource, id="src", block_size=BLOCK, channels=2)
    fx = rt.add(
        ClapEffect, id="fx", isolation="process", plugin=str(crashing_plugin), block_size=BLOCK
    )
    out = rt.add(Collector, id="out")
    ref = rt.add(Collector, id="ref")
    rt.connect(src.audio, fx.audio_in)
    rt.connect(fx.audio_out, out.audio)
    rt.connect(src.audio, ref.audio)
    rt.start()

    wait_until(lambda: worker_pid(rt, "fx") is not None, what="the first worker process")
    first = worker_pid(rt, "fx")
    assert first is not None
    assert first != os.getpid()

    wait_until(lambda: bool(errors_of(log, "fx")), timeout=CRASH_WAIT_S, what="the first crash")
    through_first = len(received(rt, "out"))
    ref_at_crash = len(received(rt, "ref"))
    [error] = errors_of(log, "fx")
    assert error.error_type == "WorkerDiedError"
    assert f"(pid {first}) was killed by SIGSEGV" in error.message
    assert error.phase == "process"
    assert error.action == "restart"
    assert through_first <= CRASH_AFTER  # the 21st block never came out

    # This process lives on, and so does the branch beside the crashed plugin.
    wait_until(
        lambda: len(received(rt, "ref")) >= ref_at_crash + 2 * CRASH_AFTER,
        what="the other branch to keep delivering after the crash",
    )
    assert rt.processor_state("src") is sl.ProcessorState.RUNNING
    assert rt.processor_state("ref") is sl.ProcessorState.RUNNING

    wait_until(lambda: worker_pid(rt, "fx") not in (None, first), what="a fresh worker process")
    second = worker_pid(rt, "fx")
    wait_until(
        lambda: len(received(rt, "out")) > through_first,
        timeout=CRASH_WAIT_S,
        what="audio through the fresh worker",
    )
    wait_until(
        lambda: len(errors_of(log, "fx")) >= 2, timeout=CRASH_WAIT_S, what="the second crash"
    )
    through_second = len(received(rt, "out"))
    assert f"(pid {second}) was killed by SIGSEGV" in errors_of(log, "fx")[1].message
    assert through_first < through_second <= 2 * CRASH_AFTER
    assert rt.statistics().processors["fx"].restarts >= 1

    # What came through is the tone itself: the plugin passes audio on unchanged.
    tone_blocks = {frame.data.tobytes() for frame in received(rt, "ref")}
    passed = received(rt, "out")
    for frame in passed:
        assert isinstance(frame, sl.AudioFrame)
        assert (frame.samples, frame.channels) == (BLOCK, 2)
        assert frame.data.tobytes() in tone_blocks


IN_PROCESS = textwrap.dedent(
    """
    import sys
    import time

    import streamlib as sl
    from streamlib.processors import ClapEffect, NullSink, ToneSource

    rt = sl.Runtime()
    src = rt.add(ToneSource, block_size=256, channels=2, realtime=False)
    fx = rt.add(ClapEffect, plugin=sys.argv[1], block_size=256)
    sink = rt.add(NullSink)
    rt.connect(src.audio, fx.audio_in)
    rt.connect(fx.audio_out, sink.audio)
    print("loaded, running", flush=True)
    rt.start()
    time.sleep(20)
    print("survived", flush=True)
    """
)


def test_the_same_plugin_in_the_runtimes_own_process_kills_the_interpreter(
    crashing_plugin: Path,
) -> None:
    """Why isolation matters: without it the same graph takes the whole interpreter
    (every other stream of the runtime) down with SIGSEGV. Shown in a child process."""
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(crashing_plugin)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == -signal.SIGSEGV, (done.returncode, done.stderr[-2000:])
    assert done.stdout.splitlines() == ["loaded, running"]  # loading and activating worked


def run_zamverb(isolation: Literal["thread", "process"]) -> np.ndarray[Any, Any]:
    """A finite tone through ZamVerb, losslessly; every output sample, in order."""
    with sl.Runtime() as rt:
        src = rt.add(ToneSource, block_size=BLOCK, channels=2, realtime=False, frames=60)
        verb = rt.add(ClapEffect, id="verb", isolation=isolation, plugin="ZamVerb")
        out = rt.add(Collector, id="out")
        rt.connect(src.audio, verb.audio_in, profile="lossless")
        rt.connect(verb.audio_out, out.audio, profile="lossless")
        assert rt.run(duration_s=CRASH_WAIT_S) is sl.RunOutcome.ENDED
        frames = received(rt, "out")
    assert len(frames) == 60
    return np.concatenate([frame.data for frame in frames])


def test_zamverb_in_a_worker_process_sounds_exactly_as_in_process() -> None:
    require_zam("ZamVerb")
    in_process = run_zamverb("thread")
    isolated = run_zamverb("process")
    np.testing.assert_array_equal(isolated, in_process)
    assert float(np.sqrt(np.mean(in_process**2))) > 0.01  # a tone with its reverb, not silence
