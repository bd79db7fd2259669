"""The runtime's record of one processor: state, counters, and error handling around each call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core import (
    ErrorPolicy,
    Processor,
    ProcessorConfig,
    ProcessorEnded,
    ProcessorErrored,
    ProcessorId,
    ProcessorStarted,
    ProcessorState,
    ProcessorStateChanged,
    ProcessorStopped,
    Progress,
    RestartBackoff,
    RuntimeWarned,
    Scheduling,
    SchedulingMode,
    StreamError,
)
from ._isolation import IsolatedProcessor
from ._stats import CallTimings, ProcessorStatistics

if TYPE_CHECKING:
    from ..core import EventBus, ProcessorContext
    from ..core._events import ErrorAction, ErrorPhase

__all__ = ["ProcessorHandle"]

_INACTIVE = frozenset({ProcessorState.STOPPED, ProcessorState.FAILED, ProcessorState.QUARANTINED})
_log = logging.getLogger("streamlib.runtime")

# What a processor's call may raise and the runtime handles by the error policy:
# anything. On a worker thread a SystemExit, KeyboardInterrupt or CancelledError
# raised by the processor's own code would only end that thread, silently.
_PROCESSOR_FAILURES = (BaseException,)


class ProcessorHandle:
    """Wraps a processor for the worker that runs it.

    All methods run on the worker thread that currently owns the processor,
    except the read-only snapshots. ``on_fatal`` is the runtime's hook for the
    ``raise`` policy; ``on_settled`` hears when the processor ended its stream or
    gave up for good (so ``run()`` can tell when everything is over).
    """

    def __init__(
        self,
        processor_id: ProcessorId,
        processor: Processor,
        *,
        error_policy: ErrorPolicy,
        backoff: RestartBackoff,
        events: EventBus,
        clock_ns: Callable[[], int],
        on_fatal: Callable[[ProcessorId, BaseException], None],
        on_settled: Callable[[ProcessorId], None] = lambda _: None,
    ) -> None:
        self.id = processor_id
        self.processor = processor
        self.error_policy = error_policy
        self.backoff = backoff
        self.scheduling: Scheduling = processor.scheduling()
        self._events = events
        self._clock_ns = clock_ns
        self._on_fatal = on_fatal
        self._on_settled = on_settled
        self.state = ProcessorState.ADDED
        self.ended = False  # ended its stream (ran out, or every input ended)
        self.is_set_up = False  # RUNNING or PAUSED; a plain attribute for the hot path
        self.timings = CallTimings()
        self.errors = 0
        self.restarts = 0
        self.last_error: str | None = None
        self.restart_at = 0.0  # monotonic seconds, while BACKING_OFF
        self._consecutive_failures = 0
        self._setup_failures = 0  # in a row; reset by a setup that works
        self._healthy_since: float | None = None  # set up and not failed since then
        self._tracebacks_logged: set[tuple[str, str]] = set()
        self.next_tick_s: float | None = None  # a timer's schedule, kept across workers
        self.worker_name: str | None = None
        # Set by the control plane, taken by the worker before its next call; the
        # lock only makes that hand-over atomic (the worker takes it only when set).
        self.pending_config: ProcessorConfig | None = None
        self.config_lock = threading.Lock()
        # Push scheduling: what the inputs looked like when process() last ran.
        self._inputs = tuple(processor.inputs.values())
        self._outputs = tuple(processor.outputs.values())
        for output in self._outputs:
            output.on_end = self._output_ended
        self._seen_written = -1
        self._consumed_last = False
        self._refused_reported = 0

    # -- lifecycle -------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """Set up, or due to be set up again: a worker must keep serving it."""
        return self.state not in _INACTIVE

    def set_up(self, ctx: ProcessorContext) -> bool:
        """Run ``setup``; on error apply the policy. True when the processor is running."""
        self._set_state(ProcessorState.STARTING)
        try:
            self.processor.setup(ctx)
        except _PROCESSOR_FAILURES as error:
            self._failed(error, "setup")
            return False
        if self.state is ProcessorState.QUARANTINED:  # setup hung past stop(); now it returned
            return False
        self._setup_failures = 0
        self._healthy_since = time.monotonic()
        self._seen_written = -1
        self.next_tick_s = None  # a fresh set-up ticks at once
        self._set_state(ProcessorState.RUNNING)
        self._events.publish(ProcessorStarted(processor_id=self.id, timestamp_ns=self._clock_ns()))
        return True

    def tear_down(self, *, final_state: ProcessorState = ProcessorState.STOPPED) -> None:
        """Run ``teardown`` if set up (errors reported, never raised) and settle the state."""
        if self.is_set_up or self.state is ProcessorState.QUARANTINED:
            try:
                self.processor.teardown()
            except _PROCESSOR_FAILURES as error:
                self._count(error)
                self._report(error, "teardown", action="stop")
            self._events.publish(
                ProcessorStopped(processor_id=self.id, timestamp_ns=self._clock_ns())
            )
        if self.state is not ProcessorState.QUARANTINED:  # quarantine is for life
            self._set_state(final_state)

    def quarantine(self) -> None:
        """Mark a processor whose thread could not be stopped: no worker runs it again.

        The thread stuck in its call still owns it, and tears it down if the call
        ever returns; until then nobody else touches it.
        """
        self._set_state(ProcessorState.QUARANTINED)

    def maybe_restart(self, ctx: ProcessorContext, now: float) -> bool:
        """Set up again once a backoff has passed; True when that happened and worked."""
        if self.state is not ProcessorState.BACKING_OFF or now < self.restart_at:
            return False
        self.restarts += 1
        return self.set_up(ctx)

    # -- running ---------------------------------------------------------------------

    def run_if_ready(self) -> bool:
        """Push scheduling: call ``process()`` if input is queued and something changed
        since the last call; True if it ran.

        A processor that leaves data queued (waiting for a second input, say) is
        not called again until more arrives or it consumed something, so it never spins.
        """
        written = delivered = 0
        pending = ending = False
        for port in self._inputs:
            connection = port._connection
            if connection is not None:
                written += connection.written
                delivered += connection.delivered
                if connection._ring:
                    pending = True
                elif connection.ended:
                    ending = True
        if not pending:
            # Only an input whose stream ended can make this the end (the hot path
            # of a fused chain passes here for every member on every round).
            return ending and self.check_end()
        if written == self._seen_written and not self._consumed_last:
            return False
        self._seen_written = written
        self.run_process()
        after = 0
        for port in self._inputs:
            connection = port._connection
            if connection is not None:
                after += connection.delivered
        self._consumed_last = after != delivered
        return True

    def run_process(self) -> bool:
        """One timed ``process()`` call; errors go to the error policy.

        False when the processor said it found nothing to do (returned ``False``).
        """
        if self.pending_config is not None:
            with self.config_lock:
                pending, self.pending_config = self.pending_config, None
            if pending is not None:
                self._apply_config(pending)
        start = time.perf_counter_ns()
        worked = True
        try:
            worked = self.processor.process() is not False
        except _PROCESSOR_FAILURES as error:
            self._failed(error, "process")
        self.timings.record(start, time.perf_counter_ns() - start)
        return worked

    def run_drain_at_stop(self) -> bool:
        """The processor's ``drain_at_stop()`` on an orderly stop; True if it handed
        something on. Its errors go to the error policy, as those of ``process()``."""
        if not self.is_set_up:
            return False
        try:
            return self.processor.drain_at_stop() is True
        except _PROCESSOR_FAILURES as error:
            self._failed(error, "process")
            return False

    def report_refused(self) -> None:
        """Say (once per batch) that this device source's frames were dropped because a
        lossless consumer was full: its callback never waits."""
        refused = 0
        slowest = None
        for port in self._outputs:
            for connection in port.connections:
                refused += connection.refused
                if connection.refused:
                    slowest = connection
        new = refused - self._refused_reported
        if new <= 0 or slowest is None:
            return
        self._refused_reported = refused
        message = (
            f"{self.id} dropped {new} frame(s) ({refused} in all) meant for lossless "
            f"{slowest.target}: it was full, and a device callback never waits; give that "
            "connection more capacity or make its consumer faster"
        )
        _log.warning(message)
        self._events.publish(
            RuntimeWarned(message=message, processor_id=self.id, timestamp_ns=self._clock_ns())
        )

    # -- end of stream ---------------------------------------------------------------

    def check_end(self) -> bool:
        """End this processor's stream if every connected input has ended (and was
        read to the end); True if it ended now. Cheap while any input is open."""
        if self.ended or not self.is_set_up or not self.processor.ends_with_inputs:
            return False
        connected = False
        for port in self._inputs:
            connection = port._connection
            if connection is not None:
                if not connection.at_end:
                    return False
                connected = True
        if not connected:  # nothing connected is not an end: something may be
            return False
        self._end_of_stream()
        return True

    def new_stream(self) -> None:
        """Forget an ended stream (the runtime starts again): the outputs may write."""
        self.ended = False
        for output in self._outputs:
            output.reopen()

    def _end_of_stream(self) -> None:
        try:
            self.processor.on_end_of_stream()
        except _PROCESSOR_FAILURES as error:
            self._failed(error, "end_of_stream")
            return
        self.processor.end_outputs()  # the default: the end travels on
        self._mark_ended()

    def _output_ended(self) -> None:
        # A port's end() ran (a source ran out, or the processor ended one output).
        if all(port.ended for port in self._outputs):
            self._mark_ended()

    def _mark_ended(self) -> None:
        if self.ended:
            return
        self.ended = True
        self._events.publish(ProcessorEnded(processor_id=self.id, timestamp_ns=self._clock_ns()))
        self._on_settled(self.id)

    def _apply_config(self, config: ProcessorConfig) -> None:
        previous = self.processor.config
        self.processor.config = config
        try:
            scheduling = self.processor.scheduling()
            if scheduling.mode is self.scheduling.mode:  # a new timer rate applies at once
                self.scheduling = scheduling
            self.processor.on_config_changed(previous)
        except _PROCESSOR_FAILURES as error:
            self._failed(error, "config")

    # -- errors ----------------------------------------------------------------------

    def _count(self, error: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{type(error).__name__}: {error}"

    def _failed(self, error: BaseException, phase: ErrorPhase) -> None:
        self._count(error)
        if self.state is ProcessorState.QUARANTINED:  # its late return changes nothing
            self._report(error, phase, action="stop")
            return
        policy = self.error_policy
        if phase == "setup":
            self._setup_failures += 1
            attempts = self.backoff.setup_attempts
            out_of_attempts = attempts is not None and self._setup_failures >= attempts
            if policy is ErrorPolicy.RESTART and out_of_attempts:
                self._report(error, phase, action="stop", attempts=self._setup_failures)
                self._give_up()
                return
        if policy is ErrorPolicy.RESTART:
            now = time.monotonic()
            healthy_since, self._healthy_since = self._healthy_since, None
            # Only a processor that ran without error for a while starts counting
            # again; one that never got through setup keeps backing off further.
            if healthy_since is not None and now - healthy_since > self.backoff.reset_after_s:
                self._consecutive_failures = 0
            delay = self.backoff.delay_s(self._consecutive_failures)
            self._consecutive_failures += 1
            self._report(error, phase, action="restart", restart_in_s=delay)
            self.tear_down(final_state=ProcessorState.BACKING_OFF)
            self.restart_at = now + delay
        elif policy is ErrorPolicy.STOP:
            self._report(error, phase, action="stop")
            self._give_up()
        else:
            self._report(error, phase, action="raise")
            self._give_up()
            self._on_fatal(self.id, error)

    def _give_up(self) -> None:
        self.tear_down(final_state=ProcessorState.FAILED)
        self._on_settled(self.id)
        for port in self._inputs:  # lossless producers must not wait for us
            connection = port.connection
            if connection is not None:
                # Fused behind its producer, this input took writes past capacity
                # because we drained it right after; now nobody will, so it is bounded.
                connection.inline_consumer = False
                connection.mark_consumer_gone()

    def _report(
        self,
        error: BaseException,
        phase: ErrorPhase,
        *,
        action: ErrorAction,
        restart_in_s: float | None = None,
        attempts: int | None = None,
    ) -> None:
        # The first traceback of each kind is worth reading; its repeats are one line.
        kind = (phase, type(error).__name__)
        first = kind not in self._tracebacks_logged
        self._tracebacks_logged.add(kind)
        # A StreamError's message says what happened and what to do: its traceback
        # is for debugging (shown at debug level); anything else is a bug worth one.
        expected = isinstance(error, StreamError) and not _log.isEnabledFor(logging.DEBUG)
        note = "" if first else " (repeated; traceback shown once)"
        if attempts is not None:
            note += f"; gave up after {attempts} failed setups in a row"
        _log.error(
            "processor %s raised in %s (%s): %s: %s%s",
            self.id,
            phase,
            action,
            type(error).__name__,
            error,
            note,
            exc_info=error if first and not expected else None,
        )
        self._events.publish(
            ProcessorErrored(
                processor_id=self.id,
                timestamp_ns=self._clock_ns(),
                error_type=type(error).__name__,
                message=str(error),
                phase=phase,
                action=action,
                restart_in_s=restart_in_s,
            )
        )

    def _set_state(self, new: ProcessorState) -> None:
        old = self.state
        if old is new or old is ProcessorState.QUARANTINED:
            return
        self.state = new
        self.is_set_up = new in (ProcessorState.RUNNING, ProcessorState.PAUSED)
        self._events.publish(
            ProcessorStateChanged(
                processor_id=self.id, timestamp_ns=self._clock_ns(), old=old, new=new
            )
        )

    # -- reading ---------------------------------------------------------------------

    @property
    def mode(self) -> SchedulingMode:
        return self.scheduling.mode

    def forgive(self) -> None:
        """Let a processor that failed (STOP/RAISE) be set up again on the next start."""
        if self.state is ProcessorState.FAILED:
            self._set_state(ProcessorState.STOPPED)

    def statistics(self) -> ProcessorStatistics:
        processor = self.processor
        fps, p50, p99 = self.timings.summary(time.perf_counter_ns())
        return ProcessorStatistics(
            id=str(self.id),
            type=processor.type_name,
            state=self.state.value,
            calls=self.timings.calls,
            frames_in=sum(port.frames_in for port in processor.inputs.values()),
            frames_out=sum(port.frames_out for port in processor.outputs.values()),
            errors=self.errors,
            restarts=self.restarts,
            fps=fps,
            process_ms_p50=p50,
            process_ms_p99=p99,
            worker=self.worker_name,
            last_error=self.last_error,
            ended=self.ended,
            progress=self._progress(),
        ).with_worker(
            processor.worker_statistics() if isinstance(processor, IsolatedProcessor) else None
        )

    def _progress(self) -> Progress | None:
        try:
            return self.processor.progress()
        except Exception:  # a statistics snapshot must not fail for one processor's bug
            _log.debug("progress() of %s raised", self.id, exc_info=True)
            return None

    def __repr__(self) -> str:
        return f"<ProcessorHandle {self.id} {self.state.value}>"

    def describe(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.processor.type_name, "state": self.state.value}
