"""The file a :class:`MediaWriter` writes, opened by us rather than by FFmpeg, so a failing
write is seen the moment it fails, with its ``errno``.

FFmpeg reports a write error only as a bare code on a later mux call, and its
own file layer cannot tell us which bytes reached the disk. Here every write is
an ``os.pwrite`` we make: the first one that fails is kept (:attr:`OutputFile.error`)
and answered to FFmpeg with ``-errno``, so its mux call fails right then and
FFmpeg writes nothing more. We also know exactly how many bytes are on disk,
which lets a fragmented MP4 be cut back to its last complete fragment
(:func:`complete_mp4_length`).

The error a failing write raises is :class:`streamlib.StorageError`.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["OutputFile", "complete_mp4_length", "describe_os_error"]


# What to do about each errno a recording meets (the reason itself comes from strerror).
_ADVICE: dict[int, str] = {
    errno.ENOSPC: "free space on that disk or record to another one",
    errno.EDQUOT: "free space within your disk quota or record to another disk",
    errno.EFBIG: "the file reached the largest size this file system or `ulimit -f` allows; "
    "record shorter files or to another file system",
    errno.EIO: "the disk reported an I/O error: check it (dmesg, SMART) and record to another one",
    errno.EROFS: "the file system became read-only (often after disk errors); "
    "check it and record to another one",
    errno.EACCES: "give write permission on the folder or record somewhere else",
    errno.EPERM: "give write permission on the folder or record somewhere else",
    errno.EEXIST: "a file of that name appeared meanwhile; pick another name "
    "(or set overwrite: true)",
}


def describe_os_error(error: OSError) -> tuple[str, str]:
    """``("No space left on device (ENOSPC)", "free space on that disk ...")`` for ``error``."""
    code = error.errno
    if code is None:
        return str(error), "check the disk and record again"
    name = errno.errorcode.get(code, f"errno {code}")
    reason = error.strerror or os.strerror(code)
    return f"{reason} ({name})", _ADVICE.get(code, "check the disk and record again")


class OutputFile:
    """A seekable file PyAV writes to's custom I/O (``av.open(OutputFile(...), "w")``).

    The file is created by the first write, so a recording that never writes a
    byte leaves no file. With ``overwrite=False`` it is created exclusively
    (``O_EXCL``): a file that appeared since the caller checked is never replaced.

    ``write`` never raises into FFmpeg: a Python exception there would be stashed by
    PyAV and surface from some later, unrelated call. It returns ``-errno`` instead
    (FFmpeg's ``AVERROR(errno)``) and keeps the ``OSError`` in :attr:`error`.
    """

    def __init__(self, path: str, *, overwrite: bool) -> None:
        self.name = path  # PyAV shows it in its own messages
        self._overwrite = overwrite
        self._fd: int | None = None
        self._position = 0
        self.size = 0
        """Bytes written so far (the file's length, as far as our writes went)."""
        self.created = False
        """Whether we created the file (as opposed to replacing one that was there)."""
        self.error: OSError | None = None
        """The first write that failed; nothing is written after it."""
        self.closed = False  # PyAV skips the trailer of a container whose file is closed

    # -- what PyAV calls ---------------------------------------------------------------

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            self._position = offset
        elif whence == os.SEEK_CUR:
            self._position += offset
        else:
            self._position = self.size + offset
        return self._position

    def write(self, data: bytes) -> int:
        if self.error is not None or self.closed:
            return -(self.error.errno or errno.EIO) if self.error is not None else -errno.EBADF
        view = memoryview(data)
        try:
            fd = self._fd if self._fd is not None else self._open()
            while view:  # pwrite may write less than asked (a disk filling up does)
                written = os.pwrite(fd, view, self._position)
                self._position += written
                self.size = max(self.size, self._position)
                view = view[written:]
        except OSError as error:
            self.error = error
            return -(error.errno or errno.EIO)
        return len(data)

    def close(self) -> None:
        """Close the descriptor (PyAV calls this after the trailer; we call it on failure)."""
        self.closed = True
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    # -- ours ------------------------------------------------------------------------

    @property
    def is_regular(self) -> bool:
        """Whether what we write is a regular file (not ``/dev/full``, a pipe or a FIFO)."""
        return self._fd is not None and stat.S_ISREG(os.fstat(self._fd).st_mode)

    def truncate(self, length: int) -> None:
        """Cut the file to ``length`` bytes (what is complete); errors are the caller's."""
        if self._fd is not None:
            os.ftruncate(self._fd, length)
            self.size = min(self.size, length)

    def read_at(self, offset: int, count: int) -> bytes:
        if self._fd is None:
            return b""
        return os.pread(self._fd, count, offset)

    def _open(self) -> int:
        # Read and write: after a failure we read the boxes back to find the last whole fragment.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.name, flags | os.O_EXCL, 0o666)
            self.created = True
        except FileExistsError:
            if not self._overwrite:
                raise
            fd = os.open(self.name, flags | os.O_TRUNC, 0o666)
        self._fd = fd
        return fd


_HEADER = 8
_CONTAINER_START = frozenset({b"ftyp", b"styp"})


def complete_mp4_length(file: OutputFile) -> int:
    """Length of the playable start of a fragmented MP4/MOV: its header and whole fragments.

    Walks the top-level boxes (``ftyp``, ``moov``, then ``moof`` + ``mdat`` pairs).
    A box cut short, or a ``moof`` whose ``mdat`` did not arrive, ends the
    playable part. Returns 0 when the file does not start like an MP4 (nothing
    is known to be whole) or its header itself is incomplete.
    """
    size = file.size
    offset = 0
    complete = 0
    seen_moov = False
    fragment_open = False
    first = True
    while offset + _HEADER <= size:
        header = file.read_at(offset, 16)
        if len(header) < _HEADER:
            break
        box_size = int.from_bytes(header[:4], "big")
        kind = header[4:8]
        if box_size == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                break
            box_size = int.from_bytes(header[8:16], "big")
        if first and kind not in _CONTAINER_START:
            return 0
        first = False
        if box_size < _HEADER or offset + box_size > size:  # 0 ("to the end") or cut short
            break
        offset += box_size
        if kind == b"moov":
            seen_moov = True
            complete = offset
        elif kind == b"moof":
            fragment_open = True
        elif kind == b"mdat" and fragment_open:
            fragment_open = False
            complete = offset
        elif seen_moov and not fragment_open:
            complete = offset  # free, sidx, mfra...: whole boxes between fragments
    return complete if seen_moov else 0
