"""Tests for processor configs, the processor base class, descriptors and the registry."""

from __future__ import annotations

import json
import logging
from importlib.metadata import EntryPoint
from typing import Literal

import pydantic
import pytest
from pydantic import Field

from streamlib.core import (
    ENTRY_POINT_GROUP,
    AudioFrame,
    ConfigError,
    DataFrame,
    ErrorPolicy,
    Input,
    Output,
    Priority,
    Processor,
    ProcessorConfig,
    ProcessorDescriptor,
    Registry,
    RegistryError,
    RestartBackoff,
    Scheduling,
    SchedulingMode,
    StreamError,
    VideoFrame,
    _registry,
    did_you_mean,
    did_you_mean_listing,
    live_field,
    path_field,
)
from streamlib.processors import Collector, NullSink, Passthrough, TestPattern, ToneSource

BUILT_INS = {
    "TestPattern": TestPattern,
    "ToneSource": ToneSource,
    "Passthrough": Passthrough,
    "NullSink": NullSink,
    "Collector": Collector,
}


class Scaler(Processor):
    """Scale video frames.

    The second paragraph says more.
    """

    tags = ("video", "effect")

    class Config(ProcessorConfig):
        width: int = Field(640, ge=16, le=7680, description="Output width.")
        height: int = Field(480, ge=16, le=4320)
        mode: Literal["fast", "good"] = "fast"
        gain: float = live_field(1.0, ge=0.0, le=8.0, description="Brightness factor.")

    video_in = Input(VideoFrame, description="Frames to scale.")
    video_out = Output(VideoFrame)

    def process(self) -> None:
        frame = self.video_in.read_latest()
        if frame is not None:
            self.video_out.write(frame)


class Meter(Processor):
    """Measure stereo levels."""

    type_name = "LevelMeter"
    default_scheduling = Scheduling.timer(10)

    audio = Input(AudioFrame[2], profile="lossless", capacity=8)
    levels = Output(DataFrame)

    def process(self) -> None:
        self.audio.read_all()


# -- configs -------------------------------------------------------------------------------


def test_fields_as_keywords_or_mapping_or_instance() -> None:
    by_keywords = Scaler(width=320, gain=2.0)
    by_mapping = Scaler({"width": 320, "gain": 2.0})
    by_instance = Scaler(Scaler.Config(width=320, gain=2.0))
    for processor in (by_keywords, by_mapping, by_instance):
        assert isinstance(processor.config, Scaler.Config)
        assert (processor.config.width, processor.config.height) == (320, 480)
        assert processor.config.gain == 2.0
    assert by_keywords.config == by_mapping.config == by_instance.config


def test_defaults_apply_without_arguments() -> None:
    config = Scaler().config
    assert (config.width, config.height, config.mode, config.gain) == (640, 480, "fast", 1.0)


def test_a_processor_without_config_takes_no_fields() -> None:
    assert Passthrough().config == ProcessorConfig()
    with pytest.raises(ConfigError, match="unknown field; fields are: \\(none\\)"):
        Passthrough(anything=1)


@pytest.mark.parametrize(
    ("fields", "pattern"),
    [
        ({"width": 8}, r"invalid Scaler config: width: Input should be greater than or equal"),
        ({"width": "wide"}, r"width: .*valid integer.*\(got 'wide'\)"),
        ({"mode": "best"}, r"mode: Input should be 'fast' or 'good' \(got 'best'\)"),
        ({"gain": 9.0}, r"gain: Input should be less than or equal to 8"),
    ],
)
def test_invalid_values_are_config_errors_naming_the_field(
    fields: dict[str, object], pattern: str
) -> None:
    with pytest.raises(ConfigError, match=pattern) as info:
        Scaler(**fields)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, StreamError)
    assert info.value.__cause__ is None  # no pydantic traceback noise


def test_every_bad_field_is_listed() -> None:
    with pytest.raises(ConfigError) as info:
        Scaler(width=1, height=1)
    message = str(info.value)
    assert "width:" in message
    assert "height:" in message


def test_unknown_field_suggests_the_closest_one() -> None:
    with pytest.raises(ConfigError, match=r"widht: unknown field; did you mean 'width'\?") as info:
        Scaler(widht=320)
    assert "fields are: width, height, mode, gain" in str(info.value)


def test_unknown_field_far_from_any_lists_them_all() -> None:
    with pytest.raises(ConfigError) as info:
        Scaler(color="red")
    message = str(info.value)
    assert "color: unknown field; fields are: width, height, mode, gain" in message
    assert "did you mean" not in message


def test_config_object_and_keywords_together_are_refused() -> None:
    with pytest.raises(ConfigError, match="either as one object or as keywords, not both"):
        Scaler({"width": 320}, height=240)


@pytest.mark.parametrize("bad", [[("width", 320)], "width=320", 42])
def test_config_must_be_a_mapping(bad: object) -> None:
    with pytest.raises(ConfigError, match="Scaler config must be a mapping"):
        Scaler(bad)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = Scaler().config
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        config.width = 100


def test_live_fields_are_listed_and_marked_in_the_schema() -> None:
    assert Scaler.Config.live_fields() == frozenset({"gain"})
    schema = Scaler.Config.model_json_schema()
    assert schema["properties"]["gain"]["live"] is True
    assert schema["properties"]["gain"]["description"] == "Brightness factor."
    assert schema["properties"]["gain"]["maximum"] == 8.0
    assert "live" not in schema["properties"]["width"]
    assert schema["additionalProperties"] is False
    assert TestPattern.Config.live_fields() == frozenset({"fps", "pattern", "speed"})


def test_updated_revalidates_all_fields_together() -> None:
    config = Scaler(width=320).config
    changed = config.updated({"gain": 3.0}, owner="scaler")
    assert changed.gain == 3.0
    assert changed.width == 320
    assert config.gain == 1.0  # the original is unchanged
    with pytest.raises(ConfigError, match=r"invalid scaler config: gain: .*less than or equal"):
        config.updated({"gain": 100.0}, owner="scaler")
    with pytest.raises(ConfigError, match="did you mean 'gain'"):
        config.updated({"gian": 2.0}, owner="scaler")


def test_config_must_subclass_processor_config() -> None:
    with pytest.raises(TypeError, match=r"Bad.Config must subclass streamlib.ProcessorConfig"):

        class Bad(Processor):
            class Config:
                width = 1


# -- the processor base class -------------------------------------------------------------


def test_type_name_defaults_to_the_class_name_and_may_be_overridden() -> None:
    assert Scaler.type_name == "Scaler"
    assert Meter.type_name == "LevelMeter"

    class Sub(Meter):
        pass

    assert Sub.type_name == "Sub"  # not inherited: each class names itself


def test_description_is_the_cleaned_docstring() -> None:
    assert Scaler.description() == "Scale video frames.\n\nThe second paragraph says more."

    class Undocumented(Processor):
        def process(self) -> None:
            pass

    assert Undocumented.description() == ""


def test_base_process_says_it_must_be_implemented() -> None:
    class Lazy(Processor):
        pass

    with pytest.raises(TypeError, match="Lazy does not implement process"):
        Lazy().process()


def test_lifecycle_defaults_and_scheduling() -> None:
    scaler = Scaler()
    assert scaler.ctx is None
    assert scaler.scheduling() == Scheduling.push()
    assert Meter().scheduling() == Scheduling.timer(10.0)
    assert Scaler.error_policy is ErrorPolicy.RESTART
    assert Scaler.fusible is True
    scaler.on_config_changed(scaler.config)  # base: nothing to rebuild, no error
    scaler.teardown()
    assert scaler.ctx is None
    assert repr(scaler).startswith("<Scaler ")


def test_scheduling_values() -> None:
    timer = Scheduling.timer(30, Priority.HIGH)
    assert (timer.mode, timer.rate_hz, timer.priority) == (
        SchedulingMode.TIMER,
        30.0,
        Priority.HIGH,
    )
    assert Scheduling.loop().mode is SchedulingMode.LOOP
    assert Scheduling.pull(Priority.REALTIME).priority is Priority.REALTIME
    with pytest.raises(ConfigError, match="timer scheduling needs a positive rate_hz, got 0"):
        Scheduling.timer(0)
    with pytest.raises(ConfigError, match="rate_hz applies to timer scheduling only, not push"):
        Scheduling(SchedulingMode.PUSH, 30.0)


def test_error_policy_parse_and_restart_backoff() -> None:
    assert ErrorPolicy.parse("stop") is ErrorPolicy.STOP
    assert ErrorPolicy.parse(ErrorPolicy.RAISE) is ErrorPolicy.RAISE
    with pytest.raises(ConfigError, match="unknown error policy 'retry'; use one of: restart"):
        ErrorPolicy.parse("retry")
    backoff = RestartBackoff(initial_s=0.1, factor=2.0, max_s=1.0)
    assert [backoff.delay_s(n) for n in range(5)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0])
    with pytest.raises(ConfigError, match="jitter is a fraction"):
        RestartBackoff(jitter=1.5)


# -- descriptors ---------------------------------------------------------------------------


def test_descriptor_json_shape() -> None:
    data = ProcessorDescriptor.of(Scaler).to_dict()
    assert list(data) == [
        "name",
        "description",
        "tags",
        "inputs",
        "outputs",
        "config_schema",
        "scheduling",
        "capabilities",
        "module",
    ]
    assert data["name"] == "Scaler"
    assert data["description"].startswith("Scale video frames.")
    assert data["tags"] == ["video", "effect"]
    assert data["inputs"] == [
        {
            "name": "video_in",
            "type": "VideoFrame",
            "profile": "latest",
            "capacity": 3,
            "description": "Frames to scale.",
        }
    ]
    assert data["outputs"] == [{"name": "video_out", "type": "VideoFrame"}]
    assert data["config_schema"] == {
        **Scaler.Config.model_json_schema(),
        "title": "Scaler config",  # named after the type, not the nested class
    }
    assert data["scheduling"] == "push"
    assert data["capabilities"] == []
    assert data["module"] == f"{__name__}:Scaler"
    json.dumps(data)  # JSON-able as it is


def test_descriptor_of_channel_specific_ports_and_timer_scheduling() -> None:
    descriptor = ProcessorDescriptor.of(Meter)
    assert descriptor.name == "LevelMeter"
    assert descriptor.summary == "Measure stereo levels."
    data = descriptor.to_dict()
    assert data["inputs"] == [
        {"name": "audio", "type": "AudioFrame[2]", "profile": "lossless", "capacity": 8}
    ]
    assert data["outputs"] == [{"name": "levels", "type": "DataFrame"}]
    assert data["scheduling"] == "timer"
    assert data["config_schema"]["properties"] == {}


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_built_in_descriptors_have_the_issue_shape(name: str) -> None:
    data = Registry.default().describe(name).to_dict()
    for key in ("name", "description", "tags", "inputs", "outputs", "config_schema"):
        assert key in data
    assert data["name"] == name
    assert data["description"]
    assert data["tags"]
    for port in data["inputs"]:
        assert {"name", "type", "profile"} <= set(port)
    for port in data["outputs"]:
        assert {"name", "type"} <= set(port)
        assert "profile" not in port
    assert data["config_schema"]["type"] == "object"
    json.dumps(data)


def test_source_descriptors_say_timer() -> None:
    assert Registry.default().describe("TestPattern").scheduling == "timer"
    assert Registry.default().describe("ToneSource").scheduling == "timer"


# -- registry ------------------------------------------------------------------------------


def test_default_registry_has_the_built_ins_from_entry_points() -> None:
    registry = Registry.default()
    assert registry is Registry.default()
    for name, processor_class in BUILT_INS.items():
        assert name in registry
        assert registry.get(name) is processor_class
    assert set(BUILT_INS) <= set(registry.names())
    assert registry.names() == sorted(registry.names())
    assert registry.load_errors == {}


def test_built_ins_are_registered_through_the_entry_point_group() -> None:
    registry = Registry()
    assert registry.names() == []
    registry.load_entry_points()
    assert set(BUILT_INS) <= set(registry.names())
    assert ENTRY_POINT_GROUP == "streamlib.processors"


def test_lookup_suggests_a_close_name() -> None:
    registry = Registry.default()
    with pytest.raises(
        RegistryError, match=r"no processor type 'TestPatern'; did you mean 'TestPattern'\?"
    ):
        registry.get("TestPatern")
    with pytest.raises(LookupError, match="see `streamlib list`"):
        registry.get("TestPatern")


def test_lookup_of_a_far_name_lists_the_known_types() -> None:
    # The list is cut after 20 names (then "..."), so only early names are certain.
    with pytest.raises(RegistryError, match=r"known types: .*Collector.*\.\.\. \(see"):
        Registry.default().get("Zzzzzz")


def test_lookup_by_tag() -> None:
    registry = Registry.default()
    sinks = [d.name for d in registry.descriptors(tag="sink")]
    assert {"Collector", "NullSink"} <= set(sinks)  # devices and writers are sinks too
    assert sinks == sorted(sinks)
    sources = {d.name for d in registry.descriptors(tag="source")}
    assert {"TestPattern", "ToneSource"} <= sources
    everything = registry.descriptors()
    assert [d.name for d in everything] == registry.names()
    with pytest.raises(
        RegistryError, match=r"no processor type is tagged 'sinks'; did you mean 'sink'\?"
    ):
        registry.descriptors(tag="sinks")


def test_register_and_describe_a_custom_type() -> None:
    registry = Registry()
    registry.register(Scaler)
    registry.register(Meter)
    registry.register(Scaler)  # the same class again is fine
    assert registry.names() == ["LevelMeter", "Scaler"]
    assert registry.get("Scaler") is Scaler
    descriptor = registry.describe("LevelMeter")
    assert descriptor.processor_class is Meter
    assert {d.processor_class for d in registry.descriptors(tag="effect")} == {Scaler}


def test_register_refuses_non_processors_and_name_clashes() -> None:
    registry = Registry()
    with pytest.raises(RegistryError, match=r"is not a streamlib\.Processor subclass"):
        registry.register(dict)  # type: ignore[arg-type]
    with pytest.raises(RegistryError, match=r"is not a streamlib\.Processor subclass"):
        registry.register(Scaler())  # type: ignore[arg-type]
    registry.register(Scaler)

    class Scaler2(Processor):
        type_name = "Scaler"

        def process(self) -> None:
            pass

    with pytest.raises(
        RegistryError, match=r"two processor types want the name 'Scaler'.*rename one"
    ):
        registry.register(Scaler2)
    assert registry.get("Scaler") is Scaler


def test_broken_entry_points_are_skipped_and_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    entries = [
        EntryPoint("NullSink", "streamlib.processors:NullSink", ENTRY_POINT_GROUP),
        EntryPoint("Missing", "streamlib_no_such_package.effects:Blur", ENTRY_POINT_GROUP),
        EntryPoint("NotAProcessor", "json:dumps", ENTRY_POINT_GROUP),
        EntryPoint("NoAttribute", "streamlib.processors:NoSuchThing", ENTRY_POINT_GROUP),
        EntryPoint("Passthrough", "streamlib.processors:Passthrough", ENTRY_POINT_GROUP),
    ]
    asked: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        asked.append(group)
        return entries

    monkeypatch.setattr(_registry, "entry_points", fake_entry_points)
    registry = Registry()
    with caplog.at_level(logging.WARNING, logger="streamlib.registry"):
        registry.load_entry_points()
    assert asked == [ENTRY_POINT_GROUP]
    assert registry.names() == ["NullSink", "Passthrough"]  # the good ones still load
    assert set(registry.load_errors) == {"Missing", "NotAProcessor", "NoAttribute"}
    assert registry.load_errors["Missing"].startswith(
        "streamlib_no_such_package.effects:Blur: ModuleNotFoundError"
    )
    assert "RegistryError" in registry.load_errors["NotAProcessor"]
    assert "AttributeError" in registry.load_errors["NoAttribute"]
    warned = [r.getMessage() for r in caplog.records if r.name == "streamlib.registry"]
    assert len(warned) == 3
    assert any("skipping processor entry point Missing" in m for m in warned)
    with pytest.raises(RegistryError):
        registry.get("Missing")


def test_entry_point_name_must_match_the_type_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A type is known by one name: the one it describes and exports itself under."""
    entries = [EntryPoint("Blank", "streamlib.processors:NullSink", ENTRY_POINT_GROUP)]
    monkeypatch.setattr(_registry, "entry_points", lambda *, group: entries)
    registry = Registry()
    registry.load_entry_points()
    assert registry.names() == []
    assert "calls itself 'NullSink'" in registry.load_errors["Blank"]


def test_capabilities_and_write_paths_are_declared() -> None:
    """What an agent must be granted, readable from the descriptor before anything runs."""

    class Recorder(Processor):
        capabilities = frozenset({"write"})

        class Config(ProcessorConfig):
            path: str = path_field("out.mp4", description="Where to write.")
            title: str = "untitled"

        video = Input(VideoFrame)

    assert Recorder.Config.write_path_fields() == {"path"}
    descriptor = ProcessorDescriptor.of(Recorder).to_dict()
    assert descriptor["capabilities"] == ["write"]
    assert descriptor["config_schema"]["properties"]["path"]["path"] == "write"
    with pytest.raises(TypeError, match="microphone"):

        class Spy(Processor):
            capabilities = frozenset({"microphone"})


def test_one_suggestion_helper_serves_both_hint_shapes() -> None:
    assert did_you_mean("vidoe", ["video", "audio"]) == "did you mean 'video'?"
    assert did_you_mean("xyz", ["video", "audio"], what="ports") == "ports: audio, video"
    listing = did_you_mean_listing("hieght", ["width", "height"], what="fields")
    assert listing == "did you mean 'height'? fields are: width, height"  # declared order kept
    assert did_you_mean_listing("x", [], what="arguments") == "arguments are: (none)"
