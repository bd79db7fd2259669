"""Map a processor's priority hint onto what this OS and user may set for a thread."""

from __future__ import annotations

import os
import sys
import threading

from ..core import Priority

__all__ = ["apply_thread_priority"]

_NICE = {Priority.HIGH: -5}


def apply_thread_priority(priority: Priority) -> str | None:
    """Raise the calling thread's priority; returns why it could not, or None.

    ``high`` lowers the thread's nice value; ``realtime`` asks for ``SCHED_FIFO``
    (Linux). Both usually need privileges (root, ``CAP_SYS_NICE`` or an rtprio
    limit); without them the thread runs at normal priority and the reason is
    returned for the runtime to report.
    """
    if priority is Priority.NORMAL:
        return None
    if not sys.platform.startswith("linux"):
        return f"priority {priority.value!r} is applied on Linux only; running at normal priority"
    tid = threading.get_native_id()
    try:
        if priority is Priority.REALTIME:
            param = os.sched_param(min(10, os.sched_get_priority_max(os.SCHED_FIFO)))
            os.sched_setscheduler(tid, os.SCHED_FIFO, param)
        else:
            os.setpriority(os.PRIO_PROCESS, tid, _NICE[priority])
    except (PermissionError, OSError) as error:
        return (
            f"could not apply priority {priority.value!r} ({error.strerror or error}); "
            "running at normal priority. Grant CAP_SYS_NICE or an rtprio limit to allow it"
        )
    return None
