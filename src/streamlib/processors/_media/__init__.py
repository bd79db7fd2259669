"""FFmpeg-backed processors (PyAV, the media extra): files, codecs, MP4 recording."""
