"""``streamlib devices``: the cameras FFmpeg can open here, and the audio devices."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core import ConfigError
from ._audio_devices import audio_devices_json, print_audio_devices

__all__ = ["add_devices_command"]


def add_devices_command(commands: Any) -> None:
    parser = commands.add_parser(
        "devices",
        help="list cameras (FFmpeg) and audio devices (PortAudio)",
        description="List the capture devices a Camera processor can open, with the name "
        "to give as its `device`.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=_devices)


def _devices(args: argparse.Namespace) -> int:
    try:
        from ..media import camera_input_format, list_cameras
    except ImportError:
        raise ConfigError(
            "listing cameras needs PyAV (FFmpeg for Python): pip install 'streamlib[media]'"
        ) from None
    cameras = list_cameras()
    if args.json:
        payload = {
            "cameras": [camera.to_dict() for camera in cameras],
            "camera_input": camera_input_format(),
            "audio": audio_devices_json(),
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"cameras ({camera_input_format()}):")
    if not cameras:
        print("  none found: no camera is connected, or this machine exposes none")
        print("  (a Camera with `fallback: test_pattern` still runs, with a test picture)")
    for camera in cameras:
        print(f"  {camera.name:<24} {camera.description}")
    print_audio_devices()
    return 0
