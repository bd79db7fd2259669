"""Saving and loading plugin state (``clap.state``) through in-memory streams."""

from __future__ import annotations

import ctypes
from typing import Any

from ._abi import IStream, OStream, field_type

__all__ = ["ReadStream", "WriteStream"]


class WriteStream:
    """A ``clap_ostream_t`` collecting what the plugin writes into ``bytes``."""

    def __init__(self) -> None:
        self._chunks = bytearray()
        self._callback = field_type(OStream, "write")(self._write)
        self.struct = OStream(None, self._callback)
        self.pointer = ctypes.pointer(self.struct)

    def _write(self, stream: Any, buffer: int | None, size: int) -> int:
        if size and buffer:
            self._chunks += ctypes.string_at(buffer, size)
        return size

    def getvalue(self) -> bytes:
        return bytes(self._chunks)


class ReadStream:
    """A ``clap_istream_t`` handing ``data`` to the plugin, in whatever pieces it asks for."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0
        self._callback = field_type(IStream, "read")(self._read)
        self.struct = IStream(None, self._callback)
        self.pointer = ctypes.pointer(self.struct)

    def _read(self, stream: Any, buffer: int | None, size: int) -> int:
        if not buffer:
            return -1
        piece = self._data[self._offset : self._offset + size]
        ctypes.memmove(buffer, piece, len(piece))
        self._offset += len(piece)
        return len(piece)  # 0 at the end of the data
