"""Processors in worker processes: the parent's stand-ins, the workers, the bridges.

``Runtime.add(X, isolation="process")`` (``isolation: process`` in a pipeline file)
adds a *stand-in* of ``X`` to the graph (:func:`isolated`): same ports, same
config, same type name. Its worker process (``python -m
streamlib.runtime._isolation._child``) runs ``X`` in a runtime of its own, between
two kinds of bridge: each of ``X``'s inputs is fed from an iceoryx2 channel the
stand-in publishes on, each output publishes on a channel the stand-in receives
from (``streamlib.ipc``: payloads in shared memory, read in place). Control
(config changes, pause, statistics, errors, end of stream) travels as JSON lines
over the worker's stdin and stdout.

``process="dsp"`` (``process: dsp``) puts several processors in one worker, the
named process ``dsp``. The design, kept small:

- **One session per group.** The runtime enrols each member's stand-in in its
  group (``_group.ProcessGroups``). The first member set up starts the group's
  worker (``_session.WorkerSession``) for all members, as their connections
  stand then; the others attach to it. A processor alone is a group of one, so
  there is a single code path.
- **Each member stays itself in the parent.** Its stand-in has its own id,
  ports, config, live changes, events and statistics; it forwards only its own
  inputs and outputs that cross the group's edge.
- **Connections between members run inside the worker**, as ordinary in-process
  connections of its runtime (no channel, no copy, fused where they can be). In
  the parent the same edge carries no frame; the stand-ins copy the worker's
  counts onto it (delivered, dropped, age), so statistics still mean something.
- **One failure, one restart.** A member's exception ends the worker: that
  member gets its error, the others a ``WorkerDiedError`` naming it; each
  member's error policy applies. The first member set up again waits for the
  others to let go of the failed worker and starts one fresh worker for every
  member still wanted (not those that failed for good); the rest join it.
- **Stop** detaches members one by one; the last one stops the worker. Removing
  a member removes it from the running worker too. Adding a member while its
  process runs is refused (stop and start again): the worker's members are fixed
  when it starts.

An edge between two processors alone in workers, the only one on its output, runs
straight from one worker to the other (``_direct``): no frame passes through the
parent, whose connection shows the workers' counts.

A worker process that dies (an exception, ``os._exit``, a segfault, ``kill -9``)
becomes the stand-ins' error, naming the exit code or signal and the worker's
last log lines, so the error policies apply: ``restart`` starts a fresh process
after the back-off. A worker whose parent dies (even by ``kill -9``) sees its
stdin close and exits.
"""

from ._group import ProcessGroups
from ._proxy import IsolatedProcessor, isolated

__all__ = ["IsolatedProcessor", "ProcessGroups", "isolated"]
