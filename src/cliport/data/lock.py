"""One writer per dataset folder and shard, with ``flock`` locks on files in the folder.

Why this exists: two ``cliport demos`` runs with the same arguments would attempt the same seeds, append to
the same attempt log and rebuild the same index at once, and the second one's clean-up of temporaries
would delete files the first is still writing. Now the second run refuses with a one-line error.

* ``.lock-<writer>`` (``main``, ``shard-0-of-4``, ...): held exclusively by the one run of that writer.
  Shards write their own attempt logs and may run side by side, so each has its own lock.
* ``.lock``: held shared by every writer of the folder. Only a run that gets it exclusively (nobody
  else is writing) removes temporaries left by killed writers, then keeps it shared.

The locks are kernel ``flock`` locks (:mod:`cliport.flock`): a lock file left by a run killed with
SIGKILL is stale and simply taken over. A run unlinks its lock files when it ends (``.lock`` only if no
other writer holds it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cliport.errors import CliportError
from cliport.flock import holder_pid, open_locked, release, write_pid

LOCK_PREFIX = ".lock"


class FolderBusyError(CliportError):
    """Another live process is writing the same dataset folder (same shard)."""


def lock_path(folder: str | Path, writer: str | None = None) -> Path:
    """``.lock-<writer>``, or the folder-wide ``.lock`` for ``writer=None``."""
    return Path(folder) / (LOCK_PREFIX if writer is None else f"{LOCK_PREFIX}-{writer}")


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
    fd = open_locked(own, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if fd is None:
        raise FolderBusyError(
            f"{folder} is being written by another {what} run (process {holder_pid(own)}, lock {own.name}); "
            "wait for it to finish, or pass another data_dir= or shard="
        )
    shared_path = lock_path(folder)
    shared = None
    try:
        write_pid(fd)
        alone = open_locked(shared_path, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if alone is not None:
            if cleanup is not None:
                cleanup()
            fcntl.flock(alone, fcntl.LOCK_SH)
            shared = alone
        else:
            shared = open_locked(shared_path, fcntl.LOCK_SH)
        yield own
    finally:
        if shared is not None:
            try:
                fcntl.flock(shared, fcntl.LOCK_EX | fcntl.LOCK_NB)
                release(shared_path, shared)  # no other writer left
            except BlockingIOError:
                os.close(shared)
        release(own, fd)
