"""Read a source file and write its fixed text back without losing anything it did not fix.

The text is decoded as Python does (BOM, coding cookie, else UTF-8) and written back in the
same encoding, with the BOM if it had one; line endings are never translated, so a CRLF file
stays CRLF. The write goes to a temporary file in the same directory, takes the file's
permissions, and replaces the file in one `os.replace` only if the file still holds the bytes
that were read: an editor's save between the read and the write is never overwritten.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from auditor.files import UnreadableFile, read_regular_file


class NotWritten(Exception):
    """The fixed text was not written; the message says why, for the user."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes  # exactly the bytes read
    encoding: str  # tokenize's name: "utf-8", "utf-8-sig" for a BOM, or the coding cookie's
    text: str

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)  # "utf-8-sig" writes the BOM back


def read_source(path: Path) -> SourceFile:
    """Raises OSError when unreadable, SyntaxError/UnicodeDecodeError/LookupError when the
    bytes are not text in the encoding they declare."""
    try:
        data = read_regular_file(path)
    except UnreadableFile as error:  # a FIFO or a device swapped in since the check: never block on it
        raise OSError(str(error)) from None
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return SourceFile(path, data, encoding, data.decode(encoding))


def write_source(source: SourceFile, text: str, before_replace: Callable[[Path], None] | None = None) -> None:
    """Replace the file's content with `text` (NotWritten when that would lose anything).

    `before_replace` runs after the new content is ready and before the file is compared and
    replaced: the moment an editor's save is most likely to land. Tests use it to make one."""
    if source.encode(source.text) != source.data:
        raise NotWritten(f"its bytes do not survive decoding and encoding as {source.encoding}")
    try:
        data = source.encode(text)
    except UnicodeEncodeError:
        raise NotWritten(f"the fixed text cannot be written as {source.encoding}") from None
    target = Path(os.path.realpath(source.path))  # a symlink stays a symlink: write its target
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".auditor-fix")
    except OSError as error:
        raise NotWritten(f"cannot write next to it: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if before_replace is not None:
            before_replace(target)
        if not _unchanged(target, source.data):
            raise NotWritten("it changed on disk while it was being fixed")
        os.replace(temporary, target)
    except BaseException as error:
        _remove(temporary)
        if isinstance(error, OSError):
            raise NotWritten(f"cannot write it: {error.strerror or error}") from None
        raise


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return read_regular_file(path) == data
    except UnreadableFile:
        return False


def _remove(path: str) -> None:
    """Remove the temporary file this module created (never anything else)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
