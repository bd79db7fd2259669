"""Pipeline files: YAML or JSON text read into a validated :class:`PipelineSpec`, a
spec built into a :class:`~streamlib.Graph`, and a spec written back as text.

A pipeline file declares processors by id and the connections between their ports::

    name: my-pipeline                      # optional
    plugins: [my_effects.py]               # optional: local processor classes
    processors:
      src: {type: TestPattern, config: {width: 640, height: 480, fps: 30}}
      tone: {type: ToneSource}             # config is optional, {} by default
      sink: {type: NullSink}
      edges: {type: EdgeDetect}            # a class from my_effects.py (see plugins)
      soft: {type: "blur.py:Soft"}         # or named where it is: MODULE:Class
    connections:                           # optional
      - src.video -> sink.video            # "PROC.PORT -> PROC.PORT"
      - {from: tone.audio, to: sink.audio, profile: lossless, capacity: 64}

JSON with the same shape is read by the same YAML machinery, so its errors carry
lines too. Every error is a :class:`~streamlib.PipelineFileError` whose ``line``
(1-based) points at the offending entry. A file is bounded before it can cost much
(:class:`PipelineLimits`): its size before it is read whole, its nesting depth and
number of values while it is composed, before anything recurses or is built.

This package sits above ``streamlib.core`` (it imports core, core never imports it);
the runtime (``Runtime.load``), the MCP tools and the CLI use it. One concept per
module: ``_limits`` (the bounds), ``_yaml_reader`` (text to nodes with lines),
``_nodes`` (nodes to plain values), ``_structure`` (nodes to a spec), ``_spec`` (the
records), ``_reading`` (text or file to spec), ``_dump`` (spec to text),
``_local_types`` (``MODULE:Class`` types) and ``_graph_loading`` (spec to graph).

Why PyYAML and not ruamel.yaml: ruamel.yaml keeps line and column on the objects of
its round-trip loader, but those exist only after the whole file is built, too late
for the limits; its composer yields the same marked nodes as PyYAML's and recurses
the same way (50,000 nested ``[`` raised ``RecursionError``), so the depth and value
bounds would need the same hook in ``compose_node``. It composed a 5,000-processor
file 1.3x slower than PyYAML here, would be a second YAML library in the core
dependencies, and its YAML 1.2 reading (``yes`` a string) would change what existing
files mean. What it would save is small: the float resolver for plain ``1e-3`` and
the tab handling for flow-style (JSON) text in ``_yaml_reader``.
"""

from ._dump import dump_pipeline
from ._graph_loading import graph_from_spec, load_graph, processor_types
from ._limits import PipelineLimits
from ._local_types import LocalType
from ._reading import load_pipeline_file, parse_pipeline
from ._spec import ConnectionSpec, PipelineSpec, PluginSpec, ProcessorSpec

__all__ = [
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
