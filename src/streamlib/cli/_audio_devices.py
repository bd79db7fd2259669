"""The audio part of ``streamlib devices``: PortAudio's inputs and outputs."""

from __future__ import annotations

from typing import Any

from ..core import DeviceError

__all__ = ["audio_devices_json", "print_audio_devices"]


def audio_devices_json() -> dict[str, Any]:
    """``{"devices": [...]}``, or ``{"devices": [], "error": why}`` without PortAudio."""
    from ..audio import list_audio_devices

    try:
        return {"devices": [device.to_dict() for device in list_audio_devices()]}
    except DeviceError as error:
        return {"devices": [], "error": str(error)}


def print_audio_devices() -> None:
    """A table of audio devices with the index and name AudioCapture/AudioOutput take."""
    report = audio_devices_json()
    print("audio devices (PortAudio; give the index or name as `device`):")
    if "error" in report:
        print(f"  unavailable: {report['error']}")
        return
    if not report["devices"]:
        print("  none found: no sound card, and no sound server (PulseAudio, PipeWire) running")
    for device in report["devices"]:
        defaults = [kind for kind in ("input", "output") if device[f"default_{kind}"]]
        mark = f"  (default {' and '.join(defaults)})" if defaults else ""
        print(
            f"  [{device['index']:>2}] {device['name']:<28} in {device['max_input_channels']:>2}  "
            f"out {device['max_output_channels']:>2}  {device['default_sample_rate']:g} Hz  "
            f"{device['host_api']}{mark}"
        )
