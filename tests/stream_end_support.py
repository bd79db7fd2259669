"""Run one processor on given frames as a stream that ends: what it writes, tail included.

``streamlib.testing.run_processor`` feeds frames and tears the processor down,
like a stop; a processor that holds frames back (an encoder, a rechunker)
writes them in ``on_end_of_stream``, which a runtime calls once every input has
ended. :func:`run_to_end` calls it after the last ``process()``, before the
teardown, as the runtime would.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import streamlib as sl
from streamlib.testing import run_processor


def run_to_end(
    processor: type[sl.Processor] | sl.Processor,
    config: sl.ProcessorConfig | Mapping[str, Any] | None = None,
    *,
    inputs: Mapping[str, Sequence[sl.Frame]] | None = None,
) -> dict[str, list[sl.Frame]]:
    """``run_processor``, with the end of the stream after the last frame."""
    instance = processor if isinstance(processor, sl.Processor) else processor(config)
    tear_down = instance.teardown

    def end_then_tear_down() -> None:
        try:
            # Set up, and no error on the way out: the stream it saw ends here.
            if instance.ctx is not None and sys.exc_info()[0] is None:
                instance.on_end_of_stream()
        finally:
            tear_down()

    instance.teardown = end_then_tear_down  # type: ignore[method-assign]
    return run_processor(instance, inputs=inputs)
