"""Tests for the pipeline-file parser: shapes, typed values, anchors, dumps, and
every error with the exact line it points at."""

from __future__ import annotations

import dataclasses
import math
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest

import streamlib.pipelines
from streamlib.core._errors import PipelineFileError, StreamError, UnknownProcessorError
from streamlib.pipelines import (
    ConnectionSpec,
    PipelineSpec,
    PluginSpec,
    ProcessorSpec,
    dump_pipeline,
    load_pipeline_file,
    parse_pipeline,
)

EXAMPLE = """\
name: my-pipeline
processors:
  src: {type: TestPattern, config: {width: 640, height: 480, fps: 30}}
  tone: {type: ToneSource}
  sink: {type: NullSink}
  sink2: {type: NullSink}
connections:
  - src.video -> sink.video
  - {from: tone.audio, to: sink2.audio, profile: lossless, capacity: 64}
"""


def parse(text: str) -> PipelineSpec:
    return parse_pipeline(textwrap.dedent(text), path="p.yaml")


def error(text: str) -> PipelineFileError:
    """The error parsing ``text`` raises (dedented, so tests can indent their YAML)."""
    with pytest.raises(PipelineFileError) as info:
        parse(text)
    return info.value


def test_exported_names() -> None:
    assert sorted(streamlib.pipelines.__all__) == [
        "ConnectionSpec",
        "LocalType",
        "PipelineLimits",
        "PipelineSpec",
        "PluginSpec",
        "ProcessorSpec",
        "dump_pipeline",
        "graph_from_spec",
        "load_graph",
        "load_pipeline_file",
        "parse_pipeline",
        "processor_types",
    ]


# --- what a good file reads as ---------------------------------------------------------------


def test_example_file() -> None:
    spec = parse_pipeline(EXAMPLE)
    assert spec.name == "my-pipeline"
    assert spec.path is None
    assert [p.id for p in spec.processors] == ["src", "tone", "sink", "sink2"]
    src = spec.processor("src")
    assert src.type == "TestPattern"
    assert src.config == {"width": 640, "height": 480, "fps": 30}
    assert src.line == 3
    assert src.config_lines == {"width": 3, "height": 3, "fps": 3}
    assert spec.processor("sink2").line == 6
    video, audio = spec.connections
    assert (video.source, video.source_port, video.target, video.target_port) == (
        "src",
        "video",
        "sink",
        "video",
    )
    assert (video.profile, video.capacity, video.line) == (None, None, 8)
    assert (audio.source, audio.source_port, audio.target, audio.target_port) == (
        "tone",
        "audio",
        "sink2",
        "audio",
    )
    assert (audio.profile, audio.capacity, audio.line) == ("lossless", 64, 9)


def test_defaults() -> None:
    spec = parse("processors:\n  tone: {type: ToneSource}\n")
    assert spec.name is None
    assert spec.connections == ()
    tone = spec.processor("tone")
    assert tone.config == {}
    assert tone.config_lines == {}


@pytest.mark.parametrize(
    "text",
    [
        "processors: {}",
        "processors:",
        "processors:\nconnections:",
        "processors: {}\nconnections: []\nname:",
    ],
)
def test_empty_sections(text: str) -> None:
    spec = parse(text)
    assert spec.processors == ()
    assert spec.connections == ()
    assert spec.name is None


def test_empty_config_is_empty_mapping() -> None:
    spec = parse("""\
        processors:
          a:
            type: X
            config:
        """)
    assert spec.processor("a").config == {}


def test_config_lines_point_at_each_key() -> None:
    spec = parse("""\
        processors:
          cam:
            type: TestPattern
            config:
              width: 640

              fps: 30
              nested:
                deep: 1
        """)
    cam = spec.processor("cam")
    assert cam.line == 2
    assert cam.config_lines == {"width": 5, "fps": 7, "nested": 8}
    assert cam.config == {"width": 640, "fps": 30, "nested": {"deep": 1}}


def test_keys_may_come_in_any_order() -> None:
    spec = parse("""\
        connections: [a.out -> b.in_]
        processors: {a: {config: {x: 1}, type: A}, b: {type: B}}
        name: n
        """)
    assert str(spec.connections[0]) == "a.out -> b.in_"
    assert spec.processor("a").config == {"x": 1}


@pytest.mark.parametrize(
    "arrow",
    [
        "a.out -> b.in_",
        "a.out->b.in_",
        "  a.out   ->   b.in_  ",
        '"a.out\t-> b.in_"',
        '"a.out -> b.in_"',
    ],
)
def test_arrow_form_tolerates_spaces(arrow: str) -> None:
    spec = parse(f"processors: {{a: {{type: A}}, b: {{type: B}}}}\nconnections:\n  - {arrow}\n")
    (connection,) = spec.connections
    assert connection == ConnectionSpec("a", "out", "b", "in_", None, None, line=3)
    assert connection.line == 3


def test_ids_and_ports_with_allowed_characters() -> None:
    spec = parse("""\
        processors:
          _cam-1: {type: Camera}
          Sink_2: {type: NullSink}
        connections:
          - _cam-1.video_0 -> Sink_2._in
        """)
    assert str(spec.connections[0]) == "_cam-1.video_0 -> Sink_2._in"


@pytest.mark.parametrize("profile", ["latest", "fifo", "lossless"])
def test_mapping_form_profiles(profile: str) -> None:
    spec = parse(f"""\
        processors: {{a: {{type: A}}, b: {{type: B}}}}
        connections:
          - from: a.out
            to: b.in_
            profile: {profile}
        """)
    (connection,) = spec.connections
    assert connection.profile == profile
    assert connection.capacity is None
    assert connection.line == 3


def test_mapping_form_capacity_only_and_nulls() -> None:
    spec = parse("""\
        processors: {a: {type: A}, b: {type: B}}
        connections:
          - {from: a.out, to: b.in_, capacity: 1}
          - {from: a.out, to: b.in_, profile: null, capacity: null}
        """)
    first, second = spec.connections
    assert (first.profile, first.capacity) == (None, 1)
    assert (second.profile, second.capacity) == (None, None)


def test_port_names_are_not_checked() -> None:
    # Ports belong to processor types, which this layer knows nothing about.
    spec = parse("processors: {a: {type: A}}\nconnections: [a.nothing -> a.whatever]")
    assert str(spec.connections[0]) == "a.nothing -> a.whatever"


def test_connection_str() -> None:
    connection = ConnectionSpec("src", "video", "sink", "video", "fifo", 8, line=1)
    assert str(connection) == "src.video -> sink.video"


def test_typed_scalars() -> None:
    spec = parse("""\
        processors:
          a:
            type: A
            config:
              int: 30
              negative: -2
              float: 0.5
              exponent: 1e-3
              big: 2E6
              quoted_exponent: "1e-3"
              tagged_exponent: !!str 1e-3
              bool: true
              null_value: null
              tilde: ~
              string: hello
              quoted_number: "30"
              date: 2024-01-01
              equals: =
              merge_text: <<
              list: [1, two, 3.0]
              mapping: {k: v}
              block: |
                line one
                line two
        """)
    config = spec.processor("a").config
    assert config == {
        "int": 30,
        "negative": -2,
        "float": 0.5,
        "exponent": 0.001,
        "big": 2e6,
        "quoted_exponent": "1e-3",
        "tagged_exponent": "1e-3",
        "bool": True,
        "null_value": None,
        "tilde": None,
        "string": "hello",
        "quoted_number": "30",
        "date": "2024-01-01",
        "equals": "=",
        "merge_text": "<<",
        "list": [1, "two", 3.0],
        "mapping": {"k": "v"},
        "block": "line one\nline two\n",
    }
    assert type(config["int"]) is int
    assert type(config["float"]) is float
    assert type(config["big"]) is float
    assert type(config["bool"]) is bool


def test_special_floats() -> None:
    config = (
        parse("processors: {a: {type: A, config: {x: .inf, y: -.inf, z: .nan}}}")
        .processor("a")
        .config
    )
    assert config["x"] == math.inf
    assert config["y"] == -math.inf
    assert math.isnan(config["z"])


# --- JSON -------------------------------------------------------------------------------------

JSON_EXAMPLE = """\
{
  "name": "from-json",
  "processors": {
    "src": {"type": "TestPattern", "config": {"width": 640, "gain": 1e-3, "on": true}},
    "sink": {"type": "NullSink"}
  },
  "connections": [
    "src.video -> sink.video",
    {"from": "src.audio", "to": "sink.audio", "profile": "fifo", "capacity": 32}
  ]
}
"""


def test_json_input() -> None:
    spec = parse_pipeline(JSON_EXAMPLE)
    assert spec.name == "from-json"
    src = spec.processor("src")
    assert src.config == {"width": 640, "gain": 0.001, "on": True}
    assert src.line == 4
    assert src.config_lines == {"width": 4, "gain": 4, "on": 4}
    video, audio = spec.connections
    assert (str(video), video.line) == ("src.video -> sink.video", 8)
    assert (str(audio), audio.profile, audio.capacity, audio.line) == (
        "src.audio -> sink.audio",
        "fifo",
        32,
        9,
    )


def test_compact_json() -> None:
    spec = parse_pipeline('{"processors":{"a":{"type":"A","config":{"x":[1,2],"y":"\\u00e9\\/"}}}}')
    assert spec.processor("a").config == {"x": [1, 2], "y": "é/"}


def test_tab_indented_json() -> None:
    text = '{\n\t"processors": {\n\t\t"a": {"type":\t"A", "config": {"s": "keep\ttab"}}\n\t}\n}\n'
    spec = parse_pipeline(text)
    a = spec.processor("a")
    assert a.line == 3
    assert a.config == {"s": "keep\ttab"}


def test_tabs_in_flow_yaml_quotes_are_kept() -> None:
    text = "{processors: {a: {type: A, config: {s: 'it''s\ta', t:\t'#\tx'}}}} # a\tcomment"
    assert parse_pipeline(text).processor("a").config == {"s": "it's\ta", "t": "#\tx"}


def test_tab_indented_json_error_keeps_its_line() -> None:
    text = '{\n\t"processors": {\n\t\t"a": {"type": "A"},\n\t\t"a": {"type": "B"}\n\t}\n}\n'
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline(text, path="p.json")
    assert info.value.line == 4
    assert 'duplicate processor id "a"' in str(info.value)


def test_json_errors_have_lines() -> None:
    text = """\
    {
      "processors": {"src": {"type": "TestPattern"}},
      "connections": [
        "src.video -> snk.video"
      ]
    }
    """
    err = error(text)
    assert err.line == 4
    assert 'no processor "snk"' in str(err)


def test_json_syntax_error_has_line() -> None:
    err = error('{\n  "processors": {\n    "a": {"type": "A"}\n  \n')
    assert err.line == 5
    assert "YAML syntax error" in str(err)


# --- anchors and aliases ----------------------------------------------------------------------


def test_anchor_and_alias() -> None:
    spec = parse("""\
        processors:
          left: {type: Camera, config: &cam {width: 1280, height: 720, options: [1, 2]}}
          right: {type: Camera, config: *cam}
        """)
    left, right = spec.processors
    assert left.config == right.config == {"width": 1280, "height": 720, "options": [1, 2]}
    # Aliases expand to copies: one processor's config cannot change another's.
    assert left.config is not right.config
    assert left.config["options"] is not right.config["options"]
    assert right.config_lines == {"width": 2, "height": 2, "options": 2}


def test_merge_keys() -> None:
    spec = parse("""\
        processors:
          base: &base {type: Camera, config: {width: 640, height: 480}}
          big:
            <<: *base
            config:
              <<: {width: 1920, height: 1080, fps: 30}
              fps: 60
        connections:
          - &link {from: base.video, to: big.video, profile: fifo}
          - *link
        """)
    big = spec.processor("big")
    assert big.type == "Camera"
    assert big.config == {"width": 1920, "height": 1080, "fps": 60}
    assert big.config_lines == {"width": 6, "height": 6, "fps": 7}
    assert spec.connections[0] == spec.connections[1]


def test_merge_list_earlier_wins() -> None:
    spec = parse("""\
        processors:
          a:
            type: A
            config:
              <<: [{x: 1, y: 1}, {x: 2, z: 2}]
        """)
    assert spec.processor("a").config == {"x": 1, "y": 1, "z": 2}


def test_recursive_alias_is_an_error() -> None:
    err = error("""\
        processors:
          a:
            type: A
            config: &loop
              self: *loop
        """)
    assert err.line == 5
    assert "refers to a value that contains it" in str(err)


def test_recursive_merge_is_an_error() -> None:
    err = error("""\
        processors:
          a:
            type: A
            config: &loop
              x: 1
              inner: {<<: *loop}
        """)
    assert err.line == 6  # the merge that closes the loop
    assert "loop" in str(err)


def test_alias_expansion_is_capped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    text = "processors:\n  p:\n    type: P\n    config:\n" + "".join(
        f"      {line}\n" for line in lines
    )
    with pytest.raises(PipelineFileError, match="anchors and aliases expand to more than"):
        parse_pipeline(text)


def test_undefined_alias() -> None:
    err = error("""\
        processors:
          a: {type: A, config: *nowhere}
        """)
    assert err.line == 2
    assert "undefined alias" in str(err)
    assert "define the anchor" in str(err)


# --- errors, each with its line ---------------------------------------------------------------


def test_error_format_and_builtin() -> None:
    err = error("processors: {}\nconnectoins: []\n")
    assert str(err).startswith("p.yaml:2: ")
    assert isinstance(err, ValueError)
    assert isinstance(err, StreamError)
    assert err.path == "p.yaml"


def test_error_without_path() -> None:
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline("processors: {}\nbad: 1\n")
    assert str(info.value).startswith("<pipeline>:2: ")
    assert info.value.path is None


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n# and another\n"])
def test_empty_file(text: str) -> None:
    err = error(text)
    assert err.line == 1
    assert "empty" in str(err)


def test_yaml_syntax_error_line() -> None:
    err = error("""\
        processors:
          a: {type: A}
          b: {type: B
        connections: []
        """)
    assert err.line == 4
    assert "YAML syntax error" in str(err)
    assert "on line 3" in str(err)  # where the unclosed mapping starts


def test_yaml_mapping_value_error() -> None:
    err = error("processors:\n  a: {type: A}\nname: a: b\n")
    assert err.line == 3
    assert "must be quoted" in str(err)


def test_tab_indentation() -> None:
    err = error("processors:\n\ta: {type: A}\n")
    assert err.line == 2
    assert "tabs" in str(err)


def test_multiple_documents() -> None:
    err = error("processors: {}\n---\nprocessors: {}\n")
    assert err.line == 2
    assert "one document" in str(err)


def test_control_character() -> None:
    err = error("processors:\n  a: {type: A\x01}\n")
    assert err.line == 2
    assert "not allowed" in str(err)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("- a\n- b\n", 1, "a list"),
        ("\n\njust text\n", 3, 'the string "just text"'),
        ("# header\n42\n", 2, "the number 42"),
        ("---\n", 2, "empty (null)"),
    ],
)
def test_root_must_be_a_mapping(text: str, line: int, what: str) -> None:
    err = error(text)
    assert err.line == line
    assert "top level must be a mapping" in str(err)
    assert what in str(err)


def test_unknown_top_level_key() -> None:
    err = error("""\
        name: x
        processors: {}
        conections: []
        """)
    assert err.line == 3
    message = str(err)
    assert 'unknown top-level key "conections"' in message
    assert "did you mean 'connections'?" in message
    assert "connections, name, plugins, processors" in message


def test_unknown_top_level_key_without_suggestion() -> None:
    err = error("processors: {}\nzzz: 1\n")
    assert err.line == 2
    assert "did you mean" not in str(err)


def test_missing_processors() -> None:
    err = error("""\
        # a comment first
        name: x
        connections: []
        """)
    assert err.line == 2
    assert "missing 'processors:'" in str(err)


def test_duplicate_top_level_key() -> None:
    err = error("processors: {}\nname: a\nname: b\n")
    assert err.line == 3
    assert 'duplicate top-level key "name" (first on line 2)' in str(err)


def test_name_must_be_a_string() -> None:
    err = error("processors: {}\nname: 12\n")
    assert err.line == 2
    assert "must be a string" in str(err)
    assert "quotes" in str(err)


def test_processors_must_be_a_mapping() -> None:
    err = error("""\
        processors:
          - {type: A}
        """)
    assert err.line == 2
    assert "'processors' must be a mapping" in str(err)
    assert "not '- ...' items" in str(err)


def test_duplicate_processor_id() -> None:
    err = error("""\
        processors:
          src: {type: TestPattern}
          sink: {type: NullSink}

          src: {type: Other}
        """)
    assert err.line == 5
    assert 'duplicate processor id "src" (first on line 2)' in str(err)


@pytest.mark.parametrize("bad_id", ["1cam", "my cam", "cam.1", "-cam", "'cam!'"])
def test_invalid_processor_id(bad_id: str) -> None:
    err = error(f"processors:\n  a: {{type: A}}\n  {bad_id}: {{type: B}}\n")
    assert err.line == 3
    assert "is not valid" in str(err)


def test_processor_id_must_be_a_string() -> None:
    err = error("processors:\n  a: {type: A}\n  12: {type: B}\n")
    assert err.line == 3
    assert "processor id must be a string, not the number 12" in str(err)
    assert 'put it in quotes, e.g. "12"' in str(err)


def test_boolean_key_hint() -> None:
    err = error("processors:\n  a:\n    type: A\n    config:\n      on: 1\n")
    assert err.line == 5
    assert "yes/no/on/off" in str(err)


def test_processor_must_be_a_mapping() -> None:
    err = error("processors:\n  a: {type: A}\n  sink: NullSink\n")
    assert err.line == 3
    assert "write {type: NullSink}" in str(err)


def test_processor_left_empty() -> None:
    err = error("processors:\n  a: {type: A}\n  sink:\n")
    assert err.line == 3
    assert "empty (null)" in str(err)


def test_processor_without_type() -> None:
    err = error("""\
        processors:
          a: {type: A}
          b:
            config: {x: 1}
        """)
    assert err.line == 3
    assert "processor \"b\" has no 'type'" in str(err)


@pytest.mark.parametrize("value", ["12", "[A]", "{name: A}", "null", "''"])
def test_type_must_be_a_string(value: str) -> None:
    err = error(f"processors:\n  a:\n    type: {value}\n")
    assert err.line == 3
    assert "'type' of processor \"a\"" in str(err)


def test_unknown_processor_key() -> None:
    err = error("""\
        processors:
          a:
            type: A
            confg: {x: 1}
        """)
    assert err.line == 4
    assert 'processor "a": unknown key "confg" (did you mean \'config\'?)' in str(err)


def test_option_outside_config() -> None:
    err = error("processors:\n  a:\n    type: A\n    fps: 30\n")
    assert err.line == 4
    assert "its options go under 'config'" in str(err)


@pytest.mark.parametrize("value", ["[1, 2]", "30", "fast"])
def test_config_must_be_a_mapping(value: str) -> None:
    err = error(f"processors:\n  a:\n    type: A\n    config: {value}\n")
    assert err.line == 4
    assert "'config' of processor \"a\" must be a mapping" in str(err)


def test_duplicate_config_key() -> None:
    err = error("""\
        processors:
          a:
            type: A
            config:
              fps: 30
              fps: 60
        """)
    assert err.line == 6
    assert 'duplicate config key of "a" "fps" (first on line 5)' in str(err)


def test_duplicate_nested_key() -> None:
    err = error(
        "processors:\n  a:\n    type: A\n    config:\n      n:\n        k: 1\n        k: 2\n"
    )
    assert err.line == 7
    assert 'duplicate key "k" (first on line 6)' in str(err)


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object:os.system {}", "python/object"),
        ("!!set {a, b}", "set"),
        ("!custom thing", "!custom"),
        ("!!binary aGVsbG8=", "binary"),
        ("!!omap [a: 1]", "omap"),
    ],
)
def test_unsupported_tags(value: str, tag: str) -> None:
    err = error(f"processors:\n  a:\n    type: A\n    config:\n      x: {value}\n")
    assert err.line == 5
    assert "is not supported" in str(err)
    assert tag in str(err)


def test_bad_explicit_int() -> None:
    err = error("processors:\n  a:\n    type: A\n    config:\n      x: !!int abc\n")
    assert err.line == 5
    assert "cannot read 'abc' as int" in str(err)


def test_connections_must_be_a_list() -> None:
    err = error("processors: {a: {type: A}}\nconnections:\n  a.x: a.y\n")
    assert err.line == 3
    assert "'connections' must be a list" in str(err)


@pytest.mark.parametrize("item", ["42", "[a.x, a.y]", "null", "true"])
def test_connection_of_wrong_kind(item: str) -> None:
    err = error(f"processors: {{a: {{type: A}}}}\nconnections:\n  - a.x -> a.y\n  - {item}\n")
    assert err.line == 4
    assert "connection #2 must be" in str(err)


@pytest.mark.parametrize(
    ("arrow", "expected"),
    [
        ("a.x a.y", 'write it as "PROC.PORT -> PROC.PORT"'),
        ("a.x => a.y", "'=>' is not the arrow"),
        ("a.x → a.y", "'→' is not the arrow"),
        ("a.x -> a.y -> a.z", 'write it as "PROC.PORT -> PROC.PORT"'),
        ("a -> a.y", 'the source "a" names no port'),
        ("a.x -> a", 'the target "a" names no port'),
        ("a.x.y -> a.y", "has more than one '.'"),
        ("-> a.y", "the source is empty"),
        ("a.x ->", "the target is empty"),
        ("a.1x -> a.y", '"1x" is not a valid port name'),
        ("a.x -> a.my-port", '"my-port" is not a valid port name'),
        ("9a.x -> a.y", '"9a" is not a valid processor id'),
        ("a .x -> a.y", '"a " is not a valid processor id'),
    ],
)
def test_bad_arrow_connection(arrow: str, expected: str) -> None:
    err = error(f'processors: {{a: {{type: A}}}}\nconnections:\n\n  - "{arrow}"\n')
    assert err.line == 4
    assert expected in str(err)
    assert f'connection "{arrow}"' in str(err)


def test_unknown_processor_in_arrow_connection() -> None:
    err = error("""\
        processors:
          src: {type: TestPattern}
          sink: {type: NullSink}
        connections:
          - src.video -> sink.video
          - src.video -> snik.video
        """)
    assert err.line == 6
    message = str(err)
    assert message.startswith("p.yaml:6: ")
    assert 'connection "src.video -> snik.video": no processor "snik"' in message
    assert "did you mean 'sink'?" in message
    assert "declared: src, sink" in message


def test_unknown_source_processor() -> None:
    err = error("processors: {sink: {type: NullSink}}\nconnections: [zzz.video -> sink.video]\n")
    assert err.line == 2
    assert 'no processor "zzz"' in str(err)
    assert "did you mean" not in str(err)


def test_unknown_processor_when_none_declared() -> None:
    err = error("processors:\nconnections:\n  - a.x -> b.y\n")
    assert err.line == 3
    assert "declared: none" in str(err)


def test_unknown_processor_in_mapping_connection() -> None:
    err = error("""\
        processors:
          tone: {type: ToneSource}
          sink: {type: NullSink}
        connections:
          - from: tone.audio
            to: sinc.audio
            profile: fifo
        """)
    assert err.line == 5  # the connection's line, where the entry starts
    assert 'connection "tone.audio -> sinc.audio": no processor "sinc"' in str(err)
    assert "did you mean 'sink'?" in str(err)


def test_processors_declared_after_connections_still_count() -> None:
    spec = parse("connections: [a.x -> b.y]\nprocessors: {a: {type: A}, b: {type: B}}\n")
    assert len(spec.connections) == 1


MAPPING_CONNECTION = """\
processors: {{a: {{type: A}}, b: {{type: B}}}}
connections:
  - from: a.out
    to: b.in_
{extra}
"""


def mapping_error(extra: str, *, replace: tuple[str, str] = ("", "")) -> PipelineFileError:
    text = MAPPING_CONNECTION.format(extra=extra).replace(*replace)
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline(text, path="p.yaml")
    return info.value


def test_mapping_connection_unknown_key() -> None:
    err = mapping_error("    capacty: 4")
    assert err.line == 5
    assert "connection #1: unknown key \"capacty\" (did you mean 'capacity'?)" in str(err)


@pytest.mark.parametrize("missing", ["from", "to"])
def test_mapping_connection_missing_endpoint(missing: str) -> None:
    text = MAPPING_CONNECTION.format(extra="    profile: fifo")
    text = "\n".join(line for line in text.splitlines() if f"{missing}:" not in line) + "\n"
    if missing == "from":
        text = text.replace("    to:", "  - to:")
    with pytest.raises(PipelineFileError) as info:
        parse_pipeline(text)
    assert info.value.line == 3
    assert f"connection #1 has no '{missing}'" in str(info.value)


def test_mapping_connection_endpoint_must_be_a_string() -> None:
    err = mapping_error("", replace=("to: b.in_", "to: [b, in_]"))
    assert err.line == 4
    assert "the 'to' of connection #1 must be a string, not a list" in str(err)


def test_mapping_connection_bad_endpoint() -> None:
    err = mapping_error("", replace=("to: b.in_", "to: b"))
    assert err.line == 4
    assert 'connection "a.out -> b": the target "b" names no port' in str(err)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("losless", "unknown profile \"losless\" (did you mean 'lossless'?)"),
        ("LATEST", "unknown profile \"LATEST\" (did you mean 'latest'?)"),
        ("drop", 'unknown profile "drop"; use one of latest, fifo, lossless'),
        ("3", "the 'profile' of connection \"a.out -> b.in_\" must be a string"),
    ],
)
def test_mapping_connection_bad_profile(profile: str, expected: str) -> None:
    err = mapping_error(f"    profile: {profile}")
    assert err.line == 5
    assert expected in str(err)


@pytest.mark.parametrize("capacity", ["0", "-1", "1.5", "true", '"64"', "[1]", "big"])
def test_mapping_connection_bad_capacity(capacity: str) -> None:
    err = mapping_error(f"    profile: fifo\n    capacity: {capacity}")
    assert err.line == 6
    assert "'capacity' must be a whole number of frames, 1 or more" in str(err)


# --- records ----------------------------------------------------------------------------------


def test_processor_lookup() -> None:
    spec = parse_pipeline(EXAMPLE)
    assert spec.processor("tone").type == "ToneSource"
    with pytest.raises(UnknownProcessorError) as info:
        spec.processor("snk")
    assert isinstance(info.value, KeyError)
    assert "did you mean 'sink'?" in str(info.value)
    assert "declared: src, tone, sink, sink2" in str(info.value)


def test_records_are_frozen() -> None:
    spec = parse_pipeline(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.processors[0].type = "Other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.connections[0].capacity = 3  # type: ignore[misc]


def test_equality_ignores_lines_and_path() -> None:
    compact = parse_pipeline(
        "processors: {a: {type: A, config: {x: 1}}}\nconnections: [a.o -> a.i]", path="one.yaml"
    )
    spread = parse_pipeline(
        "\n\nprocessors:\n  a:\n    type: A\n    config:\n\n      x: 1\n"
        "connections:\n\n  - a.o -> a.i\n",
        path="two.yaml",
    )
    assert compact.processor("a").line != spread.processor("a").line
    assert compact == spread
    assert compact != dataclasses.replace(spread, name="named")


# --- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_load_file(tmp_path: Path, suffix: str) -> None:
    spec = parse_pipeline(EXAMPLE)
    text = dump_pipeline(spec, syntax="json" if suffix == ".json" else "yaml")
    file = tmp_path / f"pipeline{suffix}"
    file.write_text(text, encoding="utf-8")
    loaded = load_pipeline_file(file)
    assert loaded == spec
    assert loaded.path == str(file)
    assert load_pipeline_file(str(file)) == spec


def test_load_file_errors_name_the_file(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("processors:\n  a: {type: A}\nconnections: [a.x -> b.y]\n", encoding="utf-8")
    with pytest.raises(PipelineFileError) as info:
        load_pipeline_file(file)
    assert str(info.value).startswith(f"{file}:3: ")
    assert info.value.path == str(file)


def test_load_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PipelineFileError, match="no such file") as info:
        load_pipeline_file(missing)
    assert info.value.path == str(missing)
    assert info.value.line is None


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(PipelineFileError, match="is a directory"):
        load_pipeline_file(tmp_path)


def test_load_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "locked.yaml"
    file.write_text("processors: {}\n", encoding="utf-8")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    # Patched rather than chmod, which root (as in CI containers) ignores.
    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(PipelineFileError, match="cannot read the file \\(Permission denied\\)"):
        load_pipeline_file(file)


def test_load_non_utf8_file(tmp_path: Path) -> None:
    file = tmp_path / "latin1.yaml"
    file.write_bytes("processors:\n  a: {type: A, config: {name: caf\u00e9}}\n".encode("latin-1"))
    with pytest.raises(PipelineFileError, match="not UTF-8") as info:
        load_pipeline_file(file)
    assert info.value.line == 2


def test_load_file_with_byte_order_mark(tmp_path: Path) -> None:
    file = tmp_path / "bom.json"
    file.write_bytes(b"\xef\xbb\xbf" + b'{"processors": {"a": {"type": "A"}}}')
    assert load_pipeline_file(file).processor("a").type == "A"


# --- dump -------------------------------------------------------------------------------------


def test_dump_forms() -> None:
    spec = parse_pipeline(EXAMPLE)
    text = dump_pipeline(spec)
    assert "- src.video -> sink.video\n" in text
    assert "profile: lossless" in text
    assert text.startswith("name: my-pipeline\n")
    json_text = dump_pipeline(spec, syntax="json")
    assert '"src.video -> sink.video"' in json_text
    assert '"capacity": 64' in json_text


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_dump_round_trip(fmt: Any) -> None:
    spec = parse_pipeline(EXAMPLE)
    text = dump_pipeline(spec, syntax=fmt)
    again = parse_pipeline(text)
    assert again == spec
    assert dump_pipeline(again, syntax=fmt) == text


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_dump_round_trip_tricky_values(fmt: Any) -> None:
    config = {
        "looks_like_bool": "yes",
        "on": "off",
        "looks_like_int": "30",
        "looks_like_float": "1e-3",
        "looks_like_null": "null",
        "looks_like_date": "2024-01-01",
        "arrow": "a.b -> c.d",
        "colon": "a: b",
        "hash": "# not a comment",
        "empty": "",
        "unicode": "café ☕",
        "tab_and_newline": "a\tb\nc",
        "equals": "=",
        "merge": "<<",
        "<<": "a key that looks like a merge",
        "float": 0.1,
        "tiny": 1e-300,
        "huge_int": 2**70,
        "negative": -5,
        "none": None,
        "nested": {"list": [1, [2, {"three": 3.0}], None], "empty_list": [], "empty_map": {}},
    }
    spec = PipelineSpec(
        processors=(
            ProcessorSpec("a", "A", config, line=0, config_lines={}),
            ProcessorSpec("b-2", "pkg.module:B", {}, line=0, config_lines={}),
        ),
        connections=(
            ConnectionSpec("a", "out", "b-2", "in_", None, None, line=0),
            ConnectionSpec("a", "out", "b-2", "in_", "latest", None, line=0),
            ConnectionSpec("a", "out", "b-2", "in_", None, 3, line=0),
        ),
        name="1.0",
    )
    again = parse_pipeline(dump_pipeline(spec, syntax=fmt))
    assert again == spec
    assert again.name == "1.0"
    assert type(again.processor("a").config["huge_int"]) is int


def test_dump_without_name_or_connections() -> None:
    spec = PipelineSpec(processors=(), connections=())
    assert dump_pipeline(spec) == "processors: {}\n"
    assert parse_pipeline(dump_pipeline(spec)) == spec
    assert parse_pipeline(dump_pipeline(spec, syntax="json")) == spec


def test_dump_special_floats() -> None:
    spec = parse("processors: {a: {type: A, config: {x: .inf, y: -.inf}}}")
    assert parse_pipeline(dump_pipeline(spec)) == spec
    with pytest.raises(ValueError, match="as YAML"):
        dump_pipeline(spec, syntax="json")


def test_dump_rejects_unknown_format() -> None:
    spec = parse_pipeline(EXAMPLE)
    with pytest.raises(ValueError, match="unknown syntax 'toml'"):
        dump_pipeline(spec, syntax="toml")  # type: ignore[arg-type]


def test_dump_of_parsed_anchors_round_trips() -> None:
    spec = parse("""\
        processors:
          left: {type: Camera, config: &cam {width: 1280, opts: [1, 2]}}
          right: {type: Camera, config: *cam}
        """)
    assert parse_pipeline(dump_pipeline(spec)) == spec


def _random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(9 if depth < 3 else 7)
    if kind == 0:
        return rng.randint(-(2**40), 2**40)
    if kind == 1:
        return rng.choice([0.0, -1.5, 1e-9, 3.25e12, rng.uniform(-1e6, 1e6)])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind in (3, 4, 5, 6):
        alphabet = "abceE XYZ019:-+#&*!|>'\"{}[],.\t\n\\é☕"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
    if kind == 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {_random_key(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _random_key(rng: random.Random) -> str:
    return rng.choice(
        ["k", "yes", "on", "1", "1.5", "null", "", "a b", "x: y", "é", "<<x", "<<", "1e3"]
    )


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("seed", range(20))
def test_dump_round_trip_random(fmt: Any, seed: int) -> None:
    rng = random.Random(seed)
    processors = tuple(
        ProcessorSpec(
            f"p{i}",
            f"Type{i}",
            {f"opt{j}": _random_value(rng, 0) for j in range(rng.randrange(6))},
            line=0,
            config_lines={},
        )
        for i in range(4)
    )
    connections = tuple(
        ConnectionSpec(
            f"p{rng.randrange(4)}",
            "out",
            f"p{rng.randrange(4)}",
            "in_",
            rng.choice([None, "latest", "fifo", "lossless"]),
            rng.choice([None, 1, 64]),
            line=0,
        )
        for _ in range(5)
    )
    spec = PipelineSpec(processors, connections, name=rng.choice([None, "demo", "yes"]))
    assert parse_pipeline(dump_pipeline(spec, syntax=fmt)) == spec


@pytest.mark.parametrize(
    ("text", "code", "line"), [("\x00", "U+0000", 1), ("a: 1\nb: \ud800", "U+D800", 2)]
)
def test_a_character_yaml_does_not_allow_is_named_by_its_code_point(
    text: str, code: str, line: int
) -> None:
    err = error(text)
    assert err.line == line
    assert f"character {code} is not allowed in a pipeline file; remove it" in str(err)


# -- local plug-ins: the file's shape only (loading them is tested in test_local_plugins) --


def test_plugins_are_listed_files_with_their_lines() -> None:
    spec = parse("""\
        plugins:
          - my_effects.py
          - filters/soft.py
        processors:
          fx: {type: EdgeDetect}
        """)
    assert spec.plugins == (PluginSpec("my_effects.py", 2), PluginSpec("filters/soft.py", 3))
    assert [p.line for p in spec.plugins] == [2, 3]
    assert parse("plugins: one.py\nprocessors: {}\n").plugins == (PluginSpec("one.py", 1),)
    assert parse("plugins:\nprocessors: {}\n").plugins == ()
    assert parse("processors: {}\n").plugins == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("plugins: {a: b.py}\nprocessors: {}\n", 1, "'plugins' must be a list of .py files"),
        ("plugins:\n  - ok.py\n  - effects.so\nprocessors: {}\n", 3, "is not a .py file"),
        ("plugins: [12]\nprocessors: {}\n", 1, "must be a string"),
    ],
)
def test_bad_plugins_entries_name_their_line(text: str, line: int, message: str) -> None:
    err = error(text)
    assert err.line == line
    assert message in str(err)


def test_a_local_type_names_a_module_and_a_class() -> None:
    spec = parse("""\
        processors:
          a: {type: my_effects:EdgeDetect}
          b: {type: "filters/soft.py:Soft"}
          c: {type: pkg.effects:Glow}
        """)
    assert [p.type for p in spec.processors] == [
        "my_effects:EdgeDetect",
        "filters/soft.py:Soft",
        "pkg.effects:Glow",
    ]


@pytest.mark.parametrize(
    ("type_text", "message"),
    [
        ('":EdgeDetect"', "names no module before ':'"),
        ('"my_effects:"', "is not a class name"),
        ('"my_effects:Edge-Detect"', "is not a class name"),
        ('"my effects:EdgeDetect"', "neither a .py file nor a module name"),
    ],
)
def test_a_malformed_local_type_says_how_to_write_it(type_text: str, message: str) -> None:
    err = error(f"processors:\n  a:\n    type: {type_text}\n")
    assert err.line == 3
    assert message in str(err)
    assert "MODULE:Class" in str(err) or "dotted module name" in str(err)


def test_plugins_survive_a_dump(tmp_path: Path) -> None:
    spec = parse("plugins: [fx.py]\nprocessors:\n  a: {type: Glow}\n  b: {type: fx.py:Glow}\n")
    for fmt in ("yaml", "json"):
        text = dump_pipeline(spec, syntax=fmt)  # type: ignore[arg-type]
        assert parse_pipeline(text) == spec
    assert dump_pipeline(spec).startswith("plugins:\n- fx.py\n")
