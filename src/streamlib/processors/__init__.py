"""Built-in processors. Each is registered under its class name (``streamlib list``)."""

from ._passthrough import Passthrough
from ._sinks import Collector, NullSink
from ._test_pattern import TestPattern
from ._tone_source import ToneSource

__all__ = ["Collector", "NullSink", "Passthrough", "TestPattern", "ToneSource"]
