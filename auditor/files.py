"""Reading files a hostile tree may hold: only regular files, never more than a limit.

A FIFO named `app.py` blocks `open()` forever, a symlink to `/dev/zero` never ends, and a 2 GB
generated file would be read whole. Opening with O_NONBLOCK never waits for a FIFO's writer,
`fstat` on the open descriptor says what was really opened (no race with a rename), and the read
stops one byte past the limit.
"""

from __future__ import annotations

import os
import stat

# Larger files are not even read. (What is read is analysed only up to engine's own limit.)
MAX_FILE_BYTES = 64 * 1024 * 1024


class UnreadableFile(Exception):
    """Why a file was not read, worded for the user. `reason` says the same without naming what
    was read ("Permission denied", "not a regular file (a FIFO)", "larger than 64 MiB"), for
    callers whose own message names the file."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def read_regular_file(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; UnreadableFile otherwise."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise _os_error(error, what) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            reason = f"not a regular file ({file_kind(info.st_mode)})"
            raise UnreadableFile(f"{reason}: not read", reason)
        if info.st_size > limit:
            raise UnreadableFile(f"{what} is larger than {_size(limit)} ({_size(info.st_size)}): not read", f"larger than {_size(limit)}")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # it grew after fstat
            raise UnreadableFile(f"{what} is larger than {_size(limit)}: not read", f"larger than {_size(limit)}")
        return data
    except OSError as error:
        raise _os_error(error, what) from None
    finally:
        os.close(descriptor)


def _os_error(error: OSError, what: str) -> UnreadableFile:
    reason = error.strerror or str(error)
    return UnreadableFile(f"cannot read {what}: {reason}", reason)


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, for messages: "a FIFO", "a directory", ..."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a file"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):,.1f} MiB".replace(".0 MiB", " MiB")
    return f"{count:,} bytes"
