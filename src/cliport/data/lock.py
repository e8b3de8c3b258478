"""One writer per dataset folder and shard, with ``flock`` locks on files in the folder.

Why this exists: two ``cliport demos`` runs with the same arguments would attempt the same seeds, append to
the same attempt log and rebuild the same index at once, and the second one's clean-up of temporaries
would delete files the first is still writing. Now the second run refuses with a one-line error.

* ``.lock-<writer>`` (``main``, ``shard-0-of-4``, ...): held exclusively by the one run of that writer.
  Shards write their own attempt logs and may run side by side, so each has its own lock.
* ``.lock``: held shared by every writer of the folder. Only a run that gets it exclusively (nobody
  else is writing) removes temporaries left by killed writers, then keeps it shared.

The locks are the kernel's ``flock``, not the files' existence: they are released when the process
ends, however it ends, so a lock file left by a run killed with SIGKILL is stale and simply taken over.
A run unlinks its lock files when it ends (``.lock`` only if no other writer holds it); a run that locked
a file just unlinked by another sees that the path no longer names the file it holds and tries again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cliport.errors import CliportError

LOCK_PREFIX = ".lock"


class FolderBusyError(CliportError):
    """Another live process is writing the same dataset folder (same shard)."""


def lock_path(folder: str | Path, writer: str | None = None) -> Path:
    """``.lock-<writer>``, or the folder-wide ``.lock`` for ``writer=None``."""
    return Path(folder) / (LOCK_PREFIX if writer is None else f"{LOCK_PREFIX}-{writer}")


def _open_locked(path: Path, op: int) -> int | None:
    """An fd of ``path`` locked with ``op``; None if LOCK_NB was given and the lock is taken."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
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
        os.close(fd)  # another run unlinked the file between our open and our lock: retry


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or "?"
    except OSError:
        return "?"


def _release(path: Path, fd: int) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    os.close(fd)


@contextmanager
def exclusive_writer(
    folder: str | Path, writer: str, cleanup: Callable[[], object] | None = None, what: str = "cliport demos"
) -> Iterator[Path]:
    """Be the one ``writer`` of ``folder`` while the block runs, else raise :class:`FolderBusyError`.

    ``cleanup`` (removing stale temporaries) runs only when no other writer of the folder is alive.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    own = lock_path(folder, writer)
    fd = _open_locked(own, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if fd is None:
        raise FolderBusyError(
            f"{folder} is being written by another {what} run (process {_holder(own)}, lock {own.name}); "
            "wait for it to finish, or pass another data_dir= or shard="
        )
    shared_path = lock_path(folder)
    shared = None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        alone = _open_locked(shared_path, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if alone is not None:
            if cleanup is not None:
                cleanup()
            fcntl.flock(alone, fcntl.LOCK_SH)
            shared = alone
        else:
            shared = _open_locked(shared_path, fcntl.LOCK_SH)
        yield own
    finally:
        if shared is not None:
            try:
                fcntl.flock(shared, fcntl.LOCK_EX | fcntl.LOCK_NB)
                _release(shared_path, shared)  # no other writer left
            except BlockingIOError:
                os.close(shared)
        _release(own, fd)
