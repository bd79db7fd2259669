"""Helpers for testing processors: a collector sink, a controllable clock, a harness.

::

    from streamlib.testing import run_processor

    out = run_processor(Invert, inputs={"video_in": [frame_a, frame_b]})
    assert out["video_out"][0].to_ndarray()[0, 0, 0] == 255 - frame_a.to_ndarray()[0, 0, 0]
"""

from ..core import ManualClock
from ..processors import Collector
from ._harness import run_processor

__all__ = ["Collector", "ManualClock", "run_processor"]
