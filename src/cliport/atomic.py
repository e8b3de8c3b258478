"""Crash-safe file writes: write under a temporary name in the same folder, then ``os.replace``.

A reader (or a resumed generator) therefore sees either no file or a complete one, even if the
writer is killed with SIGKILL at any moment. Left-over temporaries start with ``TMP_PREFIX`` and are
removed by :func:`remove_stale_temporaries`. A full disk or a read-only folder raises
:class:`StorageError` (one line naming the final path and what to do) after removing the temporary, so
nothing partial is left; appended log lines are likewise all-or-nothing (:func:`append_line`).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from cliport.errors import CliportError
from cliport.faultpoints import armed, crash_point

TMP_PREFIX = ".tmp-"

_HINTS = {
    errno.ENOSPC: "free some space there (or choose another folder) and rerun the same command",
    errno.EDQUOT: "free some of your quota there (or choose another folder) and rerun the same command",
    errno.EROFS: "that file system is read-only; choose a writable folder",
    errno.EACCES: "no permission to write there; choose a writable folder",
    errno.EPERM: "no permission to write there; choose a writable folder",
}


class StorageError(CliportError, OSError):
    """A file could not be written (disk full, read-only, no permission); nothing partial was left."""


def storage_error(path: str | Path, err: OSError) -> StorageError:
    """One line naming the path, the reason and the remedy (the errno is kept for callers)."""
    if isinstance(err, StorageError):
        return err
    reason = err.strerror or str(err)
    hint = _HINTS.get(err.errno or 0, "check that path")
    out = StorageError(f"cannot write {path}: {reason}; {hint}")
    out.errno = err.errno
    return out


def _file_mode() -> int:
    """0o666 minus the process umask (mkstemp would leave 0o600, unreadable for co-workers)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def write_atomic(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(file)`` on a temporary file next to ``path``, fsync it, then rename it to ``path``."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", dir=path.parent)
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            crash_point("write")  # temporary written, not yet synced nor renamed
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        crash_point("renamed")
    except BaseException as err:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(err, OSError) and not isinstance(err, FileNotFoundError | IsADirectoryError
                                                        | NotADirectoryError):
            raise storage_error(path, err) from err
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda f: f.write(data))


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=False) + "\n"
    return write_bytes_atomic(path, text.encode("utf-8"))


def append_line(path: str | Path, line: str) -> None:
    """Append one ``\\n``-terminated line and fsync; all or nothing.

    A line left unterminated by a killed writer is closed first (so the new line is never glued to it
    and misread), and a write that fails (disk full) is cut back off, so the file never ends in a
    partial line that this function wrote.
    """
    path = Path(path)
    data = (line if line.endswith("\n") else line + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE)
    except OSError as err:
        if isinstance(err, FileNotFoundError | IsADirectoryError | NotADirectoryError):
            raise
        raise storage_error(path, err) from err
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        try:
            written = 0
            if armed():  # the fault campaign: half a line on disk, then maybe SIGKILL
                written = os.write(fd, data[: len(data) // 2])
                crash_point("append")
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError as err:
            os.ftruncate(fd, size)
            raise storage_error(path, err) from err
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str | Path, pattern: str = "*") -> int:
    """Delete temporaries (``TMP_PREFIX + pattern``) left by a killed writer; returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    removed = 0
    for p in folder.glob(TMP_PREFIX + pattern):
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
