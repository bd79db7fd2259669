"""Tests for the graph: changes, validation that leaves the graph unchanged, queries,
exports, and building graphs from pipeline files."""

from __future__ import annotations

import functools
import json
import random
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from streamlib.core import (
    AudioFrame,
    ConfigError,
    CycleError,
    DeliveryProfile,
    Edge,
    Graph,
    GraphError,
    Input,
    Output,
    PipelineFileError,
    PortBusyError,
    PortRef,
    PortTypeError,
    Processor,
    ProcessorId,
    Registry,
    UnknownPortError,
    UnknownProcessorError,
    VideoFrame,
)
from streamlib.pipelines import graph_from_spec, load_graph, parse_pipeline
from streamlib.processors import NullSink, Passthrough, TestPattern, ToneSource


class StereoSource(Processor):
    """Stereo audio."""

    audio = Output(AudioFrame[2])

    def process(self) -> None:
        self.audio.write(AudioFrame.silence(4, 2, 48_000))


class MonoSink(Processor):
    """Mono audio only."""

    audio = Input(AudioFrame[1])

    def process(self) -> None:
        self.audio.read_all()


class Blur(Processor):
    """A video transform."""

    video_in = Input(VideoFrame)
    video_out = Output(VideoFrame)

    def process(self) -> None:
        frame = self.video_in.read_latest()
        if frame is not None:
            self.video_out.write(frame)


class Mixer(Processor):
    """Two video inputs, one output."""

    left = Input(VideoFrame)
    right = Input(VideoFrame)
    video_out = Output(VideoFrame)

    def process(self) -> None:
        self.left.read_all()
        self.right.read_all()


def registry() -> Registry:
    types = Registry()
    for processor_class in (TestPattern, ToneSource, NullSink, Passthrough, Blur, MonoSink):
        types.register(processor_class)
    return types


def chain() -> Graph:
    """src -> blur -> sink."""
    graph = Graph()
    graph.add(TestPattern(width=64, height=48), "src")
    graph.add(Blur(), "blur")
    graph.add(NullSink(), "sink")
    graph.connect("src.video", "blur.video_in")
    graph.connect("blur.video_out", "sink.video")
    return graph


def refused(graph: Graph, error: type[Exception], change: Callable[[], object]) -> str:
    """Apply ``change``, expect ``error``, and check the graph did not change at all."""
    before = graph.to_dict()
    edges_before = graph.edges()
    with pytest.raises(error) as info:
        change()
    assert graph.to_dict() == before
    assert graph.edges() == edges_before
    return str(info.value)


# -- add and remove ------------------------------------------------------------------------


def test_add_returns_typed_ids_and_numbers_repeats() -> None:
    graph = Graph()
    first = graph.add(TestPattern())
    second = graph.add(TestPattern())
    named = graph.add(NullSink(), "out")
    assert isinstance(first, ProcessorId)
    assert (first, second, named) == ("test_pattern", "test_pattern-2", "out")
    assert graph.add(TestPattern()) == "test_pattern-3"
    assert len(graph) == 4
    assert "out" in graph
    assert list(graph) == ["test_pattern", "test_pattern-2", "out", "test_pattern-3"]
    assert isinstance(graph.processor("out"), NullSink)


def test_add_refuses_duplicates_and_bad_ids() -> None:
    graph = Graph()
    sink = NullSink()
    graph.add(sink, "sink")
    msg = refused(graph, GraphError, lambda: graph.add(NullSink(), "sink"))
    assert "'sink' already exists" in msg
    msg = refused(graph, GraphError, lambda: graph.add(sink, "other"))
    assert "already in the graph; create a second instance" in msg
    msg = refused(graph, GraphError, lambda: graph.add(NullSink(), "9lives"))
    assert "invalid processor id '9lives'" in msg
    refused(graph, GraphError, lambda: graph.add(NullSink, "cls"))  # type: ignore[arg-type]
    assert len(graph) == 1


def test_remove_drops_the_processor_and_its_edges() -> None:
    graph = chain()
    removed = graph.remove("blur")
    assert sorted(str(e.id) for e in removed) == [
        "blur.video_out->sink.video",
        "src.video->blur.video_in",
    ]
    assert "blur" not in graph
    assert graph.edges() == []
    assert graph.producer_of("sink.video") is None
    # the freed input takes a new producer
    graph.connect("src.video", "sink.video")
    assert graph.producer_of("sink.video").source == PortRef.parse("src.video")


def test_remove_unknown_suggests() -> None:
    graph = chain()
    msg = refused(graph, UnknownProcessorError, lambda: graph.remove("blurr"))
    assert msg == "no processor 'blurr' in the graph; did you mean 'blur'?"
    with pytest.raises(KeyError):
        graph.remove("nothing-like-it")


# -- connect and disconnect ----------------------------------------------------------------


def test_connect_uses_the_input_defaults() -> None:
    graph = chain()
    edge = graph.edge_between("src.video", "blur.video_in")
    assert isinstance(edge, Edge)
    assert (edge.profile, edge.capacity, edge.frame_type) == (
        DeliveryProfile.LATEST,
        3,
        "VideoFrame",
    )
    assert edge.source == PortRef(ProcessorId("src"), "video")
    assert str(edge.id) == "src.video->blur.video_in"


def test_connect_overrides_profile_and_capacity() -> None:
    graph = Graph()
    graph.add(TestPattern(), "src")
    graph.add(NullSink(), "a")
    graph.add(NullSink(), "b")
    graph.add(NullSink(), "c")
    lossless = graph.connect("src.video", "a.video", profile="lossless")
    assert (lossless.profile, lossless.capacity) == (DeliveryProfile.LOSSLESS, 16)
    deep = graph.connect("src.video", "b.video", capacity=10)
    assert (deep.profile, deep.capacity) == (DeliveryProfile.LATEST, 10)
    both = graph.connect(
        PortRef.parse("src.video"),
        PortRef.parse("c.video"),
        profile=DeliveryProfile.FIFO,
        capacity=2,
    )
    assert (both.profile, both.capacity) == (DeliveryProfile.FIFO, 2)
    assert len(graph.edges()) == 3  # one output feeds many inputs


def test_bad_profile_or_capacity_leaves_the_graph_unchanged() -> None:
    graph = Graph()
    graph.add(TestPattern(), "src")
    graph.add(NullSink(), "sink")
    msg = refused(
        graph, ConfigError, lambda: graph.connect("src.video", "sink.video", profile="lossy")
    )
    assert "unknown delivery profile 'lossy'" in msg
    msg = refused(graph, GraphError, lambda: graph.connect("src.video", "sink.video", capacity=0))
    assert "capacity of src.video -> sink.video must be at least 1, got 0" in msg


def test_disconnect() -> None:
    graph = chain()
    edge = graph.disconnect("src.video", "blur.video_in")
    assert str(edge.id) == "src.video->blur.video_in"
    assert [str(e.id) for e in graph.edges()] == ["blur.video_out->sink.video"]
    assert graph.producer_of("blur.video_in") is None
    msg = refused(graph, GraphError, lambda: graph.disconnect("src.video", "blur.video_in"))
    assert "there is no connection src.video -> blur.video_in" in msg


def test_check_connect_changes_nothing() -> None:
    graph = Graph()
    graph.add(TestPattern(), "src")
    graph.add(NullSink(), "sink")
    edge = graph.check_connect("src.video", "sink.video")
    assert str(edge.id) == "src.video->sink.video"
    assert graph.edges() == []


# -- validation ------------------------------------------------------------------------------


def test_port_type_mismatch() -> None:
    graph = chain()
    graph.add(ToneSource(), "tone")
    msg = refused(graph, PortTypeError, lambda: graph.connect("tone.audio", "blur.video_in"))
    assert msg.startswith("cannot connect tone.audio (AudioFrame) to blur.video_in (VideoFrame)")
    assert "put a converter between them" in msg
    with pytest.raises(TypeError):  # also catchable as the builtin it resembles
        graph.connect("tone.audio", "blur.video_in")


def test_audio_channel_mismatch() -> None:
    graph = Graph()
    graph.add(StereoSource(), "stereo")
    graph.add(MonoSink(), "mono")
    msg = refused(graph, PortTypeError, lambda: graph.connect("stereo.audio", "mono.audio"))
    assert "stereo.audio (AudioFrame[2]) to mono.audio (AudioFrame[1])" in msg


def test_channel_compatible_audio_connects() -> None:
    graph = Graph()
    graph.add(StereoSource(), "stereo")
    graph.add(NullSink(), "any_channels")
    graph.add(ToneSource(), "tone")
    graph.add(MonoSink(), "mono")
    assert graph.connect("stereo.audio", "any_channels.audio").frame_type == "AudioFrame[2]"
    # an any-channel output may feed a mono input (the count is the writer's business)
    assert graph.connect("tone.audio", "mono.audio").frame_type == "AudioFrame"


def test_passthrough_connects_to_anything() -> None:
    graph = Graph()
    graph.add(ToneSource(), "tone")
    graph.add(Passthrough(), "probe")
    graph.add(MonoSink(), "mono")
    graph.connect("tone.audio", "probe.frames_in")
    edge = graph.connect("probe.frames_out", "mono.audio")
    assert edge.frame_type == "Frame"
    assert (edge.profile, edge.capacity) == (DeliveryProfile.FIFO, 32)


def test_second_producer_on_one_input() -> None:
    graph = chain()
    graph.add(TestPattern(), "src2")
    msg = refused(graph, PortBusyError, lambda: graph.connect("src2.video", "sink.video"))
    assert "sink.video is already fed by blur.video_out; an input has one producer" in msg
    assert "Disconnect blur.video_out -> sink.video first" in msg
    # the same edge twice is the same problem
    refused(graph, PortBusyError, lambda: graph.connect("src.video", "blur.video_in"))


def test_unknown_processor_suggests() -> None:
    graph = chain()
    msg = refused(graph, UnknownProcessorError, lambda: graph.connect("scr.video", "sink.video"))
    assert msg == "no processor 'scr' in the graph; did you mean 'src'?"
    msg = refused(graph, UnknownProcessorError, lambda: graph.connect("src.video", "snk.video"))
    assert "did you mean 'sink'?" in msg


def test_unknown_port_suggests() -> None:
    graph = chain()
    msg = refused(graph, UnknownPortError, lambda: graph.connect("src.vidoe", "sink.video"))
    assert msg == "src (TestPattern) has no output 'vidoe'; did you mean 'video'?"
    msg = refused(graph, UnknownPortError, lambda: graph.connect("src.video", "sink.vid"))
    assert "sink (NullSink) has no input 'vid'; did you mean 'video'?" in msg
    msg = refused(graph, UnknownPortError, lambda: graph.connect("src.zzz", "sink.video"))
    assert "its outputs: video" in msg


def test_connecting_the_wrong_way_round() -> None:
    graph = Graph()
    graph.add(TestPattern(), "src")
    graph.add(NullSink(), "sink")
    msg = refused(graph, UnknownPortError, lambda: graph.connect("sink.video", "src.video"))
    assert "sink.video is an input, but a connection goes from an output to an input" in msg


def test_malformed_port_references() -> None:
    graph = chain()
    msg = refused(graph, GraphError, lambda: graph.connect("src", "sink.video"))
    assert "write it as 'processor.port'" in msg
    refused(graph, GraphError, lambda: graph.connect("src.video", "sink.video!"))


def test_cycles_are_refused() -> None:
    graph = Graph()
    for name in ("a", "b", "c"):
        graph.add(Blur(), name)
    graph.connect("a.video_out", "b.video_in")
    graph.connect("b.video_out", "c.video_in")
    msg = refused(graph, CycleError, lambda: graph.connect("c.video_out", "a.video_in"))
    assert "connecting c.video_out -> a.video_in would close a loop" in msg
    assert "graphs must be acyclic" in msg
    # a loop through a second input of a processor already in the chain
    graph.add(Mixer(), "mix")
    graph.connect("c.video_out", "mix.left")
    msg = refused(graph, CycleError, lambda: graph.connect("mix.video_out", "a.video_in"))
    assert "(a already feeds mix)" in msg
    msg = refused(graph, CycleError, lambda: graph.connect("mix.video_out", "mix.right"))
    assert "would close a loop" in msg  # onto itself
    graph.add(Blur(), "alone")
    refused(graph, CycleError, lambda: graph.connect("alone.video_out", "alone.video_in"))
    graph.connect("a.video_out", "mix.right")  # a diamond is not a loop
    assert graph.upstream("mix") == {"a", "b", "c"}


def _brute_force_reaches(graph: Graph, start: str, goal: str) -> bool:
    return start == goal or goal in graph.downstream(start)


@pytest.mark.parametrize("seed", range(8))
def test_loops_are_found_whatever_order_processors_and_edges_come_in(seed: int) -> None:
    # Edges against the order processors were added make the graph re-rank them;
    # every answer must still agree with a plain search.
    rng = random.Random(seed)
    graph = Graph()
    names = [f"m{i}" for i in range(12)]
    for name in names:
        graph.add(Mixer(), name)
    for _ in range(60):
        source, target = rng.choice(names), rng.choice(names)
        port = rng.choice(["left", "right"])
        if graph.producer_of(f"{target}.{port}") is not None:
            continue
        closes = _brute_force_reaches(graph, target, source)
        connect = functools.partial(graph.connect, f"{source}.video_out", f"{target}.{port}")
        if closes:
            refused(graph, CycleError, connect)
        else:
            connect()
        order = graph.topological_order()
        assert len(order) == len(names)
        position = {pid: index for index, pid in enumerate(order)}
        assert all(
            position[e.source.processor] < position[e.target.processor] for e in graph.edges()
        )
        if graph.edges() and rng.random() < 0.1:
            edge = rng.choice(graph.edges())
            graph.disconnect(edge.source, edge.target)


def test_a_deferred_cycle_check_removes_the_edge_that_closed_a_loop_and_those_after() -> None:
    graph = Graph()
    for name in ("a", "b", "c", "d"):
        graph.add(Blur(), name)
    graph.connect("a.video_out", "b.video_in")  # before the block: kept
    check = None

    def connect_in_a_block() -> None:
        nonlocal check
        with graph.deferred_cycle_check() as check:
            graph.connect("c.video_out", "a.video_in")
            graph.connect("b.video_out", "c.video_in")  # closes a -> b -> c -> a
            graph.connect("c.video_out", "d.video_in")  # made after it: removed too

    with pytest.raises(CycleError, match=r"b.video_out -> c.video_in would close a loop"):
        connect_in_a_block()
    assert check is not None
    assert check.closing_edge is not None
    assert str(check.closing_edge.id) == "b.video_out->c.video_in"
    assert sorted(str(e.id) for e in graph.edges()) == [
        "a.video_out->b.video_in",
        "c.video_out->a.video_in",
    ]
    # The graph is consistent afterwards: the loop is still refused one edge at a time.
    refused(graph, CycleError, lambda: graph.connect("b.video_out", "c.video_in"))
    graph.connect("b.video_out", "d.video_in")
    assert graph.topological_order() == ["c", "a", "b", "d"]


def test_a_deferred_cycle_check_keeps_an_error_raised_inside_it() -> None:
    graph = Graph()
    for name in ("a", "b"):
        graph.add(Blur(), name)

    def connect_in_a_block() -> None:
        with graph.deferred_cycle_check():
            graph.connect("a.video_out", "b.video_in")
            graph.connect("b.video_out", "a.video_in")  # a loop, found at the end
            graph.connect("a.video_out", "b.video_in")  # busy: this error wins

    with pytest.raises(PortBusyError):
        connect_in_a_block()
    assert [str(e.id) for e in graph.edges()] == ["a.video_out->b.video_in"]


def test_default_ids_reuse_the_lowest_free_number() -> None:
    graph = Graph()
    ids = [graph.add(NullSink()) for _ in range(4)]
    assert ids == ["null_sink", "null_sink-2", "null_sink-3", "null_sink-4"]
    graph.remove("null_sink-2")
    graph.remove("null_sink-3")
    assert graph.add(NullSink()) == "null_sink-2"
    assert graph.add(NullSink()) == "null_sink-3"
    assert graph.add(NullSink()) == "null_sink-5"
    graph.add(NullSink(), "null_sink-6")
    assert graph.add(NullSink()) == "null_sink-7"


def test_the_same_instance_can_be_added_again_after_removal() -> None:
    graph = Graph()
    sink = NullSink()
    graph.add(sink, "a")
    with pytest.raises(GraphError, match="already in the graph"):
        graph.add(sink, "b")
    graph.remove("a")
    assert graph.add(sink, "b") == "b"


def test_graph_errors_are_value_errors() -> None:
    for error in (
        UnknownProcessorError,
        UnknownPortError,
        PortTypeError,
        PortBusyError,
        CycleError,
    ):
        assert issubclass(error, GraphError)
        assert issubclass(error, ValueError)


# -- queries ---------------------------------------------------------------------------------


def diamond() -> Graph:
    """src -> (left, right) -> mix -> sink, plus an unconnected island."""
    graph = Graph()
    graph.add(TestPattern(), "src")
    graph.add(Blur(), "left")
    graph.add(Blur(), "right")
    graph.add(Mixer(), "mix")
    graph.add(NullSink(), "sink")
    graph.add(Passthrough(), "island")
    graph.connect("src.video", "left.video_in")
    graph.connect("src.video", "right.video_in")
    graph.connect("right.video_out", "mix.right")
    graph.connect("left.video_out", "mix.left")
    graph.connect("mix.video_out", "sink.video")
    return graph


def test_sources_and_sinks() -> None:
    graph = diamond()
    assert graph.sources() == ["src", "island"]
    assert graph.sinks() == ["sink", "island"]


def test_topological_order() -> None:
    graph = diamond()
    order = graph.topological_order()
    assert sorted(order) == sorted(graph)
    for edge in graph.edges():
        assert order.index(edge.source.processor) < order.index(edge.target.processor)
    assert order == ["src", "island", "left", "right", "mix", "sink"]  # ties: insertion order


def test_upstream_and_downstream() -> None:
    graph = diamond()
    assert graph.upstream("mix") == {"src", "left", "right"}
    assert graph.upstream("src") == set()
    assert graph.downstream("src") == {"left", "right", "mix", "sink"}
    assert graph.downstream("sink") == set()
    assert graph.downstream("island") == set()
    assert graph.successors("src") == ["left", "right"]
    assert graph.predecessors("mix") == ["right", "left"]
    with pytest.raises(UnknownProcessorError, match="did you mean 'mix'"):
        graph.upstream("mixx")


def test_edge_queries() -> None:
    graph = diamond()
    assert {str(e.id) for e in graph.edges_of("left")} == {
        "src.video->left.video_in",
        "left.video_out->mix.left",
    }
    assert graph.producer_of("mix.left").source == PortRef.parse("left.video_out")
    assert graph.producer_of("sink.audio") is None
    assert set(graph.processors()) == set(graph)
    graph.processors().clear()  # a copy: the graph is not affected
    assert len(graph) == 6


# -- exports ---------------------------------------------------------------------------------


def test_to_dict() -> None:
    graph = chain()
    data = graph.to_dict()
    assert list(data) == ["processors", "connections"]
    assert data["processors"]["src"] == {
        "type": "TestPattern",
        "config": TestPattern(width=64, height=48).config.model_dump(mode="json"),
    }
    assert data["processors"]["src"]["config"]["width"] == 64
    assert data["processors"]["blur"] == {"type": "Blur", "config": {}}
    assert data["connections"] == [
        {"from": "src.video", "to": "blur.video_in", "profile": "latest", "capacity": 3},
        {"from": "blur.video_out", "to": "sink.video", "profile": "latest", "capacity": 3},
    ]
    json.dumps(data)


def test_to_dict_loads_back_as_a_pipeline() -> None:
    graph = chain()
    graph.add(ToneSource(frequencies=(440.0, 660.0)), "tone")
    graph.add(NullSink(), "ears")
    graph.connect("tone.audio", "ears.audio", profile="lossless", capacity=5)
    text = json.dumps(graph.to_dict(), indent=2)
    rebuilt = graph_from_spec(parse_pipeline(text), registry())
    assert rebuilt.to_dict() == graph.to_dict()


def test_to_dot() -> None:
    dot = chain().to_dot()
    assert dot.startswith("digraph streamlib {\n")
    assert dot.endswith("}\n")
    assert "rankdir=LR;" in dot
    assert '"src" [label="src\\nTestPattern"];' in dot
    assert '"blur" [label="blur\\nBlur"];' in dot
    assert '"src" -> "blur" [label="video → video_in\\nlatest"];' in dot
    assert '"blur" -> "sink" [label="video_out → video\\nlatest"];' in dot


def test_to_mermaid() -> None:
    graph = chain()
    graph.add(NullSink(), "side-out")
    graph.connect("src.video", "side-out.video", profile="fifo")
    mermaid = graph.to_mermaid()
    lines = mermaid.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  p_src["src<br/><i>TestPattern</i>"]' in lines
    assert '  p_src -->|"video → video_in (latest)"| p_blur' in lines
    assert '  p_blur -->|"video_out → video (latest)"| p_sink' in lines
    side = next(line for line in lines if "side-out<br/>" in line)
    side_id = side.split("[", 1)[0].strip()
    assert "-" not in side_id  # Mermaid ids cannot hold "-"
    assert f'  p_src -->|"video → video (fifo)"| {side_id}' in lines


def test_mermaid_ids_stay_distinct() -> None:
    graph = Graph()
    graph.add(NullSink(), "a-b")
    graph.add(NullSink(), "a_b")
    graph.add(NullSink(), "a_hb")
    node_ids = [line.split("[", 1)[0].strip() for line in graph.to_mermaid().splitlines()[1:]]
    assert len(node_ids) == 3
    assert len(set(node_ids)) == 3


def test_empty_graph_exports() -> None:
    graph = Graph()
    assert graph.to_dict() == {"processors": {}, "connections": []}
    assert graph.to_mermaid() == "flowchart LR\n"
    assert graph.sources() == graph.sinks() == graph.topological_order() == []


# -- pipeline files ----------------------------------------------------------------------------

PIPELINE_YAML = """\
name: demo
processors:
  src: {type: TestPattern, config: {width: 640, height: 480, fps: 30}}
  blur: {type: Blur}
  sink: {type: NullSink}
  tone:
    type: ToneSource
    config:
      channels: 1
  mono: {type: MonoSink}
connections:
  - src.video -> blur.video_in
  - {from: blur.video_out, to: sink.video, profile: fifo, capacity: 4}
  - tone.audio -> mono.audio
"""

PIPELINE_JSON = """\
{
  "processors": {
    "src": {"type": "TestPattern", "config": {"width": 320, "height": 240}},
    "sink": {"type": "NullSink"}
  },
  "connections": [
    "src.video -> sink.video"
  ]
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_load_graph_from_yaml(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "pipeline.yaml", PIPELINE_YAML), registry())
    assert list(graph) == ["src", "blur", "sink", "tone", "mono"]
    src = graph.processor("src")
    assert isinstance(src, TestPattern)
    assert (src.config.width, src.config.height, src.config.fps) == (640, 480, 30.0)
    assert graph.processor("tone").config.channels == 1
    fifo = graph.edge_between("blur.video_out", "sink.video")
    assert (fifo.profile, fifo.capacity) == (DeliveryProfile.FIFO, 4)
    assert graph.edge_between("src.video", "blur.video_in").profile is DeliveryProfile.LATEST
    assert graph.topological_order() == ["src", "tone", "blur", "mono", "sink"]


def test_load_graph_from_json(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "pipeline.json", PIPELINE_JSON), registry())
    assert graph.processor("src").config.width == 320
    assert [str(e.id) for e in graph.edges()] == ["src.video->sink.video"]


def test_load_graph_uses_the_default_registry(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "p.json", PIPELINE_JSON))
    assert isinstance(graph.processor("sink"), NullSink)


def test_graph_from_spec_builds_a_new_graph_each_time() -> None:
    spec = parse_pipeline(PIPELINE_JSON)
    first, second = graph_from_spec(spec, registry()), graph_from_spec(spec, registry())
    assert first is not second
    assert first.processor("src") is not second.processor("src")
    assert first.to_dict() == second.to_dict()


def file_error(tmp_path: Path, text: str, name: str = "pipeline.yaml") -> PipelineFileError:
    path = write(tmp_path, name, text)
    with pytest.raises(PipelineFileError) as info:
        load_graph(path, registry())
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:{info.value.line}: ")
    return info.value


def test_unknown_type_points_at_its_line(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          src: {type: TestPattern}
          sink: {type: NulSink}
        """,
    )
    assert error.line == 3
    assert "processor 'sink': no processor type 'NulSink'; did you mean 'NullSink'?" in str(error)


def test_bad_config_value_points_at_the_field(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          src:
            type: TestPattern
            config:
              width: 640
              fps: -5
          sink: {type: NullSink}
        """,
    )
    assert error.line == 6
    assert "invalid TestPattern config: fps: Input should be greater than 0" in str(error)


def test_unknown_config_field_points_at_the_field(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          src:
            type: TestPattern
            config:
              width: 640
              heigth: 480
        """,
    )
    assert error.line == 6
    assert "heigth: unknown field; did you mean 'height'?" in str(error)


def test_bad_port_points_at_the_connection(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          src: {type: TestPattern}
          sink: {type: NullSink}
        connections:
          - src.video -> sink.video
          - src.vidoe -> sink.audio
        """,
    )
    assert error.line == 6
    assert "connection 'src.vidoe -> sink.audio'" in str(error)
    assert "has no output 'vidoe'; did you mean 'video'?" in str(error)


def test_type_mismatch_in_a_file_points_at_the_connection(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          tone: {type: ToneSource}
          blur: {type: Blur}
        connections:
          - tone.audio -> blur.video_in
        """,
    )
    assert error.line == 5
    assert "AudioFrame" in str(error)
    assert "VideoFrame" in str(error)


def test_errors_in_json_files_have_lines_too(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        {
          "processors": {
            "src": {"type": "TestPattern", "config": {"width": 2}},
            "sink": {"type": "NullSink"}
          }
        }
        """,
        name="pipeline.json",
    )
    assert error.line == 3
    assert "width: Input should be greater than or equal to 16" in str(error)


def test_busy_input_in_a_file(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          a: {type: TestPattern}
          b: {type: TestPattern}
          sink: {type: NullSink}
        connections:
          - a.video -> sink.video
          - b.video -> sink.video
        """,
    )
    assert error.line == 7
    assert "already fed by a.video" in str(error)


def test_bad_profile_in_a_file_is_caught_by_the_parser(tmp_path: Path) -> None:
    error = file_error(
        tmp_path,
        """\
        processors:
          a: {type: TestPattern}
          sink: {type: NullSink}
        connections:
          - {from: a.video, to: sink.video, profile: lossles}
        """,
    )
    assert error.line == 5
    assert "did you mean" in str(error)
