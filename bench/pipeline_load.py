"""How loading a pipeline file grows with its size: it should grow linearly.

For N processors (1k, 2k, 4k, 8k, 16k), times each step of ``Runtime.load`` on two
shapes of file:

- ``null_sinks``: N unconnected ``NullSink`` entries (the shape of the issue's
  4 MB file);
- ``chain``: N ``Passthrough`` processors in one chain, N - 1 connections, the
  processors declared in file order, so every connection also passes the loop check.

and reports ``parse`` (text to spec), ``graph`` (``graph_from_spec``: processors
built, connections validated) and ``runtime_load`` (``Runtime.load`` of the spec,
which builds its own graph again), in seconds, plus ``per_1k_ms`` (the total per
thousand processors: flat when loading is linear). The limits are raised to fit
16k processors (the default allows 10k). Prints JSON::

    python bench/pipeline_load.py             # about a minute on 2 cores
    python bench/pipeline_load.py --quick     # 1k and 2k only
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable

from streamlib.pipelines import PipelineLimits, graph_from_spec, parse_pipeline
from streamlib.runtime import Runtime

SIZES = (1000, 2000, 4000, 8000, 16000)
LIMITS = PipelineLimits(max_processors=max(SIZES), max_values=10 * max(SIZES))


def null_sinks(count: int) -> str:
    return "processors:\n" + "".join(f"  s{i}: {{type: NullSink}}\n" for i in range(count))


def chain(count: int) -> str:
    lines = ["processors:\n"]
    lines += [f"  p{i}: {{type: Passthrough}}\n" for i in range(count)]
    lines.append("connections:\n")
    lines += [f"  - p{i}.frames_out -> p{i + 1}.frames_in\n" for i in range(count - 1)]
    return "".join(lines)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def measure(text: str, count: int) -> dict[str, float | int]:
    parse_s, spec = timed(lambda: parse_pipeline(text, limits=LIMITS))
    graph_s, _ = timed(lambda: graph_from_spec(spec))  # type: ignore[arg-type]
    with Runtime() as runtime:
        load_s, _ = timed(lambda: runtime.load(spec))  # type: ignore[arg-type]
    total = parse_s + graph_s + load_s
    return {
        "processors": count,
        "bytes": len(text.encode()),
        "parse_s": round(parse_s, 3),
        "graph_s": round(graph_s, 3),
        "runtime_load_s": round(load_s, 3),
        "total_s": round(total, 3),
        "per_1k_ms": round(total / count * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 1k and 2k processors")
    args = parser.parse_args()
    sizes = SIZES[:2] if args.quick else SIZES
    results: dict[str, object] = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }
    for name, make in (("null_sinks", null_sinks), ("chain", chain)):
        results[name] = [measure(make(count), count) for count in sizes]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
