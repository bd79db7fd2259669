"""Processors in processes of their own: the parent's proxy, the worker process, the bridges.

``Runtime.add(X, isolation="process")`` (``isolation: process`` in a pipeline file)
adds a *proxy* of ``X`` to the graph (:func:`isolated`): same ports, same config,
same type name. The proxy starts a worker process (``python -m
streamlib.runtime._isolation._child``) that runs ``X`` in a runtime of its own,
between two kinds of bridge: each of ``X``'s inputs is fed from an iceoryx2
channel the proxy publishes on, each output publishes on a channel the proxy
receives from (``streamlib.ipc``: payloads in shared memory, read in place).
Control (config changes, pause, statistics, errors, end of stream) travels as JSON
lines over the worker's stdin and stdout.

A worker process that dies (an exception, ``os._exit``, a segfault, ``kill -9``)
becomes the proxy's error, naming the exit code or signal and the worker's last
log lines, so the processor's error policy applies: ``restart`` starts a fresh
process after the back-off. A worker whose parent dies (even by ``kill -9``)
sees its stdin close and exits.
"""

from ._proxy import IsolatedProcessor, isolated

__all__ = ["IsolatedProcessor", "isolated"]
