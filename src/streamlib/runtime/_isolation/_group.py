"""Processors that share a worker process: the runtime's groups, by name.

``Runtime.add(X, process="dsp")`` enrols X's stand-in in the group ``dsp``
(:class:`ProcessGroups`, one per runtime). The first member to be set up starts
the group's :class:`~._session.WorkerSession` for every member that may run
(those that have not failed for good); the others join it. After the worker
failed, the first member set up again waits for the others to let go of it, then
starts one fresh worker for all; so a crash restarts the group once, not once per
member. A processor alone (``isolation="process"`` without a name) is a group of
its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...core import EventBus, Processor, RuntimeStateError
from ._direct import DirectRoutes
from ._session import MemberChannels, WorkerSession

if TYPE_CHECKING:
    from ._proxy import IsolatedProcessor

__all__ = ["ProcessGroup", "ProcessGroups"]

_LET_GO_WAIT_S = 2.0  # how long a fresh worker waits for the members of the failed one


class ProcessGroup:
    """The stand-ins that share one worker process, and the worker they share now.

    ``may_run(processor_id)`` says whether a member is still wanted in a fresh
    worker (one that failed for good is not).
    """

    def __init__(self, name: str | None, may_run: Callable[[str], bool]) -> None:
        self.name = name
        self.members: dict[str, IsolatedProcessor] = {}
        self._may_run = may_run
        self._session: WorkerSession | None = None
        self._lock = threading.Lock()

    @classmethod
    def alone(cls, processor_id: str, stand_in: IsolatedProcessor) -> ProcessGroup:
        """A group of one: a processor in a worker process of its own."""
        group = cls(None, lambda _: True)
        group.members[processor_id] = stand_in
        return group

    def join(
        self, processor_id: str, events: EventBus, wake: Callable[[], None]
    ) -> tuple[WorkerSession, MemberChannels]:
        """Attach ``processor_id`` to the group's worker, started if none runs: the
        worker, and the member's ends of its channels (news from it calls ``wake``)."""
        with self._lock:
            session = self._session
            if session is not None and session.failed and not session.closed:
                session.wait_detached(_LET_GO_WAIT_S)  # each member notices the failure
            if session is not None and not session.closed and not session.failed:
                if processor_id not in session.members:
                    raise self._runs_without(processor_id, session)
                channels = session.attach(processor_id, wake)
                if channels is not None:
                    return session, channels
            # None runs (or its last member let go just now): a fresh one for every
            # member that may run.
            members = {
                pid: stand_in
                for pid, stand_in in dict(self.members).items()  # a copy: add() may add
                if pid == processor_id or self._may_run(pid)
            }
            session = self._session = WorkerSession(self.name, members, events)
            channels = session.attach(processor_id, wake)
            assert channels is not None  # nobody else knows this session yet
            return session, channels

    @property
    def running(self) -> bool:
        session = self._session
        return session is not None and not session.closed and not session.failed

    def check_joinable(self, processor_id: str) -> None:
        """``RuntimeStateError`` while the group's worker runs: its members are fixed
        when it starts."""
        session = self._session
        if session is not None and not session.closed and not session.failed:
            raise self._runs_without(processor_id, session)

    def _runs_without(self, processor_id: str, session: WorkerSession) -> RuntimeStateError:
        return RuntimeStateError(
            f"{processor_id} would join process {self.name!r}, which already runs (pid "
            f"{session.worker.pid}) without it: add every member of a process before starting "
            "the runtime, or stop the runtime, add it and start again"
        )

    def leave(self, processor_id: str) -> None:
        """``processor_id`` left the graph: it stops running in the group's worker too."""
        self.members.pop(processor_id, None)
        session = self._session
        if session is not None and processor_id in session.members:
            session.remove(processor_id)


class ProcessGroups:
    """A runtime's named worker processes (``process="dsp"``), made as members come."""

    def __init__(self, may_run: Callable[[str], bool], is_paused: Callable[[], bool]) -> None:
        self._may_run = may_run
        self._is_paused = is_paused
        self._groups: dict[str, ProcessGroup] = {}
        self.direct = DirectRoutes()  # the processors alone, for their direct edges

    def check_joinable(self, processor_id: str | None, processor: Processor) -> None:
        """Refuse (``RuntimeStateError``) a member for a process that already runs."""
        name = processor.process_name
        group = self._groups.get(name) if name is not None else None
        if group is not None:
            group.check_joinable(processor_id or processor.type_name)

    def check_connectable(self, processor_id: str, port: str, processor: Processor) -> None:
        """Refuse (``RuntimeStateError``) a new input of a member of a named process that
        runs: its channels are fixed when its worker starts. (A processor in a worker of
        its own restarts its worker to take a new input; see ``IsolatedProcessor``.)"""
        name = processor.process_name
        group = self._groups.get(name) if name is not None else None
        if group is not None and group.running:
            raise RuntimeStateError(
                f"{processor_id}.{port} is an input of process {name!r}, which already runs: "
                "its channels are fixed when it starts; connect the inputs of a process's "
                "members before starting the runtime, or stop it, connect and start again"
            )

    def enrol(self, processor_id: str, processor: Processor) -> None:
        """Put a stand-in with a ``process_name`` in that group (others stay alone, and
        may have edges straight to other workers)."""
        from ._proxy import IsolatedProcessor  # the stand-in's module imports this one

        name = processor.process_name
        if not isinstance(processor, IsolatedProcessor):
            return
        processor.runtime_paused = self._is_paused
        if name is None:
            self.direct.enrol(processor_id, processor)
            return
        group = self._groups.get(name)
        if group is None:
            group = self._groups[name] = ProcessGroup(name, self._may_run)
        group.members[processor_id] = processor
        processor.process_group = group

    def leave(self, processor_id: str, processor: Processor) -> None:
        """The processor was removed from the graph."""
        self.direct.leave(processor_id)
        name = processor.process_name
        group = self._groups.get(name) if name is not None else None
        if name is None or group is None:
            return
        group.leave(processor_id)
        if not group.members:
            del self._groups[name]
