"""Kernel ``flock`` locks on lock files: the primitive under the dataset-writer and results-file locks.

A lock is the kernel's ``flock`` on an open file, not the file's existence, so the kernel releases it when
its holder ends however it ends (SIGKILL included): a lock file left behind is stale and simply taken
over. Holders unlink their lock file when they finish; a process that locked a file just unlinked by the
previous holder sees that the path no longer names the file it holds and tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


def open_locked(path: Path, op: int, mode: int = 0o644) -> int | None:
    """A descriptor of ``path`` (created if missing) locked with ``op``; None if ``op`` has LOCK_NB and
    another process holds a conflicting lock. OS errors of the open propagate."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
        try:
            fcntl.flock(fd, op)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the previous holder unlinked the file between our open and our lock: retry


def write_pid(fd: int) -> None:
    """Record this process's id in a held lock file, for the other processes' error messages."""
    with contextlib.suppress(OSError):  # for messages only: a full disk leaves the file empty
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)


def holder_pid(path: Path) -> str:
    """The pid a holder wrote into ``path``, or "?" when it cannot be read."""
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or "?"
    except OSError:
        return "?"


def release(path: Path, fd: int) -> None:
    """Unlink ``path`` (while still holding its lock, so no one else is inside) and close ``fd``."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(fd)
