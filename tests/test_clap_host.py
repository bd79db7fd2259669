"""The CLAP host (streamlib.clap) against real plugins: Debian's zam-plugins and a
small plugin the suite builds from C against the CLAP headers (for state)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from audio_support import HERE, ZAM_DIR, build_c, require_zam, rms, sine
from streamlib import PluginError
from streamlib.clap import ClapPlugin, ParamFlags, _abi, find_plugins, open_bundle, search_paths

RATE = 48_000
BLOCK = 256


@pytest.fixture(scope="module")
def gain_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test plugin, built once per module."""
    folder = tmp_path_factory.mktemp("clap")
    return build_c(HERE / "clap" / "test_gain_plugin.c", folder / "TestGain.clap", shared=True)


@pytest.fixture
def verb() -> Iterator[ClapPlugin]:
    require_zam("ZamVerb")
    plugin = ClapPlugin.load("ZamVerb")
    plugin.activate(RATE, BLOCK, min_frames=BLOCK)
    try:
        yield plugin
    finally:
        plugin.close()


def impulse(seconds: float = 1.0) -> np.ndarray:
    block = np.zeros((int(RATE * seconds), 2), np.float32)
    block[64] = 1.0
    return block


# -- the ABI ---------------------------------------------------------------------------


def test_ctypes_structs_match_the_clap_headers(tmp_path: Path) -> None:
    program = build_c(HERE / "clap" / "abi_layout.c", tmp_path / "abi_layout", shared=False)
    lines = subprocess.run([program], capture_output=True, text=True, check=True).stdout
    checked = 0
    for line in lines.splitlines():
        name, kind, number = line.split()
        if kind == "size":
            assert ctypes.sizeof(getattr(_abi, name)) == int(number), line
        else:
            struct_name, field = name.split(".")
            assert getattr(getattr(_abi, struct_name), field).offset == int(number), line
        checked += 1
    assert checked > 40
    assert ctypes.sizeof(_abi.EventParamValue) == 56  # what the probe found plugins expect


# -- discovery and loading -------------------------------------------------------------


def test_search_paths_include_the_standard_places_and_clap_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLAP_PATH", f"{tmp_path}/a:{tmp_path}/b")
    paths = search_paths()
    assert paths[:2] == [tmp_path / "a", tmp_path / "b"]
    assert Path("/usr/lib/clap") in paths
    assert Path("/usr/local/lib/clap") in paths
    assert Path.home() / ".clap" in paths


def test_find_plugins_lists_the_zam_plugins() -> None:
    require_zam("ZamVerb")
    infos = {info.name: info for info in find_plugins()}
    verb = infos["ZamVerb"]
    assert verb.id == "com.zamaudio.ZamVerb"
    assert verb.vendor == "Damien Zammit"
    assert "reverb" in verb.features
    assert verb.path == ZAM_DIR / "ZamVerb.clap"
    assert {"ZamComp", "ZamEQ2", "ZamDelay"} <= set(infos)


def test_find_plugins_in_clap_path_and_subfolders(gain_plugin: Path, tmp_path: Path) -> None:
    nested = tmp_path / "vendor" / "sub"
    nested.mkdir(parents=True)
    shutil.copy(gain_plugin, nested / "Copied.clap")
    infos = find_plugins([tmp_path])
    assert [(info.id, info.path) for info in infos] == [
        ("org.streamlib.test.gain", nested / "Copied.clap")
    ]
    assert infos[0].version == "1.0.0"


@pytest.mark.parametrize("how", ["name", "id", "path"])
def test_load_by_name_id_or_path(how: str) -> None:
    path = require_zam("ZamVerb")
    ref = {"name": "zamverb", "id": "com.zamaudio.ZamVerb", "path": str(path)}[how]
    with ClapPlugin.load(ref) as plugin:
        assert plugin.info.id == "com.zamaudio.ZamVerb"
        assert [p.channels for p in plugin.audio_inputs] == [2]
        assert [p.channels for p in plugin.audio_outputs] == [2]


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="does not exist"):
        ClapPlugin.load(tmp_path / "Nothing.clap")


def test_a_file_that_is_not_a_shared_library(tmp_path: Path) -> None:
    fake = tmp_path / "Fake.clap"
    fake.write_text("not a plugin")
    with pytest.raises(PluginError, match="not a CLAP plugin: it cannot be loaded"):
        ClapPlugin.load(fake)


def test_a_shared_library_without_clap_entry(tmp_path: Path) -> None:
    source = tmp_path / "plain.c"
    source.write_text("int streamlib_answer(void) { return 42; }\n")
    library = build_c(source, tmp_path / "Plain.clap", shared=True)
    with pytest.raises(PluginError, match="no 'clap_entry' symbol"):
        open_bundle(library)


def test_unknown_name_suggests_installed_plugins() -> None:
    require_zam("ZamVerb")
    with pytest.raises(PluginError, match="did you mean 'ZamVerb'"):
        ClapPlugin.load("ZamVreb")


def test_unknown_plugin_id_in_a_bundle() -> None:
    path = require_zam("ZamVerb")
    with pytest.raises(PluginError, match=r"it offers: com\.zamaudio\.ZamVerb"):
        ClapPlugin.load(path, plugin_id="com.zamaudio.Nope")


# -- processing ------------------------------------------------------------------------


def test_zamverb_turns_an_impulse_into_a_decaying_tail(verb: ClapPlugin) -> None:
    out = verb.process_block(impulse())
    assert out.shape == (RATE, 2)
    assert np.all(np.isfinite(out))
    # The tail: energy well after the impulse, decaying from one 100 ms window to the next.
    windows = [rms(out[start : start + 4800]) for start in range(1200, RATE, 4800)]
    assert windows[0] > 1e-4, "no reverberation after the impulse"
    assert windows[0] > windows[3] > windows[-1]
    assert windows[-1] < windows[0] / 10


def test_zamverb_passes_dry_signal_with_blocks_it_cannot_use() -> None:
    """The probe's finding, kept visible: a non-power-of-two block gets no reverb."""
    require_zam("ZamVerb")
    with ClapPlugin.load("ZamVerb") as plugin:
        plugin.activate(RATE, 200, min_frames=200)
        out = plugin.process_block(impulse(0.5))
    assert rms(out[2000:]) < 1e-6


def test_parameter_change_changes_the_output(verb: ClapPlugin) -> None:
    before = verb.process_block(impulse())
    verb.set_param("Room", 4)
    verb.process_block(np.zeros((4 * BLOCK, 2), np.float32))  # the event lands in a block
    assert verb.get_param("room") == 4.0
    after = verb.process_block(impulse())
    tail_before, tail_after = rms(before[2400:]), rms(after[2400:])
    assert abs(tail_after - tail_before) > 0.1 * tail_before


def test_parameter_events_apply_from_the_next_block(verb: ClapPlugin) -> None:
    verb.set_param("Wet / Dry", 0.0)  # all dry
    block = np.full((BLOCK, 2), 0.25, np.float32)
    verb.input_buffers[0][:, :BLOCK] = block.T
    verb.process(BLOCK)
    assert verb.get_param("wet / dry") == 0.0
    assert verb.param_events_sent == 1


def test_params_are_listed_with_ranges_and_flags(verb: ClapPlugin) -> None:
    params = {p.name: p for p in verb.params()}
    assert set(params) == {"Master level", "Wet / Dry", "Room"}
    room = params["Room"]
    assert (room.min_value, room.max_value, room.default_value) == (0.0, 6.0, 0.0)
    assert ParamFlags.STEPPED in room.flags
    assert room.to_dict()["flags"] == ["stepped"]
    assert verb.param(room.id) == room


def test_bad_parameter_ids_and_values(verb: ClapPlugin) -> None:
    with pytest.raises(PluginError, match="no parameter 99; its parameters: 0 'Master level'"):
        verb.set_param(99, 1.0)
    with pytest.raises(PluginError, match="no parameter 'size'"):
        verb.get_param("size")
    with pytest.raises(PluginError, match="takes values from 0 to 6, not 9"):
        verb.set_param("room", 9)


def test_zamcomp_reduces_a_loud_signals_peak() -> None:
    require_zam("ZamComp")
    with ClapPlugin.load("ZamComp") as comp:
        # Mono with a sidechain input, which this host feeds silence.
        assert [p.channels for p in comp.audio_inputs] == [1, 1]
        assert comp.audio_inputs[0].is_main
        assert not comp.audio_inputs[1].is_main
        comp.activate(RATE, BLOCK, min_frames=BLOCK)
        comp.set_param("Threshold", -30.0)
        comp.set_param("Ratio", 10.0)
        comp.set_param("Attack", 1.0)
        loud = sine(440.0, 1.0, RATE, amplitude=0.9)[:, None]
        out = comp.process_block(loud)
        settled = slice(RATE // 2, None)
        assert np.max(np.abs(out[settled])) < 0.5 * np.max(np.abs(loud[settled]))
        assert comp.get_param("Gain Reduction") > 6.0
        with pytest.raises(PluginError, match="read-only"):
            comp.set_param("Gain Reduction", 1.0)


def test_zamaximx2_deactivates_with_the_latency_extension() -> None:
    """ZaMaximX2 crashes in deactivate unless the host offers clap.latency."""
    require_zam("ZaMaximX2")
    with ClapPlugin.load("ZaMaximX2") as maxim:
        maxim.activate(RATE, BLOCK)
        maxim.process_block(sine(440.0, 0.1, RATE)[:, None].repeat(2, axis=1))
        assert "clap.latency" in maxim.host.extensions_asked
        assert maxim.latency > 0
        maxim.deactivate()
    assert {"clap.latency", "clap.log", "clap.params", "clap.thread-check"} <= set(
        maxim.host.offered_extensions
    )


def test_process_refuses_blocks_longer_than_activated(verb: ClapPlugin) -> None:
    with pytest.raises(PluginError, match="blocks of up to 256"):
        verb.process(512)


def test_closed_plugin_cannot_be_used() -> None:
    require_zam("ZamVerb")
    plugin = ClapPlugin.load("ZamVerb")
    plugin.close()
    with pytest.raises(PluginError, match="was closed"):
        plugin.activate(RATE, BLOCK)


# -- the test plugin: state, restart, callbacks, log -----------------------------------


def test_state_save_and_load_round_trip(gain_plugin: Path) -> None:
    with ClapPlugin.load(gain_plugin) as plugin:
        assert plugin.has_state
        plugin.set_param("Gain", 2.5)  # inactive: flushed at once
        assert plugin.get_param("gain") == 2.5
        saved = plugin.save_state()
        assert saved[:4] == b"SLGN"
        assert len(saved) == 12
    with ClapPlugin.load(gain_plugin) as other:
        assert other.get_param("gain") == 1.0
        other.load_state(saved)
        assert other.get_param("gain") == 2.5
        other.activate(RATE, BLOCK)
        out = other.process_block(np.full((BLOCK, 2), 0.2, np.float32))
        np.testing.assert_allclose(out, 0.5, rtol=1e-6)
        with pytest.raises(PluginError, match="refused the state"):
            other.load_state(b"nonsense-bytes")


def test_plugins_without_state_say_so(verb: ClapPlugin) -> None:
    assert not verb.has_state
    with pytest.raises(PluginError, match=r"does not offer clap\.state"):
        verb.save_state()


def test_restart_request_is_honored_between_blocks(gain_plugin: Path) -> None:
    with ClapPlugin.load(gain_plugin) as plugin:
        plugin.activate(RATE, BLOCK)
        assert plugin.get_param("Activations") == 1
        plugin.set_param("Restart", 1)
        plugin.process(BLOCK)  # the plugin asks for a restart while processing
        assert plugin.host.restart_requested
        plugin.idle()  # the host deactivates and activates it again, same settings
        assert plugin.get_param("Activations") == 2
        assert plugin.restarts == 1
        assert (plugin.sample_rate, plugin.max_frames) == (RATE, BLOCK)
        plugin.process(BLOCK)


def test_callback_request_runs_on_main_thread_and_log_reaches_python(
    gain_plugin: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="streamlib.clap"), ClapPlugin.load(gain_plugin) as plugin:
        plugin.activate(44_100, 128, min_frames=64)
        assert "activated at 44100 Hz, blocks 64..128" in caplog.text
        plugin.set_param("Gain", 0.5)
        plugin.process(128)
        assert plugin.host.callback_requested
        plugin.idle()
        assert plugin.get_param("Callbacks") == 1
        assert plugin.host.log_messages[-1] == (1, "activated at 44100 Hz, blocks 64..128")


def test_process_before_activate_says_so() -> None:
    require_zam("ZamVerb")
    with ClapPlugin.load("ZamVerb") as plugin, pytest.raises(PluginError, match="not active"):
        plugin.process(BLOCK)


def test_loading_plugins_keeps_the_hosts_floating_point_mode() -> None:
    """Some plugins are built with -ffast-math, which turns on flush-to-zero in the thread
    that loads them; the host puts its own mode back (numpy and Python floats keep subnormals)."""
    require_zam("ZamVerb")
    script = (
        "import numpy as np\n"
        "from streamlib.clap import find_plugins, open_bundle\n"
        "from pathlib import Path\n"
        f"for info in find_plugins(paths=[Path({str(ZAM_DIR)!r})]):\n"
        "    open_bundle(info.path)\n"
        "tiny = float.fromhex('0x1p-1022')\n"
        "print(tiny / 2 != 0.0, np.float32(1e-38) / np.float32(10) != 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "True"], done.stderr
