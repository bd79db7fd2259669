"""ClapEffect: a CLAP plugin as a processor, in the harness and in a running runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import streamlib as sl
from audio_support import require_zam, rms, sine
from runtime_support import EventLog, streamlib_threads, wait_until
from streamlib.processors import (
    AudioChannelConverter,
    ChordGenerator,
    ClapEffect,
    ClapEffectStatistics,
    Collector,
)
from streamlib.testing import run_processor

RATE = 48_000
EXAMPLE = Path(__file__).parent.parent / "examples" / "microphone-reverb-speaker.yaml"


@pytest.fixture(autouse=True)
def _zam() -> None:
    require_zam("ZamVerb")
    require_zam("ZamComp")


def frames_of(data: np.ndarray, size: int) -> list[sl.AudioFrame]:
    return [
        sl.AudioFrame(
            np.ascontiguousarray(data[i : i + size]),
            RATE,
            timestamp_ns=1_000_000 + i * 1_000_000_000 // RATE,
            frame_number=i // size,
        )
        for i in range(0, len(data), size)
    ]


def test_ports_carry_the_plugins_channel_counts() -> None:
    verb = ClapEffect(plugin="ZamVerb")
    comp = ClapEffect(plugin="ZamComp")
    assert str(verb.inputs["audio_in"].spec.frame_type) == "AudioFrame[2]"
    assert str(verb.outputs["audio_out"].spec.frame_type) == "AudioFrame[2]"
    assert str(comp.inputs["audio_in"].spec.frame_type) == "AudioFrame[1]"


def test_mismatched_channels_are_refused_at_connect_time() -> None:
    with sl.Runtime() as rt:
        verb = rt.add(ClapEffect, plugin="ZamVerb")
        comp = rt.add(ClapEffect, plugin="ZamComp")
        with pytest.raises(sl.PortTypeError, match=r"AudioFrame\[2\].*AudioFrame\[1\]"):
            rt.connect(verb.audio_out, comp.audio_in)
        assert rt.graph.edges() == []


def test_mismatched_frames_from_an_untyped_producer_never_pass() -> None:
    stereo = frames_of(np.zeros((512, 2), np.float32), 256)
    with pytest.raises(sl.FrameError, match="takes 1-channel audio"):
        run_processor(ClapEffect, {"plugin": "ZamComp"}, inputs={"audio_in": stereo})


def test_reverb_in_fixed_blocks_with_a_padded_last_block() -> None:
    dry = np.zeros((RATE // 2 + 100, 2), np.float32)
    dry[10] = 1.0
    out = run_processor(
        ClapEffect,
        {"plugin": "ZamVerb", "block_size": 256},
        inputs={"audio_in": frames_of(dry, 480)},
    )["audio_out"]
    assert {frame.samples for frame in out} == {256}
    wet = np.concatenate([frame.data for frame in out])
    assert len(wet) == -(-len(dry) // 256) * 256  # the short last block was padded, not dropped
    assert rms(wet[2400:7200]) > 10 * rms(wet[-4800:]) > 0  # a decaying tail
    stamps = [frame.timestamp_ns for frame in out]
    assert stamps[0] == 1_000_000
    assert stamps[1] - stamps[0] == 256 * 1_000_000_000 // RATE
    assert [frame.frame_number for frame in out] == list(range(len(out)))


def test_config_params_reach_the_plugin() -> None:
    tone = sine(440.0, 0.2, RATE, amplitude=0.5)[:, None].repeat(2, axis=1)
    frames = frames_of(tone, 256)
    plain = run_processor(ClapEffect, {"plugin": "ZamVerb"}, inputs={"audio_in": frames})
    quiet = run_processor(
        ClapEffect,
        {"plugin": "ZamVerb", "params": {"master level": -20.0}},
        inputs={"audio_in": frames_of(tone, 256)},
    )
    loud_rms = rms(np.concatenate([f.data for f in plain["audio_out"]]))
    quiet_rms = rms(np.concatenate([f.data for f in quiet["audio_out"]]))
    assert quiet_rms == pytest.approx(loud_rms / 10, rel=0.2)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"plugin": "NoSuchPlugin"}, "no CLAP plugin with id or name 'NoSuchPlugin'"),
        ({"plugin": "/nowhere/X.clap"}, "does not exist"),
        ({"plugin": "ZamVerb", "params": {"size": 1}}, "no parameter 'size'"),
        ({"plugin": "ZamVerb", "params": {"2": 60}}, "takes values from 0 to 6"),
        ({"plugin": "ZamVerb", "block_size": 200}, "power of two"),
    ],
)
def test_bad_configs(config: dict[str, object], message: str) -> None:
    with pytest.raises(sl.ConfigError, match=message):
        ClapEffect(config)


def test_live_parameter_change_in_a_running_runtime() -> None:
    with sl.Runtime() as rt:
        src = rt.add(ChordGenerator, block_size=480, channels=1, amplitude=0.5)
        to_stereo = rt.add(AudioChannelConverter, channels=2)
        verb = rt.add(ClapEffect, plugin="ZamVerb", params={"wet / dry": 0.0}, id="verb")
        sink = rt.add(Collector, id="sink")
        rt.connect(src.audio, to_stereo.audio_in)
        rt.connect(to_stereo.audio_out, verb.audio_in)
        rt.connect(verb.audio_out, sink.audio)
        log = EventLog(rt.events, "processor:verb")
        rt.start()
        collector = rt.processor("sink")
        assert isinstance(collector, Collector)
        collector.wait_for(20, port="audio")
        effect = rt.processor("verb")
        assert isinstance(effect, ClapEffect)
        assert effect.statistics().param_changes == 1
        rt.update_config(verb, params={"wet / dry": 0.0, "master level": -30.0})
        wait_until(lambda: effect.statistics().param_changes == 2, what="the change reached it")
        count = len(collector.received("audio"))
        frames = collector.wait_for(count + 20, port="audio")
        rt.stop()
        stats = effect.statistics()  # final: after the padded last block
        rt.events.flush()
    assert isinstance(stats, ClapEffectStatistics)
    assert stats.blocks >= 40
    assert stats.param_changes == 2  # kept after the plugin was closed
    assert stats.budget_ms == pytest.approx(256 / 48)
    assert stats.overruns == len(
        [e for e in log.of(sl.Event) if getattr(e, "name", "") == "overrun"]
    )
    before = rms(np.concatenate([f.data for f in frames[5:15]]))
    after = rms(np.concatenate([f.data for f in frames[-10:]]))
    assert after < before / 10  # -30 dB master level
    assert streamlib_threads() == []


def test_example_pipeline_file_validates() -> None:
    from streamlib.cli import main

    assert main(["graph", str(EXAMPLE), "--format", "json"]) == 0


def test_a_stop_without_an_end_writes_no_padded_tail() -> None:
    dry = np.zeros((1000, 2), np.float32)
    out = run_processor(
        ClapEffect,
        {"plugin": "ZamVerb", "block_size": 256},
        inputs={"audio_in": frames_of(dry, 500)},
        end_of_stream=False,
    )["audio_out"]
    assert len(out) == 1000 // 256  # whole blocks only: the 232 left over stay unsent


def test_plugin_is_closed_on_teardown() -> None:
    effect = ClapEffect(plugin="ZamVerb")
    run_processor(effect, inputs={"audio_in": frames_of(np.zeros((256, 2), np.float32), 256)})
    assert effect._plugin is None
