"""Frames between processes on one machine, through iceoryx2 shared memory.

The transport a connection uses when its two ends run in different processes
(DESIGN.md, "Beyond one process"). One *channel* joins one :class:`FramePublisher`
to one :class:`FrameSubscriber`; each end may be opened first::

    # in the producing process
    with FramePublisher("run-1/src.video->fx.video_in", profile="latest", capacity=3) as pub:
        pub.send(frame)          # one copy of the pixels, into shared memory
        pub.end()

    # in the consuming process
    with FrameSubscriber("run-1/src.video->fx.video_in", profile="latest", capacity=3) as sub:
        if sub.wait(timeout_s=1.0):
            frame = sub.receive()    # a read-only view of that shared memory: no copy

- What crosses: ``VideoFrame``, ``AudioFrame``, ``DataFrame`` (JSON values or
  bytes) and ``EncodedPacket``, with timestamp, frame number and JSON metadata;
  end of stream after the last frame. GPU textures do not cross processes: ``send``
  downloads a frame that is only on a GPU (``PublisherStatistics.gpu_downloads``
  and ``gpu_download_ms`` count them and their cost).
- No copy at all: a producer fills ``FramePublisher.loan`` arrays itself, or a
  :class:`PoolLender` installed on its thread makes its ``BufferPool`` hand out
  loans and sends each frame in place when nothing else holds it.
- Bursts: ``with pub.batch():`` sends several frames with one wake-up of the
  subscriber, and ``sub.receive_batch(n)`` takes up to n with one event back (each
  event is a system call, and a context switch for a process that sleeps on it).
- Delivery profiles: ``latest``/``fifo`` never block (the oldest message in a full
  buffer gives way); ``lossless`` waits for room, with a timeout. Drops are counted
  by the subscriber from sequence-number gaps.
- Clean-up: ``close()`` (or leaving the ``with``) releases an end's iceoryx2 node;
  :func:`cleanup_dead_nodes` removes what a killed process left behind. A *domain*
  (both ends name it) keeps a program's files apart from every other program's;
  :func:`resource_files` lists them.

iceoryx2 comes with ``pip install 'streamlib[process]'`` and is imported on first
use only. This package imports nothing above ``streamlib.core``.
"""

from ._iceoryx import (
    REQUIREMENT,
    SharedMemoryError,
    cleanup_dead_nodes,
    resource_files,
    resource_prefix,
    service_name,
)
from ._lending import LenderStatistics, PoolLender
from ._publisher import FramePublisher, PublisherStatistics
from ._shared import LoanedBuffer, SharedSample
from ._subscriber import FrameSubscriber, SubscriberStatistics
from ._wire import HEADER_BYTES, FrameKind

__all__ = [
    "HEADER_BYTES",
    "REQUIREMENT",
    "FrameKind",
    "FramePublisher",
    "FrameSubscriber",
    "LenderStatistics",
    "LoanedBuffer",
    "PoolLender",
    "PublisherStatistics",
    "SharedMemoryError",
    "SharedSample",
    "SubscriberStatistics",
    "cleanup_dead_nodes",
    "resource_files",
    "resource_prefix",
    "service_name",
]
