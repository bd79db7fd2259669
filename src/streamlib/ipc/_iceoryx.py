"""The one seam in front of iceoryx2: loading it, nodes, services, dead-node clean-up.

iceoryx2 is imported on first use, never at ``import streamlib``; a missing
install is a ``ConfigError`` naming ``pip install 'streamlib[process]'``. Its
exceptions are translated here into streamlib's.
"""

from __future__ import annotations

import ctypes
import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..core import ConfigError, DeliveryProfile, PortBusyError, Requirement, StreamError
from ..core._requirements import check_requirements

__all__ = [
    "REQUIREMENT",
    "ChannelServices",
    "SharedMemoryError",
    "cleanup_dead_nodes",
    "iceoryx2",
    "native_sample_calls",
    "open_channel",
    "resource_files",
    "resource_prefix",
]

REQUIREMENT: Final = Requirement("process", ("iceoryx2",))
"""What ``streamlib.ipc`` needs installed: iceoryx2, from the ``process`` extra."""

_SERVICE_PREFIX: Final = "streamlib/"
_WIRE_VERSION: Final = "2"
PAYLOAD_ALIGNMENT: Final = 64

# Event ids on a channel's feedback event service (subscriber -> publisher).
CONSUMED_EVENT: Final = 0
SUBSCRIBER_CONNECTED_EVENT: Final = 1
END_TAKEN_EVENT: Final = 2
CONSUMED_MANY_EVENT: Final = 16
"""``CONSUMED_MANY_EVENT + n``: n messages taken out at once (one event, not n)."""
MAX_EVENT_ID: Final = 255

_loaded: Any = None
_load_lock = threading.Lock()


class SharedMemoryError(StreamError, OSError):
    """Shared memory could not be created, opened, loaned or released (iceoryx2 said why)."""


def iceoryx2() -> Any:
    """The iceoryx2 module, imported once; ``ConfigError`` with the install command if absent."""
    global _loaded  # noqa: PLW0603 - one import per process, like a module-level import
    if _loaded is None:
        with _load_lock:
            if _loaded is None:
                check_requirements("streamlib.ipc", (REQUIREMENT,))
                import iceoryx2 as iox2

                # Its own warnings (a config file not found, a dead node found) are not
                # errors here; IOX2_LOG_LEVEL still wins when set.
                iox2.set_log_level_from_env_or(iox2.LogLevel.Error)
                _loaded = iox2
    return _loaded


def service_name(channel: str) -> str:
    """The iceoryx2 service that carries ``channel``'s frames."""
    if not isinstance(channel, str) or not channel or len(channel) > 200:
        raise ConfigError(
            f"a channel name is a non-empty string of at most 200 characters, got {channel!r} "
            "(derive it from the connection id, e.g. 'run-3f2a/src.video->fx.video_in')"
        )
    return _SERVICE_PREFIX + channel


_DOMAIN = re.compile(r"^[A-Za-z0-9-]{1,32}$")


def node_config(domain: str | None) -> Any:
    """iceoryx2's config for ``domain``: its own file prefix, so nothing is shared
    with another domain (None: iceoryx2's default, shared by every program)."""
    iox2 = iceoryx2()
    config = iox2.config.global_config()  # a copy: changing it changes no one else's
    if domain is not None:
        config.global_cfg.prefix = iox2.FileName.new(resource_prefix(domain))
    return config


def resource_prefix(domain: str | None) -> str:
    """How the names of ``domain``'s files in shared memory and iceoryx2's folder begin."""
    if domain is None:
        return str(iceoryx2().config.global_config().global_cfg.prefix.to_string())
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise ConfigError(
            f"an ipc domain is 1 to 32 letters, digits or '-', got {domain!r} "
            "(no '_': it ends the file prefix, so no domain's prefix starts another's)"
        )
    return f"sl_{domain}_"


def resource_files(domain: str | None = None) -> list[Path]:
    """The files iceoryx2 keeps for ``domain`` now: in ``/dev/shm`` and its own folder.

    Once every end of every channel is closed and :func:`cleanup_dead_nodes` ran,
    only one remains: the domain's ``*.global_mgmt`` in ``/dev/shm``, which
    iceoryx2 creates once and keeps. Anything else is a leak. (Where shared memory
    has no files, as on macOS, only iceoryx2's folder is seen.)
    """
    prefix = resource_prefix(domain)
    root = Path(iceoryx2().config.global_config().global_cfg.root_path.to_string())
    return sorted(
        path
        for folder in (Path("/dev/shm"), root)
        if folder.is_dir()
        for path in folder.rglob(prefix + "*")
        if path.is_file()
    )


def create_node(role: str, domain: str | None) -> Any:
    """A node of its own for one endpoint; it leaves its signal handlers to Python."""
    iox2 = iceoryx2()
    try:
        return (
            iox2.NodeBuilder.new()
            .name(iox2.NodeName.new(f"streamlib {role}"[:128]))
            .config(node_config(domain))
            .signal_handling_mode(iox2.SignalHandlingMode.Disabled)
            .create(iox2.ServiceType.Ipc)
        )
    except iox2.NodeCreationFailure as error:
        raise SharedMemoryError(f"could not create an iceoryx2 node: {error}") from None


@dataclass(frozen=True, slots=True)
class ChannelServices:
    """The iceoryx2 services of one channel, as seen by one endpoint."""

    frames: Any
    """publish-subscribe, ``Slice[c_uint8]``: one message per frame."""
    ready: Any
    """event, publisher -> subscriber: a message is waiting."""
    feedback: Any
    """event, subscriber -> publisher: a subscriber is connecting; (lossless only) a
    message was taken out of the buffer."""


def open_channel(
    node: Any, channel: str, profile: DeliveryProfile, capacity: int, max_borrowed: int
) -> ChannelServices:
    """Open (or create, whichever end comes first) ``channel``'s services.

    Both ends must agree on profile and capacity: they are service attributes,
    required when opening, so a mismatch fails here instead of misbehaving later.
    """
    iox2 = iceoryx2()
    name = service_name(channel)
    if capacity < 1:
        raise ConfigError(f"a channel's capacity must be at least 1, got {capacity}")
    verifier = (
        iox2.AttributeVerifier.new()
        .require(iox2.AttributeKey.new("streamlib.wire"), iox2.AttributeValue.new(_WIRE_VERSION))
        .require(iox2.AttributeKey.new("streamlib.profile"), iox2.AttributeValue.new(profile.value))
        .require(
            iox2.AttributeKey.new("streamlib.capacity"), iox2.AttributeValue.new(str(capacity))
        )
    )
    try:
        frames = (
            node.service_builder(iox2.ServiceName.new(name))
            .publish_subscribe(iox2.Slice[ctypes.c_uint8])
            .payload_alignment(iox2.Alignment.new(PAYLOAD_ALIGNMENT))
            # Never block inside iceoryx2: its blocking send holds the GIL with no
            # timeout. The oldest message gives way; lossless waits happen above.
            .enable_safe_overflow(True)
            .subscriber_max_buffer_size(capacity)
            .subscriber_max_borrowed_samples(max_borrowed)
            .history_size(0)
            .max_publishers(1)
            .max_subscribers(1)
            .open_or_create_with_attributes(verifier)
        )
    except iox2.PublishSubscribeOpenOrCreateError as error:
        raise ConfigError(
            f"channel {channel!r} could not be opened as {profile.value} with capacity "
            f"{capacity} ({error}); both ends of a channel must use the same profile and "
            "capacity (and the same streamlib)"
        ) from None
    return ChannelServices(
        frames, _event_service(node, name + "/ready"), _event_service(node, name + "/feedback")
    )


def _event_service(node: Any, name: str) -> Any:
    iox2 = iceoryx2()
    try:
        return (
            node.service_builder(iox2.ServiceName.new(name))
            .event()
            .event_id_max_value(MAX_EVENT_ID)
            .open_or_create()
        )
    except iox2.EventOpenOrCreateError as error:
        raise SharedMemoryError(f"could not open the event service {name!r}: {error}") from None


def native_sample_calls() -> tuple[Any, Any]:
    """``Publisher.loan_slice_uninit`` and ``SampleMutUninit.assume_init`` without
    iceoryx2's Python wrappers around them, as plain functions of the port/sample.

    The wrappers check the service's payload type (``typing.get_origin``) on every
    call, which a slice service never needs; each frame sent makes both calls on its
    way to the subscriber, where every step costs microseconds when caches are cold
    (a producer that was idle). Where a later 0.10.x names them otherwise, the
    wrappers are used.
    """
    iox2 = iceoryx2()
    loan = getattr(iox2.Publisher, "__loan_slice_uninit", iox2.Publisher.loan_slice_uninit)
    assume_init = getattr(iox2.SampleMutUninit, "__assume_init", iox2.SampleMutUninit.assume_init)
    return loan, assume_init


def create_port(builder: Any, what: str, channel: str) -> Any:
    """``builder.create()``, with iceoryx2's "too many ports" said in streamlib's words."""
    iox2 = iceoryx2()
    try:
        return builder.create()
    except (iox2.PublisherCreateError, iox2.SubscriberCreateError) as error:
        if "ExceedsMax" in str(error):
            raise PortBusyError(
                f"channel {channel!r} already has a {what}: a channel joins one publisher "
                f"to one subscriber (close the other {what} first; a crashed one is "
                "cleared by cleanup_dead_nodes())"
            ) from None
        raise SharedMemoryError(f"could not create the {what} of {channel!r}: {error}") from None
    except (iox2.NotifierCreateError, iox2.ListenerCreateError) as error:
        raise SharedMemoryError(f"could not create the {what} of {channel!r}: {error}") from None


@functools.lru_cache(maxsize=32)
def duration(seconds: float) -> Any:
    """An iceoryx2 duration of at least a microsecond: a zero timeout there waits forever.

    Cached: a consumer waits with the same timeout over and over.
    """
    return iceoryx2().Duration.from_secs_f64(max(1e-6, seconds))


def timed_wait(listener: Any, seconds: float, channel: str) -> list[Any]:
    """The listener's event activations within ``seconds``; none if a signal cut the wait short.

    Returning lets Python run its signal handlers (Ctrl-C raises there); callers
    wait again until their own deadline.
    """
    try:
        activations: list[Any] = listener.timed_wait(duration(seconds))
    except iceoryx2().ListenerWaitError as error:
        if "InterruptSignal" in str(error):
            return []
        raise SharedMemoryError(
            f"channel {channel!r}: waiting for an event failed: {error}"
        ) from None
    return activations


def cleanup_dead_nodes(domain: str | None = None) -> int:
    """Remove what processes that died without closing left in ``domain``'s shared memory.

    iceoryx2 keeps each node's files in ``/tmp/iceoryx2`` and its shared memory
    in ``/dev/shm``; a process killed with SIGKILL cannot remove them. This finds
    every node whose process is gone and removes its stale resources (and its
    ports from the services it used, so a new publisher can take a dead one's
    place). iceoryx2 also does this whenever a node is created or a service
    opened; call it after a worker process died. Returns how many dead nodes
    were cleaned up.
    """
    iox2 = iceoryx2()
    try:
        states = iox2.Node.list(iox2.ServiceType.Ipc, node_config(domain))
    except iox2.NodeListFailure as error:
        raise SharedMemoryError(f"could not list iceoryx2 nodes: {error}") from None
    cleaned = 0
    for state in states:
        if isinstance(state, iox2.NodeState.Dead):
            try:
                state._0.try_remove_stale_resources()
            except iox2.NodeCleanupFailure:
                continue  # another process is cleaning it up, or it is not ours to remove
            cleaned += 1
    return cleaned
