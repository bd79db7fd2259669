"""Names renamed before 1.0 are refused with the new name, for one release.

Every renamed config field and port of every built-in processor is checked: the
new name exists, the old one does not, and using the old one says what to write.
"""

from __future__ import annotations

import pytest

import streamlib as sl
from streamlib.core import Registry
from streamlib.pipelines import graph_from_spec, parse_pipeline

REGISTRY = Registry.default()

RENAMED_FIELDS = [
    (name, old, new)
    for name in REGISTRY.names()
    for old, new in REGISTRY.get(name).Config.renamed_fields.items()
]
RENAMED_PORTS = [
    (name, old, new)
    for name in REGISTRY.names()
    for old, new in REGISTRY.get(name).renamed_ports.items()
]


def test_there_are_renames_to_check() -> None:
    assert RENAMED_FIELDS
    assert RENAMED_PORTS


@pytest.mark.parametrize(("type_name", "old", "new"), RENAMED_FIELDS)
def test_an_old_field_name_says_its_new_name(type_name: str, old: str, new: str) -> None:
    config = REGISTRY.get(type_name).Config
    assert new in config.model_fields
    assert old not in config.model_fields
    value = config.model_fields[new].get_default(call_default_factory=True)
    with pytest.raises(sl.ConfigError, match=f"'{old}' was renamed to '{new}'"):
        config.parse({old: value}, owner=type_name)


@pytest.mark.parametrize(("type_name", "old", "new"), RENAMED_PORTS)
def test_an_old_port_name_says_its_new_name(type_name: str, old: str, new: str) -> None:
    processor = REGISTRY.get(type_name)
    ports = {spec.name for spec in (*processor.input_specs(), *processor.output_specs())}
    assert new in ports
    assert old not in ports
    assert processor.port_hint(old, ports, what="ports") == f"{old!r} was renamed to {new!r}"


def test_a_pipeline_file_with_an_old_port_name_fails_with_the_new_one() -> None:
    text = """
processors:
  src: {type: TestPattern, config: {width: 32, height: 32}}
  tee: {type: Passthrough}
  sink: {type: NullSink}
connections:
  - src.video -> tee.input
  - tee.frames_out -> sink.video
"""
    with pytest.raises(sl.StreamError, match="'input' was renamed to 'frames_in'"):
        graph_from_spec(parse_pipeline(text))


def test_an_old_port_name_on_a_processor_ref_says_its_new_name() -> None:
    with sl.Runtime() as rt:
        tee = rt.add("Passthrough", id="tee")
        with pytest.raises(sl.UnknownPortError, match="'output' was renamed to 'frames_out'"):
            _ = tee.output


def test_a_pipeline_file_with_an_old_field_name_fails_with_the_new_one() -> None:
    text = """
processors:
  title: {type: TextOverlay, config: {text: hi, colour: [255, 255, 255, 255]}}
"""
    with pytest.raises(sl.StreamError, match="'colour' was renamed to 'color'"):
        graph_from_spec(parse_pipeline(text))
