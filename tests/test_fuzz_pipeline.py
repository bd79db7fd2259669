"""Fuzzing pipeline files: whatever the text, loading it either succeeds or raises a
streamlib error with a message; never another exception, never a hang.

Three sources of input, each bounded to a few seconds for CI:

- arbitrary text, biased towards the characters YAML and JSON give meaning to;
- a valid pipeline file with random edits (characters inserted, removed, replaced;
  lines duplicated, dropped, indented);
- random structures (mappings, lists, scalars) dumped as YAML and JSON, alone and
  under ``processors:``.

Every crash found here stays as a named regression test in
``tests/test_pipeline_limits.py`` or ``tests/test_pipeline_spec.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamlib.core import Registry
from streamlib.core._errors import StreamError
from streamlib.pipelines import PipelineLimits, graph_from_spec, parse_pipeline
from streamlib.processors import Gain, NullSink, Passthrough, TestPattern, ToneSource

# Small limits: the fuzzer reaches them often, and each example stays fast.
LIMITS = PipelineLimits(max_bytes=64 * 1024, max_values=20_000, max_processors=50)
FUZZ = settings(
    max_examples=150,
    deadline=2000,  # ms per example: a hang or a quadratic blow-up fails, not waits
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # CI runs the same examples every time
    database=None,
)

VALID = """\
name: fuzz
processors:
  src: {type: TestPattern, config: {width: 64, height: 48, fps: 30}}
  tone: {type: ToneSource, config: {frequencies: [440.0]}}
  gain: {type: Gain, config: &g {gain_db: -6.0}}
  pass: {type: Passthrough}
  sink: {type: NullSink}
connections:
  - src.video -> pass.frames_in
  - pass.frames_out -> sink.video
  - {from: tone.audio, to: gain.audio_in, profile: fifo, capacity: 8}
  - gain.audio_out -> sink.audio
"""

SYNTAX = [*"{}[]:,-?&*!|>'\"#%@`\\ \t\n", "<<", "->", "---", "...", "\ufeff", "é", "\x85"]


# Whole tokens an edit may drop in: aliases, merges, tags, huge numbers, ids and ports.
PIECES = [
    "*g", "&g ", "<<: *g\n", "!!str ", "!!binary ", "!!python/name:os.system ", "!custom ",
    "src", "sink.video", "9" * 5000, "1e999", "-.inf", ".nan", "0x1F", "2001-12-14", "~",
]  # fmt: skip


def registry() -> Registry:
    # Types without devices, files or libraries: building them touches nothing outside.
    types = Registry()
    for processor_class in (TestPattern, ToneSource, Gain, Passthrough, NullSink):
        types.register(processor_class)
    return types


REGISTRY = registry()


def load(text: str) -> None:
    """Parse and build ``text``; only a ``StreamError`` with a message may come out."""
    try:
        graph_from_spec(parse_pipeline(text, path="fuzz.yaml", limits=LIMITS), REGISTRY)
    except StreamError as error:
        refusal: StreamError | None = error
    else:
        refusal = None
    if refusal is not None:
        assert str(refusal).removeprefix("fuzz.yaml").strip(": 0123456789"), (
            f"{type(refusal).__name__} without a message"
        )


def dumped(document: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document)  # NaN and infinities as JavaScript writes them
    return yaml.safe_dump(document, allow_unicode=True)


def test_the_valid_pipeline_loads() -> None:
    graph = graph_from_spec(parse_pipeline(VALID, limits=LIMITS), REGISTRY)
    assert len(graph) == 5


@FUZZ
@given(
    st.lists(st.sampled_from([*SYNTAX, *"abcxyz019.eE+"]) | st.characters(), max_size=200).map(
        "".join
    )
)
def test_arbitrary_text_loads_or_says_why(text: str) -> None:
    load(text)


@st.composite
def edited(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "line"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(SYNTAX)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif kind == "replace":
            piece = draw(st.sampled_from([*SYNTAX, *PIECES]))
            text = text[:at] + piece + text[at + 1 :]
        else:
            lines = text.splitlines(keepends=True)
            index = draw(st.integers(0, len(lines) - 1))
            change = draw(st.sampled_from(["duplicate", "drop", "indent", "dedent"]))
            line = lines[index]
            lines[index] = {
                "duplicate": line * 2,
                "drop": "",
                "indent": "  " + line,
                "dedent": line.removeprefix("  "),
            }[change]
            text = "".join(lines)
    return text


@FUZZ
@given(edited())
def test_an_edited_valid_pipeline_loads_or_says_why(text: str) -> None:
    load(text)


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["NullSink", "TestPattern", "src.video -> sink.video", "<<", "latest"])
)
structures = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["type", "config"]), inner, max_size=4
        )
    ),
    max_leaves=30,
)


def as_pipeline(value: Any) -> dict[str, Any]:
    return {"processors": value, "connections": [value] if isinstance(value, str) else value}


@FUZZ
@given(structures, st.booleans(), st.sampled_from(["yaml", "json"]))
def test_a_random_structure_loads_or_says_why(value: Any, under: bool, fmt: str) -> None:
    load(dumped(as_pipeline(value) if under else value, fmt))


IDS = ["src", "tone", "gain", "pass", "sink", "x"]
PORTS = ["video", "audio", "data", "frames_in", "frames_out", "audio_in", "audio_out", "nope"]
FIELDS = [
    "width", "height", "fps", "pattern", "frequencies", "amplitude", "sample_rate",
    "block_size", "channels", "gain_db", "realtime", "duration_s", "frames", "bogus",
]  # fmt: skip
endpoints = st.builds("{}.{}".format, st.sampled_from(IDS), st.sampled_from(PORTS))
values = st.recursive(
    scalars | st.integers(-(2**70), 2**70) | st.floats(),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
processor_entries = st.fixed_dictionaries(
    {"type": st.sampled_from(["TestPattern", "ToneSource", "Gain", "Passthrough", "NullSink"])},
    optional={"config": st.dictionaries(st.sampled_from(FIELDS), values, max_size=4)},
)
connection_entries = st.builds("{} -> {}".format, endpoints, endpoints) | st.fixed_dictionaries(
    {"from": endpoints, "to": endpoints},
    optional={
        "profile": st.sampled_from(["latest", "fifo", "lossless", "LIFO"]),
        "capacity": st.integers(-2, 2**70),
    },
)
pipelines = st.fixed_dictionaries(
    {
        "processors": st.dictionaries(st.sampled_from(IDS), processor_entries, max_size=6),
        "connections": st.lists(connection_entries, max_size=6),
    }
)


@FUZZ
@given(pipelines, st.sampled_from(["yaml", "json"]))
def test_a_random_pipeline_of_real_types_loads_or_says_why(document: Any, fmt: str) -> None:
    load(dumped(document, fmt))


@pytest.mark.parametrize("depth", [10, 100, 10_000])
def test_deep_random_nesting_loads_or_says_why(depth: int) -> None:
    load("processors: {p: {type: NullSink, config: {x: " + "[{a: " * depth + "}]" * depth)
