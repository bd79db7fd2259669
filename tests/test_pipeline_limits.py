"""Pipeline files that are too deep, too large or too many: each is refused with a
clear ``file:line`` error, and loading grows linearly with the number of processors."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from streamlib.core import Graph
from streamlib.core._errors import CycleError, PipelineFileError
from streamlib.pipelines import (
    PipelineLimits,
    PipelineSpec,
    graph_from_spec,
    load_pipeline_file,
    parse_pipeline,
)
from streamlib.processors import NullSink, Passthrough
from streamlib.runtime import Runtime

LIMITS = PipelineLimits()


def error(text: str, limits: PipelineLimits = LIMITS) -> PipelineFileError:
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline(text, path="p.yaml", limits=limits)
    return info.value


def config_holding(value: str) -> str:
    """A one-processor pipeline whose config option ``x`` is ``value`` (flow style)."""
    return f"processors:\n  p:\n    type: P\n    config:\n      x: {value}\n"


# --- nesting depth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[" * 1000 + "]" * 1000, id="flow-lists"),
        pytest.param("{a: " * 1000 + "1" + "}" * 1000, id="flow-mappings"),
        pytest.param("[{a: " * 500 + "1" + "}]" * 500, id="mixed"),
    ],
)
def test_a_1000_deep_value_is_a_clear_error_not_a_recursion_error(value: str) -> None:
    err = error(config_holding(value))
    assert err.line == 5
    assert "nested more than 64 levels deep" in str(err)
    assert str(err).startswith("p.yaml:5: ")


def test_a_1000_deep_block_mapping_names_the_line_that_goes_too_deep() -> None:
    lines = [f"{'  ' * (i + 3)}k{i}:\n" for i in range(1000)]
    err = error("processors:\n  p:\n    type: P\n    config:\n" + "".join(lines))
    # The root is level 1, 'processors' 2, 'p' 3, 'config' 4 (from line 5 on), k0's
    # value 5 (from line 6): the mapping at level 65 begins on line 66.
    assert err.line == 66
    assert "nested more than 64 levels deep" in str(err)


def test_deep_json_is_refused_like_yaml() -> None:
    text = '{"processors": {"p": {"type": "P", "config": {"x": ' + "[" * 5000 + "]" * 5000 + "}}}}"
    err = error(text)
    assert err.line == 1
    assert "nested more than 64 levels deep" in str(err)


def test_a_nesting_at_the_limit_still_loads() -> None:
    # Root, processors, p and config take 4 levels; x's lists take the other 60.
    depth = 64 - 4
    spec = parse_pipeline(config_holding("[" * depth + "1" + "]" * depth))
    value: Any = spec.processors[0].config["x"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [1]
    error(config_holding("[" * (depth + 1) + "1" + "]" * (depth + 1)))


def test_an_alias_chain_that_nests_too_deep_is_a_clear_error() -> None:
    # Each anchor wraps the previous one: no line of the file is deep, but the value is.
    lines = ["      a0: &a0 [1]\n"]
    lines += [f"      a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 1000)]
    err = error("processors:\n  p:\n    type: P\n    config:\n" + "".join(lines))
    assert "nested more than 64 levels deep" in str(err)
    assert err.line is not None
    assert 5 < err.line < 5 + 1000


def test_a_merge_chain_that_nests_too_deep_is_a_clear_error() -> None:
    lines = ["      m0: &m0 {k0: 0}\n"]
    lines += [f"      m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}\n" for i in range(1, 1000)]
    err = error("processors:\n  p:\n    type: P\n    config:\n" + "".join(lines))
    assert "nested more than 64 levels deep" in str(err)


def test_the_depth_limit_can_be_raised() -> None:
    depth = 100
    spec = parse_pipeline(
        config_holding("[" * depth + "]" * depth), limits=PipelineLimits(max_depth=200)
    )
    assert spec.processors[0].config["x"] is not None


# --- size -------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    file = tmp_path / "huge.yaml"
    # Not even UTF-8: were it read and parsed, the error would be about the encoding.
    file.write_bytes(b"\xff" * (LIMITS.max_bytes + 1))
    with pytest.raises(PipelineFileError) as info:
        load_pipeline_file(file)
    message = str(info.value)
    assert message.startswith(f"{file}: ")
    assert "16 MiB" in message
    assert "PipelineLimits(max_bytes=" in message  # how to raise it


def test_the_size_limit_can_be_raised(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    text = "processors:\n" + "".join(f"  s{i}: {{type: NullSink}}\n" for i in range(100))
    file.write_text(text)
    with pytest.raises(PipelineFileError, match="over the 1000-byte limit"):
        load_pipeline_file(file, limits=PipelineLimits(max_bytes=1000))
    spec = load_pipeline_file(file, limits=PipelineLimits(max_bytes=len(text)))
    assert len(spec.processors) == 100


def test_an_endless_file_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    # /dev/zero reports size 0 and never ends: reading it whole would eat all memory.
    zero = Path("/dev/zero")
    if not zero.exists():  # pragma: no cover - every Linux and macOS has it
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(PipelineFileError, match="over the 1000-byte limit"):
        load_pipeline_file(zero, limits=PipelineLimits(max_bytes=1000))


def test_text_over_the_size_limit_is_refused() -> None:
    text = "processors: {}\n" + "#" * 2000
    err = error(text, PipelineLimits(max_bytes=1000))
    assert "over the 1000-byte limit" in str(err)
    # Counted in UTF-8 bytes, not characters.
    err = error("processors: {}\n#" + "é" * 600, PipelineLimits(max_bytes=1000))
    assert "over the 1000-byte limit" in str(err)


# --- counts -----------------------------------------------------------------------------------


def sinks(count: int) -> str:
    return "processors:\n" + "".join(f"  s{i}: {{type: NullSink}}\n" for i in range(count))


def test_too_many_processors_names_the_first_one_over_the_limit() -> None:
    err = error(sinks(11), PipelineLimits(max_processors=10))
    assert err.line == 12  # s10, the eleventh
    assert "more than 10 processors" in str(err)
    assert "PipelineLimits(max_processors=" in str(err)


def test_too_many_connections_names_the_first_one_over_the_limit() -> None:
    text = "processors: {a: {type: A}, b: {type: B}}\nconnections:\n" + "".join(
        f"  - a.o{i} -> b.i{i}\n" for i in range(6)
    )
    err = error(text, PipelineLimits(max_connections=5))
    assert err.line == 8
    assert "more than 5 connections" in str(err)


def test_too_many_values_are_refused_while_reading() -> None:
    # A flat list of a million small numbers: a few MB of text, gigabytes as nodes.
    err = error(config_holding("[" + ",".join(["1"] * 2000) + "]"), PipelineLimits(max_values=1000))
    assert err.line == 5
    assert "more than 1000 values" in str(err)


def test_a_yaml_bomb_stays_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "processors:\n  p:\n    type: P\n    config:\n" + "".join(
        f"      {line}\n" for line in lines
    )
    err = error(text)
    assert "anchors and aliases expand to more than" in str(err)


def test_the_default_limits_hold_a_large_real_pipeline() -> None:
    # A fifth of the documented capacity (10,000 processors with five config values).
    config = "{a: 1, b: 2.5, c: x, d: true, e: [1]}"
    text = "processors:\n" + "".join(
        f"  s{i}: {{type: T, config: {config}}}\n" for i in range(2000)
    )
    spec = parse_pipeline(
        text, limits=dataclasses.replace(LIMITS, max_values=LIMITS.max_values // 5)
    )
    assert len(spec.processors) == 2000


# --- linear loading ---------------------------------------------------------------------------


class _OverBudgetError(Exception):
    pass


def python_calls(action: Callable[[], object], budget: int) -> int:
    """How many Python function calls (generator steps included) ``action`` makes.

    Counting calls, not seconds, keeps the check independent of the machine's
    speed; the budget stops a quadratic run early instead of letting it crawl.
    """
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1
            if calls > budget:
                raise _OverBudgetError

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        action()
    except _OverBudgetError:
        pass
    finally:
        sys.setprofile(previous)
    return calls


def sink_file(count: int) -> str:
    return sinks(count)


def chain_file(count: int, *, reverse: bool = False) -> str:
    ids = [f"p{i}" for i in range(count)]
    declared = reversed(ids) if reverse else iter(ids)
    lines = ["processors:\n"] + [f"  {pid}: {{type: Passthrough}}\n" for pid in declared]
    lines.append("connections:\n")
    lines += [f"  - p{i}.frames_out -> p{i + 1}.frames_in\n" for i in range(count - 1)]
    return "".join(lines)


def load_into_runtime(text: str) -> Callable[[], object]:
    def action() -> None:
        spec = parse_pipeline(text)
        with Runtime() as runtime:
            runtime.load(spec)

    return action


def build_graph(text: str) -> Callable[[], object]:
    spec = parse_pipeline(text)  # parsing is measured in the runtime cases
    return lambda: graph_from_spec(spec)


def assert_linear(make: Callable[[int], Callable[[], object]], small: int, large: int) -> None:
    calls_small = python_calls(make(small), budget=10**9)
    ratio = large / small
    # Linear work scales by ``ratio``; allow half as much again for fixed costs and hashing.
    budget = int(calls_small * ratio * 1.5)
    calls_large = python_calls(make(large), budget=budget)
    assert calls_large <= budget, (
        f"{small} -> {large} processors: Python calls grew from {calls_small} to more than "
        f"{budget} (over {calls_large / calls_small:.1f}x for {ratio:.0f}x the processors)"
    )


def test_loading_null_sinks_into_a_runtime_grows_linearly() -> None:
    assert_linear(lambda n: load_into_runtime(sink_file(n)), 2000, 8000)


def test_loading_a_chain_into_a_runtime_grows_linearly() -> None:
    assert_linear(lambda n: load_into_runtime(chain_file(n)), 500, 2000)


def test_building_a_chain_declared_backwards_grows_linearly() -> None:
    assert_linear(lambda n: build_graph(chain_file(n, reverse=True)), 500, 2000)


def test_adding_processors_without_ids_grows_linearly() -> None:
    def add(count: int) -> Callable[[], object]:
        def action() -> None:
            graph = Graph()
            for _ in range(count):
                graph.add(NullSink())

        return action

    assert_linear(add, 500, 2000)


def test_a_loop_in_a_large_file_is_found_at_the_connection_that_closes_it() -> None:
    # p1 -> ... -> p299 -> p1, with the link back written first: the loop closes
    # only at the last link of the chain, and that is the line to report.
    text = chain_file(300).replace(
        "  - p0.frames_out -> p1.frames_in\n", "  - p299.frames_out -> p1.frames_in\n"
    )
    spec = parse_pipeline(text, path="loop.yaml")
    with pytest.raises(PipelineFileError) as info:
        graph_from_spec(spec)
    assert info.value.line == text.splitlines().index("  - p298.frames_out -> p299.frames_in") + 1
    assert "p298.frames_out -> p299.frames_in would close a loop" in str(info.value)


def test_a_chain_declared_backwards_is_built_in_order() -> None:
    spec: PipelineSpec = parse_pipeline(chain_file(50, reverse=True))
    graph = graph_from_spec(spec)
    assert graph.topological_order() == [f"p{i}" for i in range(50)]
    assert len(graph.edges()) == 49
    # The graph keeps validating changes after a bulk load.
    with pytest.raises(CycleError):
        graph.connect("p49.frames_out", "p0.frames_in")
    graph.add(Passthrough(), "extra")
    graph.connect("p49.frames_out", "extra.frames_in")
    assert graph.topological_order()[-1] == "extra"
