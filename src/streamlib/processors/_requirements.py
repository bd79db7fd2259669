"""The optional libraries each processor family needs, and the extra that installs them.

Processor classes name these in ``requires`` and import the libraries inside methods,
so every processor module imports on a plain install: a type whose extra is missing
is listed as unavailable (``streamlib list``) and constructing it says what to install.
"""

from __future__ import annotations

from ..core import Requirement

__all__ = ["AUDIO_DEVICES", "GPU", "GPU_DRAWING", "GPU_WINDOW", "MEDIA", "RESAMPLING", "WEBRTC"]

# PyAV, whose wheels bundle FFmpeg: files, cameras, codecs, MP4 recording.
MEDIA = Requirement("media", ("av",))
# PortAudio through sounddevice (the PortAudio library itself comes from the system).
AUDIO_DEVICES = Requirement("audio", ("sounddevice",))
# libsoxr.
RESAMPLING = Requirement("audio", ("soxr",))
# wgpu-py (its wheel bundles wgpu-native).
GPU = Requirement("gpu", ("wgpu",))
# A window on screen: wgpu and glfw (its wheel bundles libglfw).
GPU_WINDOW = Requirement("gpu", ("wgpu", "glfw"))
# Overlays draw text and images with Pillow, then composite them on the GPU.
GPU_DRAWING = Requirement("gpu", ("wgpu", "PIL"))
# aiortc (WebRTC), aiohttp (signalling over HTTP), PyAV (H.264 and Opus).
WEBRTC = Requirement("webrtc", ("aiortc", "aiohttp", "av"))
