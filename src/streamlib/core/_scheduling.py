"""How and when the runtime calls a processor: scheduling mode, priority, error policy."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from ._errors import ConfigError

__all__ = ["ErrorPolicy", "Priority", "RestartBackoff", "Scheduling", "SchedulingMode"]


class SchedulingMode(enum.Enum):
    """When ``process()`` runs.

    - ``PUSH``: whenever an input has new data (transforms and sinks; the default).
    - ``LOOP``: over and over; ``process()`` itself waits on its source (polling sources).
    - ``PULL``: never by the runtime; the processor's own device callback, started in
      ``setup``, writes its outputs.
    - ``TIMER``: at a fixed rate (``rate_hz``), e.g. a 30 fps test pattern.
    """

    PUSH = "push"
    LOOP = "loop"
    PULL = "pull"
    TIMER = "timer"


class Priority(enum.Enum):
    """A hint for the worker thread's OS priority; the runtime reports when it cannot apply it."""

    NORMAL = "normal"
    HIGH = "high"
    REALTIME = "realtime"


@dataclass(frozen=True, slots=True)
class Scheduling:
    """A processor's scheduling: build with ``Scheduling.push()``, ``.timer(30)`` and so on."""

    mode: SchedulingMode = SchedulingMode.PUSH
    rate_hz: float | None = None
    priority: Priority = Priority.NORMAL

    def __post_init__(self) -> None:
        if self.mode is SchedulingMode.TIMER:
            if self.rate_hz is None or not self.rate_hz > 0:
                raise ConfigError(f"timer scheduling needs a positive rate_hz, got {self.rate_hz}")
        elif self.rate_hz is not None:
            raise ConfigError(f"rate_hz applies to timer scheduling only, not {self.mode.value}")

    @classmethod
    def push(cls, priority: Priority = Priority.NORMAL) -> Scheduling:
        return cls(SchedulingMode.PUSH, None, priority)

    @classmethod
    def loop(cls, priority: Priority = Priority.NORMAL) -> Scheduling:
        return cls(SchedulingMode.LOOP, None, priority)

    @classmethod
    def pull(cls, priority: Priority = Priority.NORMAL) -> Scheduling:
        return cls(SchedulingMode.PULL, None, priority)

    @classmethod
    def timer(cls, rate_hz: float, priority: Priority = Priority.NORMAL) -> Scheduling:
        return cls(SchedulingMode.TIMER, float(rate_hz), priority)


class ErrorPolicy(enum.Enum):
    """What the runtime does when ``process()`` (or ``setup``) raises.

    - ``RESTART``: report it, tear the processor down, set it up again after a
      growing pause (:class:`RestartBackoff`); the rest of the graph keeps running.
    - ``STOP``: report it and stop this processor only; it detaches from its
      producers, which carry on (frames meant for it are dropped and counted).
    - ``RAISE``: report it, stop the whole runtime and re-raise from ``Runtime.run()``.
    """

    RESTART = "restart"
    STOP = "stop"
    RAISE = "raise"

    @classmethod
    def parse(cls, value: ErrorPolicy | str) -> ErrorPolicy:
        if isinstance(value, ErrorPolicy):
            return value
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(p.value for p in cls)
            raise ConfigError(f"unknown error policy {value!r}; use one of: {known}") from None


_MAX_DOUBLINGS = 64  # more growth steps than any useful max_s / initial_s ratio needs


@dataclass(frozen=True, slots=True)
class RestartBackoff:
    """Pause before retry ``n`` (0-based): ``initial_s * factor**n``, capped at ``max_s``,
    then made up to ``jitter`` (a fraction) longer or shorter at random.

    The one back-off of streamlib: the runtime restarts failed processors with it,
    WebRTC clients reconnect with it. Jitter spreads out many clients that lost
    one server at the same moment, so they do not all come back together; with
    ``jitter=0`` (the default) the pauses are exact::

        RestartBackoff(initial_s=0.5, max_s=10, jitter=0.1).delay_s(2)  # 1.8 to 2.2

    For the runtime: after ``reset_after_s`` of running without an error the count
    starts again, and a processor whose ``setup`` fails ``setup_attempts`` times in
    a row (a missing file, a busy port) is given up (``failed``) instead of retried
    forever; ``None`` retries for ever.
    """

    initial_s: float = 0.1
    factor: float = 2.0
    max_s: float = 5.0
    reset_after_s: float = 10.0
    setup_attempts: int | None = 5
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.jitter < 1.0:
            raise ConfigError(f"jitter is a fraction from 0 up to 1, got {self.jitter}")

    def delay_s(self, restarts: int) -> float:
        """The pause before retry number ``restarts`` (0 for the first)."""
        # The exponent is capped where the delay already reached ``max_s``: after
        # a thousand failures ``factor ** n`` would overflow a float.
        delay = self.initial_s
        for _ in range(min(restarts, _MAX_DOUBLINGS)):
            if delay >= self.max_s:
                break
            delay *= self.factor
        delay = float(min(self.max_s, delay))
        if self.jitter:
            delay *= random.uniform(1.0 - self.jitter, 1.0 + self.jitter)
        return delay
